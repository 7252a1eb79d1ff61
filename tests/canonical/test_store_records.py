from __future__ import annotations

import dataclasses

import pytest

from canonical.records import SYNCED_RECORD_TYPES, Invoice, Party, Record, Source
from canonical.store import Store
from tests.canonical.test_store_samples import at, invoice, one_of_each

SAMPLES = one_of_each()


def test_the_samples_cover_every_synced_record_type() -> None:
    assert {type(r) for r in SAMPLES} == set(SYNCED_RECORD_TYPES)


@pytest.mark.parametrize("record", SAMPLES, ids=lambda r: type(r).__name__)
async def test_every_record_type_round_trips_exactly(store: Store, record: Record) -> None:
    await store.upsert([record])

    stored = await store.get(type(record), record.source, record.source_id)

    assert stored == record


async def test_instants_come_back_aware_utc(store: Store) -> None:
    await store.upsert([invoice()])

    stored = await store.get(Invoice, "stripe", "in_1")

    assert stored is not None
    assert stored.version.utcoffset() is not None
    assert stored.version.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert stored.version == at(0)


async def test_get_of_an_unknown_record_is_none(store: Store) -> None:
    assert await store.get(Invoice, "stripe", "in_missing") is None


async def test_stream_pages_through_every_record_with_its_lines(store: Store) -> None:
    invoices = [invoice(f"in_{n:03}", attempt_count=n) for n in range(23)]
    await store.upsert(invoices)

    streamed = [record async for record in store.stream(Invoice, batch_size=5)]

    assert sorted(streamed, key=lambda r: r.source_id) == invoices


async def test_stream_and_count_filter_by_source(store: Store) -> None:
    stripe = [Party(source=Source.STRIPE, source_id=f"cus_{n}", version=at(n)) for n in range(4)]
    quickbooks = [dataclasses.replace(p, source=Source.QUICKBOOKS) for p in stripe[:3]]
    await store.upsert([*stripe, *quickbooks])

    streamed = [p async for p in store.stream(Party, source="quickbooks", batch_size=2)]

    assert sorted(streamed, key=lambda p: p.source_id) == quickbooks
    assert await store.count(Party, source="quickbooks") == 3
    assert await store.count(Party) == 7


async def test_stream_of_an_empty_table_yields_nothing(store: Store) -> None:
    assert [r async for r in store.stream(Invoice)] == []
