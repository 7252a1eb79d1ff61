"""Read what the reconciler needs from the store, streaming, one record at a time.

The store knows nothing of the reconciler (canonical imports nothing of ours), so the caller
passes a sink, e.g. `reconciliation.snapshot.SnapshotBuilder().add`, which keeps only the few
fields the rules read: memory holds compact rows, never a whole table of full records.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Final

from canonical.records import (
    CreditNote,
    Deal,
    Deposit,
    Dispute,
    Invoice,
    InvoicePayment,
    Lead,
    LedgerEntry,
    Party,
    Payment,
    Payout,
    Record,
    Refund,
    Subscription,
)
from canonical.store.recon_pairs import (
    PAIRED_QUERIES,
    PAIRING_SETUP,
    REPLACED,
    RESOLVED_QUERIES,
)
from canonical.store.store import Store

RECONCILED_TYPES: Final[tuple[type[Record], ...]] = (
    Party,
    Lead,
    Deal,
    Subscription,
    Invoice,
    InvoicePayment,
    Payment,
    Refund,
    Dispute,
    CreditNote,
    Payout,
    Deposit,
    LedgerEntry,
)


async def stream_for_reconciliation(
    store: Store, sink: Callable[[Record], None], *, batch_size: int = 5000
) -> int:
    """Feed every record the reconciler reads to `sink`; the number of records fed."""
    fed = 0
    for record_type in RECONCILED_TYPES:
        async for record in store.stream(record_type, batch_size=batch_size):
            sink(record)
            fed += 1
    return fed


# --- the compact path (PostgreSQL) ------------------------------------------------------------
#
# Decoding whole records costs ~25 µs each; the reconciler reads a dozen scalars of each. So
# PostgreSQL selects just those, in the reconciler's row order, already converted (instants to
# timestamptz, absent money to 0, deleted rows and the other sources' rows dropped), and asyncpg's
# binary protocol decodes them in C. The caller turns each row into its compact tuple.


def _at(column: str) -> str:
    """An epoch-microseconds column as an exact timestamptz (no float on the way)."""
    return f"('epoch'::timestamptz + {column} * interval '1 microsecond')"


def _select(table: str, source: str, columns: str, where: str = "") -> str:
    return (
        f"SELECT {columns} FROM {table} "
        f"WHERE source = '{source}' AND NOT deleted {where} ORDER BY id"
    )


_MONEY_NOTE = "source_id, {c}_currency, {c}_minor, private_note, txn_date, {at}"
_STRIPE_MONEY = "source_id, {status}, amount_minor, amount_currency, {at}, {parent}, {arrival}"

# Family (a `reconciliation.snapshot.Snapshot` field) -> the query giving its rows in order.
COMPACT_QUERIES: Final[dict[str, str]] = {
    "parties": (
        "SELECT source, source_id, name, email, salesforce_account_id FROM parties "
        "WHERE NOT deleted ORDER BY id"
    ),
    "leads": _select(
        "leads",
        "salesforce",
        f"source_id, {_at('created_at')}, "
        "CASE WHEN is_converted THEN converted_on END, converted_deal_id",
    ),
    "deals": _select(
        "deals",
        "salesforce",
        "source_id, party_id, is_won, coalesce(amount_minor, 0), amount_currency, close_date, "
        + _at("created_at"),
    ),
    "subscriptions": _select("subscriptions", "stripe", "source_id, deal_id, discount_approved_by"),
    "invoices": _select(
        "invoices",
        "stripe",
        "source_id, party_id, status, currency, total_minor, coalesce(subtotal_minor, 0), "
        "coalesce(discount_minor, 0), coalesce(tax_minor, 0), coalesce(balance_minor, 0), number, "
        f"CASE WHEN due_date IS NULL THEN {_at('created_at')} END, {_at('finalized_at')}, "
        f"{_at('paid_at')}, due_date, subscription_id, deal_id, discount_approved_by",
    ),
    "ledger_invoices": _select(
        "invoices",
        "quickbooks",
        "source_id, party_id, total_currency, total_minor, coalesce(balance_minor, 0), number, "
        "private_note, issued_on",
    ),
    "invoice_links": _select(
        "invoice_payments", "stripe", "invoice_id, payment_intent_id, charge_id"
    ),
    # Older API versions named the invoice on the charge (allocations); those links come after.
    "charge_links": (
        "SELECT a.value->>'invoice_id', NULL::text, p.source_id FROM payments AS p, "
        "json_array_elements(p.allocations) WITH ORDINALITY AS a(value, position) "
        "WHERE p.source = 'stripe' AND NOT p.deleted AND p.kind = 'charge' "
        "AND p.allocations::text <> '[]' ORDER BY p.id, a.position"
    ),
    "charges": _select(
        "payments",
        "stripe",
        "source_id, party_id, payment_intent_id, status, amount_minor, amount_currency, "
        + _at("created_at"),
        "AND kind = 'charge'",
    ),
    "ledger_payments": _select(
        "payments",
        "quickbooks",
        "source_id, amount_currency, amount_minor, reference, private_note, "
        f"{_at('created_at')}, paid_on, "
        "ARRAY(SELECT e->>'invoice_id' FROM json_array_elements(allocations) AS e)",
    ),
    "refunds": _select(
        "refunds",
        "stripe",
        _STRIPE_MONEY.format(
            status="status", at=_at("created_at"), parent="payment_id", arrival="NULL::date"
        ),
    ),
    "refund_receipts": _select(
        "refunds", "quickbooks", _MONEY_NOTE.format(c="amount", at=_at("created_at"))
    ),
    "disputes": _select(
        "disputes",
        "stripe",
        _STRIPE_MONEY.format(
            status="status", at=_at("created_at"), parent="payment_id", arrival="NULL::date"
        ),
    ),
    "credit_notes": _select(
        "credit_notes",
        "stripe",
        _STRIPE_MONEY.format(
            status="coalesce(status, '')",
            at=_at("created_at"),
            parent="invoice_id",
            arrival="NULL::date",
        ),
    ),
    "credit_memos": _select(
        "credit_notes", "quickbooks", _MONEY_NOTE.format(c="amount", at=_at("created_at"))
    ),
    "payouts": _select(
        "payouts",
        "stripe",
        _STRIPE_MONEY.format(
            status="status", at=_at("created_at"), parent="NULL::text", arrival="arrival_date"
        ),
    ),
    "journal_entries": _select(
        "ledger_entries", "quickbooks", _MONEY_NOTE.format(c="amount", at="NULL::timestamptz")
    ),
    "deposits": _select(
        "deposits", "quickbooks", _MONEY_NOTE.format(c="amount", at="NULL::timestamptz")
    ),
}

RowSink = Callable[[str, list[Any]], None]


def supports_compact(store: Store) -> bool:
    """The compact path needs PostgreSQL (asyncpg); other stores stream records."""
    return store.engine.dialect.name == "postgresql"


async def stream_compact(
    store: Store, sink: RowSink, *, batch_size: int = 100_000, paired: bool = False
) -> int:
    """Feed `sink(family, rows)` every compact row the reconciler reads; the number of rows.

    Rows are asyncpg records in the order of `COMPACT_QUERIES[family]`'s columns, handed over a
    batch at a time from one read-only snapshot (REPEATABLE READ), so the families agree.

    `paired`: PostgreSQL pairs what the linking conventions pair without a pattern
    (`recon_pairs`): a second connection, on the same snapshot, builds the pairs and reads the
    paired families while the first reads the others, so the server works while Python decodes.
    The first also resolves the invoice payments to each invoice's charges (`RESOLVED_QUERIES`),
    in place of the link families.
    """
    queries = dict(COMPACT_QUERIES)
    if not paired:
        return await _stream(store, queries, sink, batch_size)
    for family in (*PAIRED_QUERIES, *REPLACED):
        queries.pop(family, None)
    queries.update(RESOLVED_QUERIES)
    fed = 0
    async with store.engine.connect() as conn:
        driver: Any = (await conn.get_raw_connection()).driver_connection
        async with driver.transaction(isolation="repeatable_read", readonly=True):
            # The resolved links' joins are estimated far too costly, so JIT compiled them with
            # inlining and optimisation: half a second of the server's CPU at a million, for a
            # query that reads each row once.
            await driver.execute("SET LOCAL jit = off")
            # Its sorts (a million links, three times) fit in memory: 2.0 s of the server against
            # 3.0 s spilling to disk at a million.
            await driver.execute("SET LOCAL work_mem = '256MB'")
            snapshot = await driver.fetchval("SELECT pg_export_snapshot()")
            pairs = asyncio.ensure_future(_stream_pairs(store, snapshot, sink, batch_size))
            try:
                fed = await _fetch_all(driver, queries, sink, batch_size)
            finally:
                fed += await pairs
    return fed


async def _stream(store: Store, queries: dict[str, str], sink: RowSink, batch_size: int) -> int:
    async with store.engine.connect() as conn:
        driver: Any = (await conn.get_raw_connection()).driver_connection
        async with driver.transaction(isolation="repeatable_read", readonly=True):
            return await _fetch_all(driver, queries, sink, batch_size)


async def _stream_pairs(store: Store, snapshot: str, sink: RowSink, batch_size: int) -> int:
    async with store.engine.connect() as conn:
        driver: Any = (await conn.get_raw_connection()).driver_connection
        # Writable only for its temporary tables; it sees exactly the first connection's data.
        async with driver.transaction(isolation="repeatable_read"):
            await driver.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            for statement in PAIRING_SETUP:
                await driver.execute(statement)
            return await _fetch_all(driver, PAIRED_QUERIES, sink, batch_size)


async def _fetch_all(driver: Any, queries: dict[str, str], sink: RowSink, batch_size: int) -> int:
    fed = 0
    for family, query in queries.items():
        cursor = await driver.cursor(query)
        while rows := await cursor.fetch(batch_size):
            sink(family, rows)
            fed += len(rows)
    return fed
