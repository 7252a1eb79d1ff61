"""Verifying Stripe's webhook signatures (`Stripe-Signature: t=…,v1=…[,v1=…]`).

The HMAC itself is stripe-python's (`WebhookSignature.verify_header`, a constant-time compare
against every `v1`, so a rotated secret's old and new signatures both pass). What is ours: the
clock is passed in, a timestamp too far in the future is as stale as one too far in the past, and
every failure carries a reason the gateway can count.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Literal

import orjson
from stripe import SignatureVerificationError, WebhookSignature

Reason = Literal["missing_signature", "bad_signature", "stale", "malformed"]
DEFAULT_TOLERANCE_S = 300


class StripeWebhookError(ValueError):
    """A delivery we must refuse; `reason` says why in one word."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


def verify_stripe(
    body: bytes,
    header: str | None,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE_S,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The event of a genuine, fresh delivery, as a plain dict; else `StripeWebhookError`.

    The SDK parses the header and checks the HMAC; only a refused delivery has its header read
    again, to say why. Checks run in this order: header, timestamp, UTF-8, signature, age, JSON.
    """
    if not secret.strip():
        raise StripeWebhookError("bad_signature", "no Stripe webhook secret is configured")
    if not header or not header.strip():
        raise StripeWebhookError("missing_signature", "no Stripe-Signature header")
    try:
        # tolerance=None: the SDK's check reads the wall clock; ours below takes `now`.
        WebhookSignature.verify_header(body, header, secret, tolerance=None)
    except SignatureVerificationError as exc:
        _check_header(header)
        raise StripeWebhookError("bad_signature", exc.user_message or "bad signature") from exc
    except UnicodeDecodeError as exc:
        _check_header(header)
        raise StripeWebhookError("malformed", "the body is not UTF-8") from exc
    timestamp = _timestamp(header)
    clock = now.timestamp() if now is not None else time.time()
    if tolerance and abs(clock - timestamp) > tolerance:
        raise StripeWebhookError(
            "stale", f"signed at {timestamp}, more than {tolerance} s from now ({int(clock)})"
        )
    return _event(body)


def _check_header(header: str) -> None:
    """Raise the refusal a header without a `v1` or a single valid `t` deserves."""
    if not any(part.strip().startswith("v1=") for part in header.split(",")):
        raise StripeWebhookError("missing_signature", "Stripe-Signature has no v1 signature")
    _timestamp(header)


def _timestamp(header: str) -> int:
    found: str | None = None
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if sep and key == "t":
            if found is not None:
                found = ""  # more than one: none is valid
                break
            found = value
    if not found or not found.isdigit():
        raise StripeWebhookError("bad_signature", "Stripe-Signature has no valid t= timestamp")
    return int(found)


def _event(body: bytes) -> dict[str, Any]:
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise StripeWebhookError("malformed", "the body is not JSON") from exc
    if not isinstance(event, dict) or event.get("object") != "event":
        raise StripeWebhookError("malformed", "the body is not a Stripe event")
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise StripeWebhookError("malformed", "the event has no id or type")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise StripeWebhookError("malformed", "the event has no data.object")
    return event
