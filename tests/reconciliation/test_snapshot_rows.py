"""The compact loader (PostgreSQL selects the reconciler's columns) against the record path."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import make_url

from canonical.store import Store, upgrade_async
from canonical.store.bulk_seed import seed_reconciliation_rows
from canonical.store.snapshot_loader import stream_compact, stream_for_reconciliation
from reconciliation.reconcile import find
from reconciliation.snapshot import Snapshot, SnapshotBuilder
from reconciliation.snapshot_rows import CompactBuilder
from sandbox.dataset import generate
from tests.reconciliation.dataset_helpers import diff, synced, truth_rows

AS_OF = date(2026, 3, 1)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seed11")
    generate(out, seed=11, customers=80, as_of=AS_OF)
    return out


async def compact_snapshot(store: Store) -> Snapshot:
    builder = CompactBuilder()
    await stream_compact(store, builder.add, batch_size=97)  # several batches per family
    return builder.snapshot


async def test_compact_rows_equal_the_snapshot_built_from_records(
    dataset: Path, postgres_url: str
) -> None:
    store = await synced(postgres_url, dataset)
    try:
        from_records = SnapshotBuilder()
        await stream_for_reconciliation(store, from_records.add)
        compact = await compact_snapshot(store)
    finally:
        await store.close()

    families = [family for family in Snapshot.__slots__ if family != "paired"]
    for family in families:
        assert getattr(compact, family) == getattr(from_records.snapshot, family), family
    empty = [family for family in families if not getattr(compact, family)]
    assert empty == ["journal_entries"]  # the sandbox books lost disputes elsewhere
    # A Stripe invoice carries its creation instant only without a due date (the rules' one use).
    assert all(inv.created_at is None for inv in compact.invoices if inv.due_date is not None)
    assert any(inv.created_at is not None for inv in compact.invoices if inv.due_date is None)
    found = {
        (f.kind.value, f.key.source.value, f.key.source_id, f.amount_at_stake.minor,
         f.amount_at_stake.currency)
        for f in find(compact, as_of=AS_OF).findings
    }  # fmt: skip
    assert found == truth_rows(dataset), diff(found, truth_rows(dataset))


async def test_bulk_seeded_rows_reconcile_to_exactly_the_planted_findings(
    postgres_url: str,
) -> None:
    admin = make_url(postgres_url).set(drivername="postgresql")
    url = admin.set(database=f"{admin.database}_seeded").render_as_string(hide_password=False)
    server = await asyncpg.connect(admin.render_as_string(hide_password=False))
    await server.execute(f'DROP DATABASE IF EXISTS "{admin.database}_seeded"')
    await server.execute(f'CREATE DATABASE "{admin.database}_seeded"')
    try:
        await upgrade_async(url)
        driver = await asyncpg.connect(url)
        try:
            planted = await seed_reconciliation_rows(driver, invoices=4000, as_of=AS_OF, seed=3)
        finally:
            await driver.close()
        store = Store.from_url(url)
        try:
            compact = await compact_snapshot(store)
            from_records = SnapshotBuilder()
            await stream_for_reconciliation(store, from_records.add)
        finally:
            await store.close()
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{admin.database}_seeded" WITH (FORCE)')
        await server.close()

    kinds = Counter(f.kind.value for f in find(compact, as_of=AS_OF).findings)
    assert kinds == planted.findings
    assert len(planted.findings) == 6  # every planted kind occurs at this size
    assert compact == from_records.snapshot


def fresh(text: str) -> str:
    """An equal string that is a new object, as the driver hands over."""
    return "".join(list(text))


def test_builder_holds_an_identifier_two_families_carry_once() -> None:
    at = datetime(2026, 1, 5, tzinfo=UTC)
    builder = CompactBuilder()
    builder.add(
        "invoices",
        [(fresh("in_1"), "cus_1", "paid", "USD", 500, 500, 0, 0, 0, fresh("RC-1"), at, at, at,
          None, None, None, None)],
    )  # fmt: skip
    builder.add(
        "ledger_invoices", [(fresh("31"), "1", "USD", 500, 0, fresh("RC-1"), None, at.date())]
    )
    builder.add("invoice_links", [(fresh("in_1"), fresh("pi_1"), None)])
    builder.add("charges", [(fresh("ch_1"), "cus_1", fresh("pi_1"), "succeeded", 500, "USD", at)])
    builder.add(
        "ledger_payments",
        [(fresh("9"), "USD", 500, fresh("ch_1"), None, at, at.date(), [fresh("31")])],
    )
    s = builder.snapshot

    (inv,), (q,), (link,), (ch,), (pay,) = (
        s.invoices, s.ledger_invoices, s.invoice_links, s.charges, s.ledger_payments
    )  # fmt: skip
    assert link.invoice_id is inv.id
    assert link.intent_id is ch.intent_id
    assert q.number is inv.number
    assert pay.reference is ch.id
    assert pay.invoice_ids == ("31",)
    assert pay.invoice_ids[0] is q.id
