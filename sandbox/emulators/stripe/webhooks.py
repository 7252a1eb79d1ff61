"""Delivering events to an endpoint as Stripe does: the event as indented JSON, signed with
`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body" keyed with the whole whsec_ secret>`,
and retried when the endpoint does not answer 2xx."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass

import httpx
import orjson

from sandbox.emulators.stripe.collection import JSONObject
from sandbox.emulators.stripe.config import StripeConfig

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256)
    return f"t={t},v1={mac.hexdigest()}"


def event_body(event: JSONObject) -> bytes:
    # Stripe posts events pretty-printed; the signature covers these exact bytes.
    return orjson.dumps(event, option=orjson.OPT_INDENT_2)


@dataclass(frozen=True)
class Delivery:
    """One planned delivery: an event and the secret it is signed with (a wrong one if forged)."""

    event: JSONObject
    secret: str
    retry: bool = True


@dataclass(frozen=True)
class DeliveryResult:
    id: str
    type: str
    status: int  # the endpoint's last HTTP status; 0 when it could not be reached
    attempts: int

    def as_dict(self) -> JSONObject:
        return {"id": self.id, "type": self.type, "status": self.status, "attempts": self.attempts}


async def deliver_all(
    url: str, deliveries: list[Delivery], config: StripeConfig
) -> list[DeliveryResult]:
    """Deliver one after another, in the order given (scenarios choose the order on purpose)."""
    timeout = httpx.Timeout(config.delivery_timeout_s)
    async with httpx.AsyncClient(timeout=timeout) as client:
        return [await _deliver(client, url, delivery, config) for delivery in deliveries]


async def _deliver(
    client: httpx.AsyncClient, url: str, delivery: Delivery, config: StripeConfig
) -> DeliveryResult:
    body = event_body(delivery.event)
    attempts_allowed = config.delivery_attempts if delivery.retry else 1
    status = 0
    attempts = 0
    while attempts < attempts_allowed:
        attempts += 1
        status = await _post(client, url, body, delivery.secret)
        if 200 <= status < 300:
            break
        if attempts < attempts_allowed:
            await asyncio.sleep(config.delivery_backoff_s * 2 ** (attempts - 1))
    event = delivery.event
    return DeliveryResult(id=event["id"], type=event["type"], status=status, attempts=attempts)


async def _post(client: httpx.AsyncClient, url: str, body: bytes, secret: str) -> int:
    # Each attempt is signed afresh, so a retry carries a new timestamp, as Stripe's do.
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Stripe-Signature": signature_header(body, secret),
    }
    try:
        response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError:
        return 0
    return response.status_code
