"""Everything one QuickBooks emulator holds: config, entities, OAuth tokens, idempotency records."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.emulators.common import Faults
from sandbox.emulators.quickbooks.config import QuickBooksConfig
from sandbox.emulators.quickbooks.store import QuickBooksStore


class Tokens:
    """OAuth 2 tokens as Intuit issues them: access tokens expire, refresh tokens rotate.

    Only the newest refresh token works: each refresh issues a new one and retires the old.
    """

    def __init__(self, config: QuickBooksConfig) -> None:
        self._lifetime = config.access_token_expires_in
        self._access: dict[str, float] = {config.access_token: time.monotonic() + self._lifetime}
        self.refresh_token: str | None = config.refresh_token
        self._codes: set[str] = set()

    def issue_access(self) -> str:
        token = "eyJ" + secrets.token_urlsafe(64)
        self._access[token] = time.monotonic() + self._lifetime
        return token

    def rotate_refresh(self) -> str:
        self.refresh_token = "AB11" + secrets.token_urlsafe(36)
        return self.refresh_token

    def access_is_valid(self, token: str) -> bool:
        expires = self._access.get(token)
        return expires is not None and expires > time.monotonic()

    def expire_access(self) -> None:
        self._access.clear()

    def revoke(self, token: str) -> None:
        self._access.pop(token, None)
        if token == self.refresh_token:
            self.refresh_token = None

    def issue_code(self) -> str:
        code = "AB11" + secrets.token_urlsafe(24)
        self._codes.add(code)
        return code

    def redeem_code(self, code: str) -> bool:
        if code in self._codes:
            self._codes.discard(code)
            return True
        return False


@dataclass
class QuickBooksState:
    config: QuickBooksConfig
    store: QuickBooksStore
    tokens: Tokens
    # requestid -> (status, body) of the first answer: a retried write returns it and does nothing.
    idempotent: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    throttles: int = 0

    @property
    def faults(self) -> Faults:
        return self.config.faults

    @classmethod
    def load(cls, data_dir: Path, config: QuickBooksConfig) -> QuickBooksState:
        return cls(config, QuickBooksStore(data_dir), Tokens(config))
