"""Standard Webhooks (https://www.standardwebhooks.com/): `webhook-id`, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, space-separated for rotation.

The secret is `whsec_` + base64 of the key bytes. Written here rather than taken from the
`standardwebhooks` package because that one reads the wall clock, lets malformed signature lists
escape as bare ValueErrors, and does not say whether a failure was a stale or a forged delivery.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

from connectors.generic.errors import GenericWebhookError

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
DEFAULT_TOLERANCE_S = 300


def secret_key(secret: str) -> bytes:
    """The key bytes of a `whsec_…` secret (unpadded base64 accepted)."""
    encoded = secret.removeprefix(SECRET_PREFIX).strip()
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a Standard Webhooks secret is whsec_ followed by base64") from exc
    if not key:
        raise ValueError("a Standard Webhooks secret may not be empty")
    return key


def sign_standard(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for one message."""
    return "v1," + base64.b64encode(_digest(secret_key(secret), msg_id, timestamp, body)).decode()


def verify_standard(
    body: bytes,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> str:
    """The message id of a genuine, fresh delivery; else `GenericWebhookError`."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        raise GenericWebhookError("missing_signature", "webhook-id/-timestamp/-signature missing")
    if not timestamp.isascii() or not timestamp.isdigit():
        raise GenericWebhookError("bad_signature", "webhook-timestamp is not an integer")
    sent_at = int(timestamp)
    clock = time.time() if now is None else now
    if abs(clock - sent_at) > tolerance:
        raise GenericWebhookError("stale", f"signed at {sent_at}, more than {tolerance} s away")
    expected = _digest(secret_key(secret), msg_id, sent_at, body)
    for candidate in signatures.split():
        version, _, encoded = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(given, expected):
            return msg_id
    raise GenericWebhookError("bad_signature", "no webhook-signature matches the body")


def _digest(key: bytes, msg_id: str, timestamp: int, body: bytes) -> bytes:
    signed = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return hmac.new(key, signed, hashlib.sha256).digest()
