"""OAuth2 tokens of a QuickBooks realm, and the refresh dance that survives concurrent workers.

Intuit rotates refresh tokens: a refresh answers with a new access token *and* a new refresh
token, and the old refresh token soon stops working. Two workers refreshing at once must never
store a dead token over a live one, so the state lives in a `TokenStore` with compare-and-swap on
a version number (the hub backs it with the `oauth_tokens` table; tests use `MemoryTokenStore`).

`TokenKeeper.refresh` loads the state, refreshes with its refresh token, and swaps with the version
it loaded. Losing the swap, or getting `invalid_grant` because another worker already rotated the
token, means someone else won: reload and use the winner's access token instead of refreshing
again with a token that is now dead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from connectors.errors import AuthError

# Refresh a little before Intuit's expiry, so a token does not die in flight.
_EXPIRY_MARGIN = timedelta(seconds=60)
# A worker whose refresh token was just rotated by another sees `invalid_grant` a moment before
# the winner's swap lands; it waits this long for it before calling the token dead.
_WINNER_WAIT_S = (0.05, 0.1, 0.2, 0.4, 0.8)


@dataclass(frozen=True, slots=True)
class TokenState:
    access_token: str
    refresh_token: str
    version: int  # bumped by every successful swap; 0 means "nothing stored yet"
    expires_at: datetime | None = None  # of the access token


@dataclass(frozen=True, slots=True)
class FreshTokens:
    """What the token endpoint answered."""

    access_token: str
    refresh_token: str
    expires_in: float | None = None  # seconds


class TokenStore(Protocol):
    def load(self, realm: str) -> TokenState | None: ...

    def swap(self, realm: str, expected_version: int, new_state: TokenState) -> bool:
        """Store `new_state` only if the stored version is still `expected_version` (0: none)."""
        ...


class MemoryTokenStore:
    """A `TokenStore` in a dict: for tests and single-process runs."""

    def __init__(self) -> None:
        self._states: dict[str, TokenState] = {}
        self._lock = threading.Lock()
        self.swaps = 0  # successful swaps, for tests

    def load(self, realm: str) -> TokenState | None:
        with self._lock:
            return self._states.get(realm)

    def swap(self, realm: str, expected_version: int, new_state: TokenState) -> bool:
        with self._lock:
            current = self._states.get(realm)
            if (current.version if current else 0) != expected_version:
                return False
            self._states[realm] = new_state
            self.swaps += 1
            return True


Refresher = Callable[[str], FreshTokens]  # refresh token in, fresh tokens out (or AuthError)


class TokenKeeper:
    """The access token of one realm: read from the store, refreshed through it."""

    def __init__(
        self,
        realm: str,
        store: TokenStore,
        refresher: Refresher,
        initial_refresh_token: str,
        initial_access_token: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.realm = realm
        self._sleep = sleep
        self._store = store
        self._refresher = refresher
        self._initial_refresh = initial_refresh_token
        self._initial_access = initial_access_token
        self._clock = clock
        self._lock = threading.Lock()  # one refresh at a time in this process
        self.refreshes = 0  # calls to the token endpoint, for tests and logs

    def current(self) -> str:
        """A usable access token, refreshing first when none is known or it has expired."""
        state = self._store.load(self.realm)
        if state is None and self._initial_access:
            return self._initial_access
        if state is not None and not self._expired(state):
            return state.access_token
        return self.refresh(rejected=None)

    def refresh(self, rejected: str | None) -> str:
        """A new access token after `rejected` was refused (None: it expired or was never had)."""
        with self._lock:
            state = self._store.load(self.realm)
            if state is not None and state.access_token != rejected and not self._expired(state):
                return state.access_token  # another worker refreshed while we waited
            version = state.version if state else 0
            refresh_token = state.refresh_token if state else self._initial_refresh
            self.refreshes += 1
            try:
                fresh = self._refresher(refresh_token)
            except AuthError:
                # Rejected: maybe another worker rotated the token first. Use theirs if so.
                winner = self._await_winner(version)
                if winner is None:
                    raise
                return winner.access_token
            new_state = TokenState(
                fresh.access_token, fresh.refresh_token, version + 1, self._expiry(fresh)
            )
            if self._store.swap(self.realm, version, new_state):
                return new_state.access_token
            winner = self._newer_than(version)
            if winner is None:  # a store that refuses a swap must hold a newer version
                raise AuthError("the token store refused the rotated token", vendor="quickbooks")
            return winner.access_token

    def _await_winner(self, version: int) -> TokenState | None:
        winner = self._newer_than(version)
        for delay in _WINNER_WAIT_S:
            if winner is not None:
                break
            self._sleep(delay)
            winner = self._newer_than(version)
        return winner

    def _newer_than(self, version: int) -> TokenState | None:
        winner = self._store.load(self.realm)
        return winner if winner is not None and winner.version != version else None

    def _expired(self, state: TokenState) -> bool:
        return state.expires_at is not None and state.expires_at - _EXPIRY_MARGIN <= self._clock()

    def _expiry(self, fresh: FreshTokens) -> datetime | None:
        if fresh.expires_in is None:
            return None
        return self._clock() + timedelta(seconds=fresh.expires_in)
