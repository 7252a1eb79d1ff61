"""Stripe-looking object ids. Like Stripe's, they start with a time-ordered part, so that objects
created within the same second still sort in creation order."""

from __future__ import annotations

import secrets
import string
import threading
import time

_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
_lock = threading.Lock()
_last_us = 0


def _base62(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, rest = divmod(value, 62)
        chars.append(_ALPHABET[rest])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """`<prefix>_1…`: 24 characters after the underscore, the first 11 rising with every call."""
    global _last_us
    with _lock:
        _last_us = max(time.time_ns() // 1000, _last_us + 1)
        stamp = _last_us
    tail = "".join(secrets.choice(_ALPHABET) for _ in range(13))
    return f"{prefix}_1{_base62(stamp, 10)}{tail}"


def request_id() -> str:
    return "req_" + "".join(secrets.choice(_ALPHABET) for _ in range(14))
