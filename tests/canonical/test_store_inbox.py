from datetime import UTC, datetime, timedelta

import pytest

from canonical.store import Store
from canonical.store import inbox as repo
from canonical.store.engine import begin, connect

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def event(key: str, source: str = "stripe", status: str = repo.RECEIVED) -> repo.NewEvent:
    return repo.NewEvent(
        source=source,
        dedupe_key=key,
        event_type="invoice.paid",
        headers={"stripe-signature": "t=1,v1=abc"},
        body=b'{"id": "%s"}' % key.encode(),
        status=status,
    )


async def insert(store: Store, *events: repo.NewEvent) -> list[int | None]:
    async with begin(store.engine) as conn:
        return await repo.insert_events(conn, list(events), now=NOW)


async def test_a_redelivery_is_reported_as_duplicate_and_stores_nothing(store: Store) -> None:
    first = await insert(store, event("evt_1"), event("evt_2"))
    assert all(ident is not None for ident in first)
    again = await insert(store, event("evt_2"), event("evt_3"), event("evt_3"))
    assert again[0] is None
    assert again[1] is not None
    assert again[2] is None  # the same delivery twice in one batch
    async with connect(store.engine) as conn:
        assert (await repo.status_counts(conn))["received"] == 3


async def test_the_same_key_from_another_source_is_another_event(store: Store) -> None:
    ids = await insert(store, event("1", "quickbooks"), event("1", "salesforce"))
    assert None not in ids


async def test_raw_body_and_headers_round_trip(store: Store) -> None:
    [ident] = await insert(store, event("evt_9"))
    assert ident is not None
    async with connect(store.engine) as conn:
        stored = await repo.get_event(conn, ident)
    assert stored is not None
    assert stored.body == b'{"id": "evt_9"}'
    assert stored.headers == {"stripe-signature": "t=1,v1=abc"}
    assert stored.received_at == NOW


async def test_a_claimed_event_is_claimed_once_it_is_finished(store: Store) -> None:
    [ident] = await insert(store, event("evt_1"))
    assert ident is not None
    async with begin(store.engine) as conn:
        claimed = await repo.claim_event(conn, ident)
        assert claimed is not None
        assert claimed.attempts == 1
        await repo.finish_event(conn, ident, repo.PROCESSED, now=NOW)
    async with begin(store.engine) as conn:
        assert await repo.claim_event(conn, ident) is None


async def test_dead_events_replay_with_a_fresh_attempt_count(store: Store) -> None:
    ids = await insert(store, event("evt_1"), event("evt_2"))
    async with begin(store.engine) as conn:
        for ident in ids:
            assert ident is not None
            await repo.claim_event(conn, ident)
            await repo.finish_event(conn, ident, repo.DEAD, now=NOW, error="boom")
        replayed = await repo.replay(conn, status=repo.DEAD)
    assert replayed == sorted(i for i in ids if i is not None)
    async with connect(store.engine) as conn:
        events = await repo.list_events(conn, status=repo.RECEIVED)
    assert {e.attempts for e in events} == {0}
    assert {e.error for e in events} == {None}


async def test_pending_ids_are_what_the_relay_must_enqueue(store: Store) -> None:
    ids = await insert(store, event("a"), event("b"), event("c", status=repo.IGNORED))
    async with connect(store.engine) as conn:
        pending = await repo.pending_ids(conn, received_before=NOW + timedelta(seconds=1))
        assert await repo.oldest_waiting(conn) == NOW
    assert pending == [ids[0], ids[1]]


async def test_unknown_status_is_refused(store: Store) -> None:
    [ident] = await insert(store, event("a"))
    assert ident is not None
    async with begin(store.engine) as conn:
        with pytest.raises(ValueError, match="unknown inbox status"):
            await repo.finish_event(conn, ident, "lost", now=NOW)
