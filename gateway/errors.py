"""The gateway's errors.

GatewayError
├── Rejected           a delivery refused with a 4xx (status + reason counted in metrics)
└── StoreDown          the inbox could not commit: answer 503 so the sender retries
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error raised by `gateway`."""


class Rejected(GatewayError):
    """A delivery we refuse; `reason` is one word for metrics, the message is for the sender."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class StoreDown(GatewayError):
    """The inbox write failed; nothing of the batch is acknowledged."""
