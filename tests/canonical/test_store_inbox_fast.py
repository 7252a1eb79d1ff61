"""The gateway's inbox writer: every batch size answers as `inbox.insert_events` does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from canonical.store import Store
from canonical.store import inbox as repo
from canonical.store.engine import connect
from canonical.store.inbox_fast import VALUES_MAX_ROWS, PostgresInboxWriter

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)

pytestmark = pytest.mark.parametrize(
    "store_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def event(key: str, source: str = "stripe") -> repo.NewEvent:
    return repo.NewEvent(
        source=source,
        dedupe_key=key,
        event_type="invoice.paid",
        headers={"stripe-signature": "t=1,v1=abc", "content-type": "application/json"},
        body=b'{"id": "%s"}' % key.encode(),
        status=repo.RECEIVED if key.endswith("0") else repo.IGNORED,
    )


@pytest.mark.parametrize("size", [3, VALUES_MAX_ROWS, VALUES_MAX_ROWS + 1, 100])
async def test_a_batch_of_any_size_returns_new_ids_and_none_for_duplicates(
    store: Store, store_url: str, size: int
) -> None:
    writer = PostgresInboxWriter(store_url)
    try:
        stored_before = await writer.insert([event(f"evt_{size}_0")], now=NOW)
        # The key stored before, then new keys, the last of them twice.
        keys = [f"evt_{size}_{n}" for n in range(size - 1)] + [f"evt_{size}_{size - 2}"]
        ids = await writer.insert([event(key) for key in keys], now=NOW)
        batch = [event(key) for key in keys]
    finally:
        await writer.close()

    assert stored_before[0] is not None
    assert ids[0] is None  # stored before
    assert ids[-1] is None  # twice in the batch: only its first occurrence is new
    new = ids[1:-1]
    assert None not in new
    assert len(set(new)) == len(new)
    async with connect(store.engine) as conn:
        rows = [await repo.get_event(conn, ident) for ident in new]
    assert [(r.dedupe_key, r.status, r.body, r.received_at) for r in rows if r] == [
        (e.dedupe_key, e.status, e.body, NOW) for e in batch[1:-1]
    ]
    assert all(r is not None and r.headers == batch[0].headers for r in rows)
