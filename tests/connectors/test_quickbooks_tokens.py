import threading
from datetime import UTC, datetime, timedelta

import pytest

from connectors.errors import AuthError
from connectors.quickbooks.tokens import FreshTokens, MemoryTokenStore, TokenKeeper, TokenState

REALM = "9130350000000001"
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class RotatingIssuer:
    """Plays Intuit's token endpoint: each refresh rotates, and only the newest token works."""

    def __init__(self, first: str = "R0") -> None:
        self.current = first
        self.calls: list[str] = []
        self._lock = threading.Lock()
        self._n = 0

    def __call__(self, refresh_token: str) -> FreshTokens:
        with self._lock:
            self.calls.append(refresh_token)
            if refresh_token != self.current:
                raise AuthError("invalid_grant", vendor="quickbooks", status=400)
            self._n += 1
            self.current = f"R{self._n}"
            return FreshTokens(f"A{self._n}", self.current, expires_in=3600)


def keeper(
    store: MemoryTokenStore, issuer: RotatingIssuer, initial_access_token: str | None = None
) -> TokenKeeper:
    return TokenKeeper(
        REALM,
        store,
        issuer,
        "R0",
        initial_access_token=initial_access_token,
        clock=lambda: NOW,
        sleep=lambda s: None,
    )


def test_memory_store_swap_is_compare_and_swap() -> None:
    store = MemoryTokenStore()
    first = TokenState("A1", "R1", 1)

    assert store.swap(REALM, 0, first)
    assert not store.swap(REALM, 0, TokenState("A2", "R2", 1))
    assert store.swap(REALM, 1, TokenState("A3", "R3", 2))
    assert store.load(REALM) == TokenState("A3", "R3", 2)


def test_given_no_stored_token_when_current_then_refreshes_with_configured_token() -> None:
    store, issuer = MemoryTokenStore(), RotatingIssuer()

    token = keeper(store, issuer).current()

    assert token == "A1"
    assert issuer.calls == ["R0"]
    assert store.load(REALM) == TokenState("A1", "R1", 1, NOW + timedelta(seconds=3600))


def test_given_configured_access_token_when_current_then_no_refresh() -> None:
    store, issuer = MemoryTokenStore(), RotatingIssuer()

    assert keeper(store, issuer, initial_access_token="A-config").current() == "A-config"
    assert issuer.calls == []


def test_given_rotated_token_stored_when_refreshing_then_uses_stored_refresh_token() -> None:
    store, issuer = MemoryTokenStore(), RotatingIssuer()
    worker = keeper(store, issuer)
    worker.current()

    token = worker.refresh(rejected="A1")

    assert token == "A2"
    assert issuer.calls == ["R0", "R1"]
    stored = store.load(REALM)
    assert stored is not None
    assert stored.refresh_token == "R2"


def test_given_other_worker_already_refreshed_when_rejected_token_is_stale_then_no_refresh() -> (
    None
):
    store, issuer = MemoryTokenStore(), RotatingIssuer()
    first, second = keeper(store, issuer), keeper(store, issuer)
    first.current()
    first.refresh(rejected="A1")  # stores A2

    token = second.refresh(rejected="A1")  # second still held A1

    assert token == "A2"
    assert issuer.calls == ["R0", "R1"]


def test_given_swap_lost_when_refreshing_then_uses_winners_token() -> None:
    store, issuer = MemoryTokenStore(), RotatingIssuer()

    def refresh_then_lose(refresh_token: str) -> FreshTokens:
        fresh = issuer(refresh_token)
        store.swap(REALM, 0, TokenState("A-winner", "R-winner", 1))  # another worker lands first
        return fresh

    worker = TokenKeeper(REALM, store, refresh_then_lose, "R0", clock=lambda: NOW)

    assert worker.refresh(rejected=None) == "A-winner"
    assert store.load(REALM) == TokenState("A-winner", "R-winner", 1)


def test_given_refresh_token_dead_and_no_winner_then_auth_error() -> None:
    store, issuer = MemoryTokenStore(), RotatingIssuer(first="R-other")

    with pytest.raises(AuthError):
        keeper(store, issuer).current()
    assert store.load(REALM) is None


def test_given_expired_access_token_when_current_then_refreshes_before_calling() -> None:
    store, issuer = MemoryTokenStore(), RotatingIssuer()
    store.swap(REALM, 0, TokenState("A-old", "R0", 1, NOW - timedelta(seconds=1)))

    assert keeper(store, issuer).current() == "A1"
    stored = store.load(REALM)
    assert stored is not None
    assert stored.version == 2


def test_two_workers_refreshing_at_once_keep_one_live_refresh_token() -> None:
    store, issuer = MemoryTokenStore(), RotatingIssuer()
    both_loaded = threading.Barrier(2)

    def racing(refresh_token: str) -> FreshTokens:
        both_loaded.wait(timeout=5)  # both have read version 0 before either refreshes
        return issuer(refresh_token)

    workers = [
        TokenKeeper(REALM, store, racing, "R0", clock=lambda: NOW, sleep=lambda s: None)
        for _ in range(2)
    ]
    results: list[str] = []
    threads = [threading.Thread(target=lambda w=w: results.append(w.current())) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    stored = store.load(REALM)
    assert stored is not None
    assert results == [stored.access_token, stored.access_token]
    assert stored.refresh_token == issuer.current  # the live one, not a dead one
    assert store.swaps == 1
