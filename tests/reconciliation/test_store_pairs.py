"""PostgreSQL's pairing (`canonical.store.recon_pairs`) against the pure Python linking.

The Python linking is the reference: a snapshot the store paired must index, and reconcile, to
exactly what the unpaired snapshot gives, whatever the memos and references hold.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from canonical.store import Store, upgrade_async
from canonical.store.bulk_seed import (
    INVOICE_COLUMNS,
    PAYMENT_COLUMNS,
    seed_reconciliation_rows,
)
from canonical.store.snapshot_loader import stream_compact
from canonical.store.types import to_micros
from reconciliation.linking import LedgerIndex
from reconciliation.reconcile import charges_by_invoice, find
from reconciliation.snapshot import Snapshot
from reconciliation.snapshot_rows import CompactBuilder
from sandbox.dataset import generate
from tests.reconciliation.dataset_helpers import synced

AS_OF = date(2026, 3, 1)
AT = datetime(2026, 1, 5, 12, tzinfo=UTC)


async def load(store: Store, *, paired: bool) -> Snapshot:
    builder = CompactBuilder(paired=paired)
    await stream_compact(store, builder.add, batch_size=97, paired=paired)
    return builder.snapshot


async def both_loads(url: str) -> tuple[Snapshot, Snapshot]:
    """The store's snapshot as the Python linking reads it, then with the store's pairs."""
    store = Store.from_url(url)
    try:
        return await load(store, paired=False), await load(store, paired=True)
    finally:
        await store.close()


def index_view(snapshot: Snapshot) -> dict[str, Any]:
    """Everything the rules read of the linking index, as plain values."""
    index = LedgerIndex.build(snapshot)
    return {
        "numbers": [None if q is None else tuple(q) for q in index.number_matches],
        "notes": index.invoice_by_note,
        # A lone posting that agrees with its charge is, to the rules, only its booking date.
        "postings": {
            c.id: ("agrees", index.booked_on(c.id))
            if index.agrees_alone(c)
            else [
                (p.id, p.currency, p.amount, p.created_at, p.paid_on, method)
                for p, method in index.postings(c.id)
            ]
            for c in snapshot.charges
        },
        "unnamed": dict(index.payments_by_invoice),
        # In order: the invoice keys decide which invoice a charge paying two belongs to.
        "charges": [
            (invoice, [c.id for c in charges])
            for invoice, charges in charges_by_invoice(snapshot).items()
        ],
    }


def outcome(snapshot: Snapshot) -> tuple[Any, ...]:
    found = find(snapshot, as_of=AS_OF)
    return found.findings, found.tally.rates()


@asynccontextmanager
async def side_database(postgres_url: str, suffix: str) -> AsyncIterator[str]:
    admin = make_url(postgres_url).set(drivername="postgresql")
    name = f"{admin.database}_{suffix}"
    server = await asyncpg.connect(admin.render_as_string(hide_password=False))
    await server.execute(f'DROP DATABASE IF EXISTS "{name}"')
    await server.execute(f'CREATE DATABASE "{name}"')
    try:
        url = admin.set(database=name).render_as_string(hide_password=False)
        await upgrade_async(url)
        yield url
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.close()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seed17")
    generate(out, seed=17, customers=80, as_of=AS_OF)
    return out


async def test_store_pairs_of_a_sandbox_dataset_index_and_reconcile_as_python_pairs(
    dataset: Path, postgres_url: str
) -> None:
    store = await synced(postgres_url, dataset)
    try:
        reference = await load(store, paired=False)
        paired = await load(store, paired=True)
    finally:
        await store.close()

    assert paired.paired is not None
    assert any(paired.paired.invoice_numbers)
    assert reference.invoice_links
    assert not paired.invoice_links  # the store resolved them
    assert index_view(paired) == index_view(reference)
    assert outcome(paired) == outcome(reference)


async def test_store_pairs_of_bulk_seeded_rows_reconcile_as_python_pairs(
    postgres_url: str,
) -> None:
    async with side_database(postgres_url, "pairs_seeded") as url:
        driver = await asyncpg.connect(url)
        try:
            await seed_reconciliation_rows(driver, invoices=3000, as_of=AS_OF, seed=5)
        finally:
            await driver.close()
        reference, paired = await both_loads(url)

    assert paired.paired is not None
    # Most links are plain: their QuickBooks rows stay in the store.
    assert len(paired.ledger_invoices) < len(reference.ledger_invoices) / 2
    assert len(paired.ledger_payments) < len(reference.ledger_payments) / 2
    assert index_view(paired) == index_view(reference)
    assert outcome(paired) == outcome(reference)


# Ids next to Unicode letters, digits and numerals the two regex engines may classify apart.
_PIECES = st.sampled_from(
    ["ch_1", "ch_2", "ch_3", "pi_1", "pi_2", "in_1", "in_2", "in_3", "N1", "N2", " ", "-", "_",
     "é", "ß", "½", "²", "٣", "Ⅻ", "\u00a0", "\uff41", "x", "7", "Stripe "]
)  # fmt: skip
_TEXT = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(["ch_1", "ch_2", "ch_3", "ch_é"]),
    st.lists(_PIECES, min_size=1, max_size=5).map("".join),
)
_NUMBER = st.sampled_from([None, "", "N1", "N2", "N3"])


def _stripe_rows() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    at = to_micros(AT)
    invoices, charges = [], []
    for n in (1, 2, 3):
        invoices.append(
            ("stripe", f"in_{n}", at, False, "cus_1", "paid", "USD", 5000, "USD", 5000, "USD",
             0, "USD", 5000, "USD", 0, "USD", f"N{n}", None, AT.date(), AT.date(), at, at, at,
             1, "0" * 32, at)
        )  # fmt: skip
        charges.append(
            ("stripe", f"ch_{n}", at, False, "charge", "cus_1", 5000, _CHARGE_CURRENCY[n],
             "succeeded", at,
             AT.date(), f"pi_{n}", f"ch_{n}", None, None, "[]", "0" * 32, at)
        )  # fmt: skip
    return invoices, charges


def _ledger_invoice(n: int, number: str | None, note: str | None) -> tuple[Any, ...]:
    at = to_micros(AT + timedelta(hours=n))
    return (
        "quickbooks", str(n), at, False, "1", "paid", "USD", 5000, "USD", 5000, "USD", 0, "USD",
        5000, "USD", 0, "USD", number, note, AT.date(), AT.date(), at, None, None, 0,
        "0" * 32, at,
    )  # fmt: skip


# Charges' currencies in upper and lower case (Stripe's are lower case).
_CHARGE_CURRENCY = {1: "USD", 2: "usd", 3: "eur"}
# A posting's amount and currency: agreeing with some charges, differing from others.
_POSTED = st.sampled_from([(5000, "USD"), (4999, "USD"), (5000, "EUR"), (5000, "usd")])


def _ledger_payment(
    n: int, reference: str | None, note: str | None, posted: tuple[int, str]
) -> tuple[Any, ...]:
    at = to_micros(AT + timedelta(hours=n))
    allocation = '[{"invoice_id": "1", "amount": {"minor": 5000, "currency": "USD"}}]'
    amount, currency = posted
    return (
        "quickbooks", str(100 + n), at, False, "ledger_payment", "1", amount, currency,
        "succeeded", at, AT.date(), None, None, reference, note, allocation, "0" * 32, at,
    )  # fmt: skip


async def _store_rows(
    url: str,
    invoices: list[tuple[Any, ...]],
    payments: list[tuple[Any, ...]],
    invoice_payments: Sequence[tuple[Any, ...]] = (),
) -> None:
    """A migrated store holding exactly these rows."""
    await upgrade_async(url)
    driver = await asyncpg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(False)
    )
    try:
        await driver.execute("TRUNCATE invoices, payments, invoice_payments")
        await driver.copy_records_to_table(
            "invoices", records=invoices, columns=list(INVOICE_COLUMNS)
        )
        await driver.copy_records_to_table(
            "payments", records=payments, columns=list(PAYMENT_COLUMNS)
        )
        await driver.copy_records_to_table(
            "invoice_payments", records=invoice_payments, columns=list(_LINK_COLUMNS)
        )
    finally:
        await driver.close()


async def _compare_pairings(
    url: str,
    ledger_invoices: list[tuple[str | None, str | None]],
    ledger_payments: list[tuple[str | None, str | None, tuple[int, str]]],
) -> None:
    invoices, charges = _stripe_rows()
    invoices += [_ledger_invoice(n, *pair) for n, pair in enumerate(ledger_invoices, 1)]
    payments = charges + [_ledger_payment(n, *p) for n, p in enumerate(ledger_payments, 1)]
    await _store_rows(url, invoices, payments)
    reference, paired = await both_loads(url)
    assert index_view(paired) == index_view(reference)
    assert outcome(paired) == outcome(reference)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(_NUMBER, _TEXT), max_size=4),
    st.lists(st.tuples(_TEXT, _TEXT, _POSTED), max_size=5),
)
async def test_store_pairs_equal_python_pairs_whatever_memos_and_references_hold(
    postgres_url: str,
    ledger_invoices: list[tuple[str | None, str | None]],
    ledger_payments: list[tuple[str | None, str | None, tuple[int, str]]],
) -> None:
    await _compare_pairings(postgres_url, ledger_invoices, ledger_payments)


# --- invoice payments and charge allocations, resolved to each invoice's charges ---------------

_LINK_COLUMNS = (
    "source", "source_id", "version", "deleted", "invoice_id", "amount_paid_minor",
    "amount_paid_currency", "status", "payment_intent_id", "charge_id", "content_hash",
    "synced_at",
)  # fmt: skip
_INVOICE_IDS = st.sampled_from(["in_1", "in_2", "in_3", "in_gone", ""])
_INTENTS = st.sampled_from([None, "", "pi_1", "pi_2", "pi_9"])
_CHARGE_IDS = st.sampled_from([None, "", "ch_1", "ch_2", "ch_3", "ch_9"])
_LINK = st.tuples(_INVOICE_IDS, _INTENTS, _CHARGE_IDS, st.booleans())
# A charge: its intent, the invoices its allocations name (older API versions), deleted or not.
_CHARGE = st.tuples(_INTENTS, st.lists(_INVOICE_IDS, max_size=2), st.booleans())


def _link_row(n: int, link: tuple[str, str | None, str | None, bool]) -> tuple[Any, ...]:
    invoice, intent, charge, deleted = link
    at = to_micros(AT)
    return (
        "stripe", f"inpay_{n}", at, deleted, invoice, 5000, "USD", "paid", intent, charge,
        "0" * 32, at,
    )  # fmt: skip


def _charge_row(n: int, charge: tuple[str | None, list[str], bool]) -> tuple[Any, ...]:
    intent, invoices, deleted = charge
    at = to_micros(AT)
    allocations = json.dumps(
        [{"invoice_id": i, "amount": {"minor": 1, "currency": "USD"}} for i in invoices]
    )
    return (
        "stripe", f"ch_{n}", at, deleted, "charge", "cus_1", 5000, "USD",
        "succeeded" if n % 2 else "failed", at, AT.date(), intent, f"ch_{n}", None, None,
        allocations, "0" * 32, at,
    )  # fmt: skip


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_LINK, max_size=6), st.lists(_CHARGE, max_size=4))
async def test_store_resolves_each_invoices_charges_as_python_links_them(
    postgres_url: str,
    links: list[tuple[str, str | None, str | None, bool]],
    charges: list[tuple[str | None, list[str], bool]],
) -> None:
    invoices, _ = _stripe_rows()
    await _store_rows(
        postgres_url,
        invoices,
        [_charge_row(n, c) for n, c in enumerate(charges, 1)],
        [_link_row(n, link) for n, link in enumerate(links, 1)],
    )
    reference, paired = await both_loads(postgres_url)

    assert index_view(paired)["charges"] == index_view(reference)["charges"]
    assert outcome(paired) == outcome(reference)
