from __future__ import annotations

import asyncio
import dataclasses
import itertools
import uuid
from datetime import datetime
from decimal import Decimal

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from canonical.errors import StoreError
from canonical.records import Invoice, InvoiceStatus, Party, Source
from canonical.store import Store, UpsertCounts, upgrade_async, upsert
from canonical.store.batches import by_key
from canonical.store.codecs import codec_for
from canonical.store.engine import begin
from canonical.store.schema import table_for
from canonical.store.upsert import BATCH_SIZE
from canonical.store.upsert_postgres import plan, plan_statement
from tests.canonical.test_store_samples import at, invoice, invoice_line, one_of_each, usd


async def test_given_new_records_when_upserted_then_all_created(store: Store) -> None:
    counts = await store.upsert([invoice("in_1"), invoice("in_2"), invoice("in_3")])

    assert counts == UpsertCounts(created=3, updated=0, unchanged=0)
    assert await store.count(Invoice) == 3


async def test_reupserting_the_same_batch_changes_nothing(store: Store) -> None:
    batch = one_of_each()
    await store.upsert(batch)

    again = await store.upsert(batch)

    assert again == UpsertCounts(created=0, updated=0, unchanged=len(batch))


@pytest.mark.parametrize(
    ("second_version", "second_total", "expected", "stored_total"),
    [
        pytest.param(at(-60), 9999, UpsertCounts(unchanged=1), 3000, id="older-changed-ignored"),
        pytest.param(at(0), 9999, UpsertCounts(unchanged=1), 3000, id="equal-changed-ignored"),
        pytest.param(at(60), 3000, UpsertCounts(unchanged=1), 3000, id="newer-same-unchanged"),
        pytest.param(at(60), 9999, UpsertCounts(updated=1), 9999, id="newer-changed-updated"),
    ],
)
async def test_upsert_is_monotonic(
    store: Store,
    second_version: datetime,
    second_total: int,
    expected: UpsertCounts,
    stored_total: int,
) -> None:
    await store.upsert([invoice(version=at(0))])

    counts = await store.upsert([invoice(version=second_version, total=usd(second_total))])

    assert counts == expected
    stored = await store.get(Invoice, "stripe", "in_1")
    assert stored is not None
    assert stored.total == usd(stored_total)


async def test_newer_version_with_same_content_keeps_the_stored_version(store: Store) -> None:
    await store.upsert([invoice(version=at(0))])

    await store.upsert([invoice(version=at(60))])

    stored = await store.get(Invoice, "stripe", "in_1")
    assert stored is not None
    assert stored.version == at(0)


async def test_mixed_batch_counts_each_outcome_exactly(store: Store) -> None:
    await store.upsert([invoice("in_old"), invoice("in_same"), invoice("in_new")])

    counts = await store.upsert(
        [
            invoice("in_old", version=at(-1), status=InvoiceStatus.VOID),
            invoice("in_same", version=at(5)),
            invoice("in_new", version=at(5), status=InvoiceStatus.PAID),
            invoice("in_fresh"),
            *[r for r in one_of_each() if not isinstance(r, Invoice)],
        ]
    )

    assert counts == UpsertCounts(created=1 + len(one_of_each()) - 1, updated=1, unchanged=2)


async def test_several_versions_of_one_record_in_a_batch_keep_the_newest(store: Store) -> None:
    versions = [invoice(version=at(s), attempt_count=s) for s in (3, 9, 1)]

    counts = await store.upsert(versions)

    assert counts == UpsertCounts(created=1, unchanged=2)
    stored = await store.get(Invoice, "stripe", "in_1")
    assert stored is not None
    assert stored.attempt_count == 9


async def test_same_source_id_in_two_sources_is_two_records(store: Store) -> None:
    stripe = invoice("42")
    quickbooks = dataclasses.replace(invoice("42"), source=Source.QUICKBOOKS)

    counts = await store.upsert([stripe, quickbooks])

    assert counts.created == 2
    assert await store.count(Invoice, source="quickbooks") == 1


async def test_source_and_source_id_are_unique_in_the_table(store: Store) -> None:
    await store.upsert([invoice("in_1")])
    row = {
        "source": "stripe",
        "source_id": "in_1",
        "version": at(1),
        "deleted": False,
        "status": "open",
        "currency": "USD",
        "total_minor": 1,
        "total_currency": "USD",
        "attempt_count": 0,
        "content_hash": "x",
        "synced_at": at(1),
    }

    with pytest.raises(IntegrityError):
        async with begin(store.engine) as conn:
            await conn.execute(insert(table_for(Invoice)).values(**row))


async def test_lines_are_replaced_with_their_invoice(store: Store) -> None:
    await store.upsert([invoice(version=at(0))])

    new_lines = (invoice_line(7, amount=500),)
    await store.upsert([invoice(version=at(1), lines=new_lines)])

    stored = await store.get(Invoice, "stripe", "in_1")
    assert stored is not None
    assert stored.lines == new_lines


async def test_lines_of_an_ignored_older_version_are_not_written(store: Store) -> None:
    await store.upsert([invoice(version=at(5))])

    await store.upsert([invoice(version=at(1), lines=())])

    stored = await store.get(Invoice, "stripe", "in_1")
    assert stored is not None
    assert len(stored.lines) == 3


async def test_deleted_record_is_kept_with_its_flag(store: Store) -> None:
    await store.upsert([invoice(version=at(0))])

    counts = await store.upsert([invoice(version=at(1), deleted=True)])

    assert counts == UpsertCounts(updated=1)
    stored = await store.get(Invoice, "stripe", "in_1")
    assert stored is not None
    assert stored.deleted
    assert await store.count(Invoice) == 1


async def test_a_record_that_cannot_be_encoded_is_named_and_nothing_is_written(
    store: Store,
) -> None:
    naive = dataclasses.replace(invoice("in_bad"), created_at=at(0).replace(tzinfo=None))

    with pytest.raises(StoreError, match="in_bad"):
        await store.upsert([invoice("in_ok"), naive])

    assert await store.count(Invoice) == 0


@pytest.mark.parametrize("newer_first", [True, False], ids=["v2-first", "v1-first"])
async def test_two_writers_on_one_record_the_newest_wins(
    store_url: str, store: Store, newer_first: bool
) -> None:
    v1 = invoice(version=at(1), status=InvoiceStatus.OPEN)
    v2 = invoice(version=at(2), status=InvoiceStatus.PAID)
    first, second = (v2, v1) if newer_first else (v1, v2)
    other = Store.from_url(store_url)
    try:
        async with store.transaction() as tx:
            await tx.upsert([first])
            waiting = asyncio.create_task(other.upsert([second]))
            await asyncio.sleep(0.3)
            assert not waiting.done()  # the second writer waits for the first's lock
        await waiting
    finally:
        await other.close()

    stored = await store.get(Invoice, "stripe", "in_1")
    assert stored is not None
    assert stored.version == at(2)
    assert stored.status is InvoiceStatus.PAID


async def test_new_rows_colliding_with_another_writers_commit_are_written_through_the_guard(
    store_url: str, store: Store
) -> None:
    # The second writer finds every key new, so it COPYs them; the last one collides with the
    # first writer's row once that commits, and the whole batch takes the guarded path again.
    batch = [invoice(f"in_{n:05d}", version=at(2), attempt_count=2) for n in range(3000)]
    other = Store.from_url(store_url)
    try:
        async with store.transaction() as tx:
            await tx.upsert([invoice("in_02999", version=at(1))])
            waiting = asyncio.create_task(other.upsert(batch))
            await asyncio.sleep(0.3)
            assert not waiting.done()  # the second writer waits for the first's lock
        counts = await waiting
    finally:
        await other.close()

    assert counts == UpsertCounts(created=2999, updated=1)
    assert await store.count(Invoice) == 3000
    stored = await store.get(Invoice, "stripe", "in_02999")
    assert stored is not None
    assert stored.attempt_count == 2
    assert len(stored.lines) == len(batch[-1].lines)


async def test_many_concurrent_writers_leave_the_newest_version(
    store_url: str, store: Store
) -> None:
    writers = [Store.from_url(store_url) for _ in range(4)]
    seconds = [5, 2, 8, 1, 7, 3, 6, 4]
    try:
        await asyncio.gather(
            *(
                writer.upsert([invoice(version=at(s), attempt_count=s)])
                for writer, s in zip(itertools.cycle(writers), seconds, strict=False)
            )
        )
    finally:
        await asyncio.gather(*(writer.close() for writer in writers))

    stored = await store.get(Invoice, "stripe", "in_1")
    assert stored is not None
    assert stored.attempt_count == max(seconds)


_example = itertools.count()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(versions=st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=8))
async def test_any_order_of_versions_stores_the_newest(store: Store, versions: list[int]) -> None:
    source_id = f"cus_{next(_example)}"
    for seconds in versions:
        party = Party(
            source=Source.STRIPE, source_id=source_id, version=at(seconds), name=str(seconds)
        )
        await store.upsert([party])

    stored = await store.get(Party, "stripe", source_id)

    assert stored is not None
    assert stored.version == at(max(versions))
    assert stored.name == str(max(versions))


async def test_a_bad_record_late_in_a_large_batch_writes_nothing(store: Store) -> None:
    # Larger than one internal batch, so the failure comes after earlier rows were written.
    count = BATCH_SIZE + 1000
    parties = [
        Party(source=Source.STRIPE, source_id=f"cus_{n}", version=at(n)) for n in range(count)
    ]
    naive = dataclasses.replace(parties[-1], version=at(0).replace(tzinfo=None))

    with pytest.raises(StoreError, match=f"cus_{count - 1}"):
        await store.upsert([*parties[:-1], naive])

    assert await store.count(Party) == 0


@pytest.mark.postgres
async def test_a_bad_record_met_while_copying_writes_nothing_and_the_store_goes_on(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Encoding one record per step, the lookup answers long before the last record is encoded,
    # so the bad one is met inside the COPY, which must fail whole.
    monkeypatch.setattr(upsert, "YIELD_EVERY", 1)
    await upgrade_async(postgres_url)
    store = Store.from_url(postgres_url)
    parties = [
        Party(source=Source.STRIPE, source_id=f"cus_copy_{n:04d}", version=at(1))
        for n in range(3000)
    ]
    naive = dataclasses.replace(parties[-1], version=at(0).replace(tzinfo=None))
    try:
        with pytest.raises(StoreError, match="cus_copy_2999"):
            await store.upsert([*parties[:-1], naive])
        assert await store.get(Party, "stripe", "cus_copy_0000") is None

        assert await store.upsert(parties) == UpsertCounts(created=3000)
    finally:
        await store.close()


async def test_a_large_batch_is_counted_exactly(store: Store) -> None:
    # Spans two internal batches, each holding stored, newer and new records.
    count = BATCH_SIZE + 2000
    parties = [
        Party(source=Source.STRIPE, source_id=f"cus_{n:06d}", version=at(1)) for n in range(count)
    ]
    stored = parties[::2]
    await store.upsert(stored)
    newer = [dataclasses.replace(p, version=at(2), name="renamed") for p in parties[:1000:2]]

    counts = await store.upsert([*newer, *parties[1000:]])

    # The odd records from 1000 on are new; the even ones before 1000 newer; the rest stored.
    fresh = (count - 1000) // 2
    assert counts == UpsertCounts(created=fresh, updated=len(newer), unchanged=len(stored) - 500)
    assert await store.count(Party) == len(stored) + fresh


async def test_a_record_whose_key_cannot_be_stored_is_named_and_nothing_is_written(
    store: Store,
) -> None:
    bad = dataclasses.replace(invoice("in_bad"), source=object())  # type: ignore[arg-type]

    with pytest.raises(StoreError, match="in_bad"):
        await store.upsert([invoice("in_ok"), bad])

    assert await store.count(Invoice) == 0


@pytest.mark.postgres
async def test_the_lookup_probes_the_key_index_however_large_the_table(postgres_url: str) -> None:
    # As a plain join, the planner hashed the whole table for each batch once the table, not
    # yet analysed, outgrew its estimate: every batch then cost as much as the table's size.
    await upgrade_async(postgres_url)
    store = Store.from_url(postgres_url)
    codec = codec_for(Party)
    parties = [
        Party(source=Source.STRIPE, source_id=f"cus_big_{n}", version=at(1)) for n in range(20_000)
    ]
    try:
        await store.upsert(parties)
        keys = list(by_key(codec, parties[:5000]))
        async with begin(store.engine) as conn:
            result = await conn.exec_driver_sql(
                f"EXPLAIN {plan_statement(codec)}",
                (
                    orjson.dumps([source for source, _ in keys]).decode(),
                    orjson.dumps([source_id for _, source_id in keys]).decode(),
                ),
            )
            shown = "\n".join(row[0] for row in result.all())
    finally:
        await store.close()

    assert "Seq Scan on parties" not in shown
    assert "Index Scan using uq_parties_source_source_id" in shown


@pytest.mark.parametrize("text", ["0", "1.50", "-0.001", "123456789012345678.000000001"])
async def test_line_quantities_are_stored_exactly_with_their_scale(store: Store, text: str) -> None:
    line = dataclasses.replace(invoice_line(1), quantity=Decimal(text))

    await store.upsert([invoice(lines=(line,))])

    stored = await store.get(Invoice, "stripe", "in_1")
    assert stored is not None
    assert str(stored.lines[0].quantity) == text


async def test_keys_stored_around_a_batch_leave_the_batch_all_new(store: Store) -> None:
    await store.upsert([invoice("in_0"), invoice("in_9")])

    counts = await store.upsert([invoice(f"in_{n}") for n in range(3, 7)])

    assert counts == UpsertCounts(created=4)
    assert await store.count(Invoice) == 6


async def test_a_key_stored_inside_a_batch_range_is_found_and_the_rest_created(
    store: Store,
) -> None:
    await store.upsert([invoice("in_5", version=at(0))])

    counts = await store.upsert(
        [invoice(f"in_{n}", version=at(1), attempt_count=n) for n in range(3, 8)]
    )

    assert counts == UpsertCounts(created=4, updated=1)
    stored = await store.get(Invoice, "stripe", "in_5")
    assert stored is not None
    assert stored.attempt_count == 5


async def test_a_key_of_another_source_inside_the_range_is_another_record(store: Store) -> None:
    await store.upsert([dataclasses.replace(invoice("in_5"), source=Source.QUICKBOOKS)])

    counts = await store.upsert([invoice(f"in_{n}") for n in range(3, 8)])

    assert counts == UpsertCounts(created=5)
    assert await store.count(Invoice) == 6


@pytest.mark.postgres
async def test_the_lookup_of_an_all_new_batch_draws_one_fresh_id_per_key_and_nothing_else(
    postgres_url: str,
) -> None:
    await upgrade_async(postgres_url)
    store = Store.from_url(postgres_url)
    codec = codec_for(Invoice)
    prefix = f"in_lookup_{uuid.uuid4().hex}_"  # the database is shared with other tests
    try:
        await store.upsert([invoice(f"{prefix}1"), invoice(f"{prefix}9")])
        async with begin(store.engine) as conn:
            new = await plan(conn, codec, [("stripe", f"{prefix}{n}") for n in range(2, 6)])
            mixed = await plan(conn, codec, [("stripe", f"{prefix}0"), ("stripe", f"{prefix}1")])
    finally:
        await store.close()

    assert not new.stored
    assert (new.versions, new.digests) == ([], [])
    assert len(set(new.new_ids)) == 4
    assert None not in new.new_ids
    assert mixed.stored
    assert mixed.versions[0] is None
    assert mixed.versions[1] is not None
    assert mixed.new_ids[0] is not None
    assert mixed.new_ids[1] is None
