"""Outbound notifications: one signed webhook per configured URL, each its own `run_followup` job.

The event job only records the notification (`followups`, kind `notify`, the URL and body in its
request) and queues the job; the job sends it with httpx and retries 429/5xx/network failures with
backoff. Bodies follow Standard Webhooks (`webhook-id` = the follow-up key, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`); a Slack URL gets
`{"text": …}` instead. A notification still `pending` (its enqueue failed: Redis was down) is
queued again by the relay.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import httpx
import structlog

from canonical.store.engine import begin
from canonical.store.followups import (
    DONE,
    FAILED,
    PENDING,
    begin_followup,
    finish_followup,
    get_followup,
)
from jobs.queue import QueueUnavailable
from jobs.services import Services, retry_or_give_up, services_of

log = structlog.get_logger(__name__)

KIND = "notify"
_SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks signature header value (`v1,<base64>`).

    A `whsec_…` secret is base64 after its prefix (the standard's form); any other secret is used
    as its UTF-8 bytes.
    """
    key = (
        base64.b64decode(secret.removeprefix(_SECRET_PREFIX))
        if secret.startswith(_SECRET_PREFIX)
        else secret.encode("utf-8")
    )
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def body_for(slack: bool, event_type: str, text: str, data: Mapping[str, Any]) -> dict[str, Any]:
    if slack:
        return {"text": text}
    summary = {k: data.get(k) for k in ("id", "object", "amount", "amount_due", "currency")}
    return {"type": event_type, "text": text, "data": summary}


async def announce(
    services: Services, event_type: str, event_key: str, text: str, data: Mapping[str, Any]
) -> None:
    """Record one notification per URL and queue its sending."""
    if not services.config.enabled(KIND):
        return
    for index, target in enumerate(services.config.notify):
        key = f"notify:{event_type}:{event_key}:{index}"
        request = {"url": target.url, "body": body_for(target.slack, event_type, text, data)}
        async with begin(services.store.engine) as conn:
            row = await begin_followup(
                conn, kind=KIND, key=key, target=target.url, request=request, now=services.clock()
            )
        if not row.finished:
            await enqueue(services, key)


async def enqueue(services: Services, key: str) -> None:
    try:
        await services.queue.enqueue("run_followup", key, job_id=f"followup:{key}")
    except QueueUnavailable:
        log.warning("notify.enqueue_failed", key=key)  # still pending: the relay retries it


async def run_followup(ctx: dict[str, Any], key: str) -> str:
    """The job: send one recorded notification."""
    services = services_of(ctx)
    async with begin(services.store.engine) as conn:
        row = await get_followup(conn, key)
    if row is None or row.finished or row.status != PENDING or row.request is None:
        return "nothing to do"
    try:
        status_code = await _send(services, key, row.request)
    except httpx.TransportError as exc:
        retry_or_give_up(ctx, services, exc)
        return await _finish(services, key, FAILED, error=f"unreachable: {type(exc).__name__}")
    if status_code < 300:
        return await _finish(services, key, DONE, response={"status": status_code})
    if status_code == 429 or status_code >= 500:
        retry_or_give_up(ctx, services, RuntimeError(f"HTTP {status_code}"))
    return await _finish(services, key, FAILED, error=f"HTTP {status_code}")


async def _send(services: Services, key: str, request: Mapping[str, Any]) -> int:
    body = json.dumps(request["body"], separators=(",", ":")).encode()
    timestamp = int(services.clock().timestamp())
    headers = {"content-type": "application/json", "webhook-id": key}
    headers["webhook-timestamp"] = str(timestamp)
    if services.config.notify_secret:
        headers["webhook-signature"] = sign(services.config.notify_secret, key, timestamp, body)
    client = services.http
    if client is None:
        async with httpx.AsyncClient(timeout=10.0) as own:
            response = await own.post(request["url"], content=body, headers=headers)
    else:
        response = await client.post(request["url"], content=body, headers=headers)
    return response.status_code


async def _finish(
    services: Services,
    key: str,
    status: str,
    *,
    response: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> str:
    async with begin(services.store.engine) as conn:
        await finish_followup(
            conn, key, status, now=services.clock(), response=response, error=error
        )
    return status
