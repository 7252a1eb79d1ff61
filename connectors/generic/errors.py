"""The one error of generic webhook verification; `reason` is what the gateway counts."""

from __future__ import annotations

from typing import Literal

Reason = Literal["missing_signature", "bad_signature", "stale", "malformed"]


class GenericWebhookError(ValueError):
    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason
