"""Synthesize canonical rows straight into the store's tables with binary COPY, for benchmarks.

    planted = await seed_reconciliation_rows(driver, invoices=1_000_000, as_of=date(2026, 3, 1))

Building a million canonical records and upserting them would time the sync, not the reconciler;
this writes the same rows the store would hold (the columns `record_tables` derives, encoded as
`codecs` encodes them) with `copy_records_to_table`, in chunks so memory stays flat. Per Stripe
invoice: the invoice, its charge, its invoice payment, and in QuickBooks the invoice (by
DocNumber, or by the `in_…` id in its PrivateNote) and the payment (by PaymentRefNum `ch_…`, or
by `pi_…` in its PrivateNote). A few percent carry one planted discrepancy each, and `Planted`
counts the findings a correct reconciler reports for them, by kind.
"""

from __future__ import annotations

import random
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

import orjson

from canonical.store.types import to_micros

Row = tuple[Any, ...]

INVOICE_COLUMNS: Final = (
    "source", "source_id", "version", "deleted", "party_id", "status", "currency",
    "total_minor", "total_currency", "subtotal_minor", "subtotal_currency", "tax_minor",
    "tax_currency", "amount_paid_minor", "amount_paid_currency", "balance_minor",
    "balance_currency", "number", "private_note", "issued_on", "due_date", "created_at",
    "finalized_at", "paid_at", "attempt_count", "content_hash", "synced_at",
)  # fmt: skip
PAYMENT_COLUMNS: Final = (
    "source", "source_id", "version", "deleted", "kind", "party_id", "amount_minor",
    "amount_currency", "status", "created_at", "paid_on", "payment_intent_id", "charge_id",
    "reference", "private_note", "allocations", "content_hash", "synced_at",
)  # fmt: skip
LINK_COLUMNS: Final = (
    "source", "source_id", "version", "deleted", "invoice_id", "amount_paid_minor",
    "amount_paid_currency", "status", "payment_intent_id", "created_at", "content_hash",
    "synced_at",
)  # fmt: skip
PARTY_COLUMNS: Final = (
    "source", "source_id", "version", "deleted", "name", "email", "currency", "created_at",
    "content_hash", "synced_at",
)  # fmt: skip

CURRENCIES: Final = ("USD", "USD", "USD", "EUR", "GBP", "JPY")
HOUR: Final = 3_600_000_000  # in the store's epoch microseconds
DAY: Final = 24 * HOUR

# What happens to one Stripe invoice: cumulative probability bounds, checked in this order.
FATES: Final[tuple[tuple[str, float], ...]] = (
    ("open", 0.05),  # unpaid, not due yet, open on both sides: no finding
    ("ledger_invoice_missing", 0.06),
    ("invoice_amount", 0.065),
    ("status", 0.07),
    ("currency", 0.072),
    ("ledger_payment_missing", 0.077),
    ("payment_amount", 0.08),
    ("payment_twice", 0.082),
)
FINDING_OF_FATE: Final = {
    "ledger_invoice_missing": "missing_in_ledger",
    "invoice_amount": "amount_mismatch",
    "status": "status_mismatch",
    "currency": "currency_mismatch",
    "ledger_payment_missing": "missing_in_ledger",
    "payment_amount": "amount_mismatch",
    "payment_twice": "duplicate_payment",
}


@dataclass(slots=True)
class Planted:
    """The findings a correct reconciler reports on the seeded rows, and the rows written."""

    findings: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)


@dataclass(slots=True)
class _Chunk:
    invoices: list[Row] = field(default_factory=list)
    payments: list[Row] = field(default_factory=list)
    links: list[Row] = field(default_factory=list)


class _Synth:
    """Row factories sharing the seed's random stream, the as-of instant and the party count."""

    def __init__(self, *, seed: int, as_of: date, customers: int) -> None:
        self.rng = random.Random(seed)
        self.now = to_micros(datetime.combine(as_of, time(), tzinfo=UTC))
        self.customers = customers

    def fate(self) -> str:
        draw = self.rng.random()
        return next((name for name, bound in FATES if draw < bound), "clean")

    def add(self, chunk: _Chunk, n: int, planted: Planted) -> None:
        fate = self.fate()
        if fate != "clean" and fate != "open":
            planted.findings[FINDING_OF_FATE[fate]] += 1
        k = n % self.customers
        currency = CURRENCIES[k % len(CURRENCIES)]
        total = self.rng.randrange(1_000, 500_000)
        finalized = self.now - (10 + n % 170) * DAY - self.rng.randrange(DAY)
        paid = fate != "open"
        chunk.invoices.append(self.stripe_invoice(n, k, currency, total, finalized, paid))
        if paid:
            chunk.payments.append(self.charge(n, k, currency, total, finalized + HOUR))
            chunk.links.append(self.link(n, currency, total, finalized + HOUR))
        if fate != "ledger_invoice_missing":
            chunk.invoices.append(self.ledger_invoice(n, k, currency, total, finalized, fate))
        if paid and fate not in ("ledger_invoice_missing", "status", "ledger_payment_missing"):
            amount = total - 50 if fate == "payment_amount" else total
            chunk.payments.append(self.ledger_payment(n, n, k, currency, amount, finalized))
            if fate == "payment_twice":
                again = self.ledger_payment(n + 1_000_000_000, n, k, currency, total, finalized)
                chunk.payments.append(again)

    def stripe_invoice(
        self, n: int, k: int, currency: str, total: int, finalized: int, paid: bool
    ) -> Row:
        day = _day(finalized)
        ident = f"in_{n:09d}"
        return (
            "stripe", ident, finalized, False, f"cus_{k:07d}", "paid" if paid else "open",
            currency, total, currency, total, currency, 0, currency,
            total if paid else 0, currency, 0 if paid else total, currency,
            f"RC-{n:09d}", None, day, day + timedelta(days=30 if paid else 200),
            finalized - HOUR, finalized, finalized + HOUR if paid else None, 1,
            _hash(ident), self.now,
        )  # fmt: skip

    def ledger_invoice(
        self, n: int, k: int, currency: str, total: int, finalized: int, fate: str
    ) -> Row:
        by_note = n % 5 == 0  # a fifth are linked by the Stripe id in PrivateNote
        number = None if by_note else f"RC-{n:09d}"
        note = f"Stripe invoice in_{n:09d}" if by_note else None
        booked = "EUR" if fate == "currency" and currency != "EUR" else currency
        if fate == "currency" and currency == "EUR":
            booked = "USD"
        amount = total + 100 if fate == "invoice_amount" else total
        balance = amount if fate in ("open", "status") else 0
        return _ledger_invoice(str(n + 1), str(k + 1), booked, amount, balance, number, note,
                               finalized + 2 * HOUR, self.now)  # fmt: skip

    def charge(self, n: int, k: int, currency: str, total: int, created: int) -> Row:
        ident = f"ch_{n:09d}"
        return (
            "stripe", ident, created, False, "charge", f"cus_{k:07d}", total, currency,
            "succeeded", created, _day(created), f"pi_{n:09d}", ident, None, None, "[]",
            _hash(ident), self.now,
        )  # fmt: skip

    def link(self, n: int, currency: str, total: int, created: int) -> Row:
        ident = f"inpay_{n:09d}"
        return (
            "stripe", ident, created, False, f"in_{n:09d}", total, currency, "paid",
            f"pi_{n:09d}", created, _hash(ident), self.now,
        )  # fmt: skip

    def ledger_payment(self, ident: int, n: int, k: int, currency: str, amount: int,
                       finalized: int) -> Row:  # fmt: skip
        created = finalized + 3 * HOUR + (DAY if ident != n else 0)
        by_note = n % 5 == 1  # a fifth name the payment intent in PrivateNote instead
        reference = None if by_note else f"ch_{n:09d}"
        note = f"Stripe payment pi_{n:09d}" if by_note else None
        allocation = [{"invoice_id": str(n + 1), "amount": {"minor": amount, "currency": currency}}]
        return (
            "quickbooks", str(ident + 1), created, False, "ledger_payment", str(k + 1), amount,
            currency, "succeeded", created, _day(created), None, None, reference, note,
            orjson.dumps(allocation).decode(), _hash(str(ident)), self.now,
        )  # fmt: skip

    def parties(self) -> list[Row]:
        rows: list[Row] = []
        for k in range(self.customers):
            email, name = f"billing{k}@customer{k}.example", f"Customer {k} Ltd"
            currency = CURRENCIES[k % len(CURRENCIES)]
            for source, ident in (("stripe", f"cus_{k:07d}"), ("quickbooks", str(k + 1))):
                rows.append((source, ident, self.now - 400 * DAY, False, name, email, currency,
                             self.now - 400 * DAY, _hash(ident), self.now))  # fmt: skip
        return rows

    def orphans(self, count: int, offset: int) -> list[Row]:
        """QuickBooks invoices naming Stripe invoices that do not exist: `missing_in_billing`."""
        rows = []
        for j in range(count):
            k = j % self.customers
            created = self.now - (20 + j % 100) * DAY
            note = f"Stripe invoice in_gone{j:07d}"
            currency = CURRENCIES[k % len(CURRENCIES)]
            rows.append(_ledger_invoice(str(offset + j + 1), str(k + 1), currency, 12_300, 0,
                                        None, note, created, self.now))  # fmt: skip
        return rows


def _ledger_invoice(
    ident: str, party: str, currency: str, total: int, balance: int,
    number: str | None, note: str | None, created: int, now: int,
) -> Row:  # fmt: skip
    day = _day(created)
    return (
        "quickbooks", ident, created, False, party, "paid" if balance == 0 else "open", currency,
        total, currency, total, currency, 0, currency, total - balance, currency, balance,
        currency, number, note, day, day + timedelta(days=30), created, None, None, 0,
        _hash(ident), now,
    )  # fmt: skip


def _day(micros: int) -> date:
    return date(1970, 1, 1) + timedelta(days=micros // DAY)


def _hash(ident: str) -> str:
    # Synthetic rows are never re-upserted, so any 32-character value stands for the content.
    return f"{zlib.crc32(ident.encode()):032x}"


async def _copy(driver: Any, table: str, rows: Sequence[Row], columns: Sequence[str]) -> None:
    if rows:
        await driver.copy_records_to_table(table, records=rows, columns=list(columns))


async def seed_reconciliation_rows(
    driver: Any,
    *,
    invoices: int,
    as_of: date,
    seed: int = 1,
    customers: int | None = None,
    chunk_size: int = 50_000,
) -> Planted:
    """COPY `invoices` Stripe invoices and their counterparts into an empty, migrated store.

    `driver` is an asyncpg connection. Everything is written in one transaction.
    """
    synth = _Synth(seed=seed, as_of=as_of, customers=customers or max(invoices // 10, 1))
    planted = Planted()
    async with driver.transaction():
        parties = synth.parties()
        await _copy(driver, "parties", parties, PARTY_COLUMNS)
        planted.rows["parties"] += len(parties)
        for start in range(0, invoices, chunk_size):
            chunk = _Chunk()
            for n in range(start, min(start + chunk_size, invoices)):
                synth.add(chunk, n, planted)
            await _copy(driver, "invoices", chunk.invoices, INVOICE_COLUMNS)
            await _copy(driver, "payments", chunk.payments, PAYMENT_COLUMNS)
            await _copy(driver, "invoice_payments", chunk.links, LINK_COLUMNS)
            planted.rows["invoices"] += len(chunk.invoices)
            planted.rows["payments"] += len(chunk.payments)
            planted.rows["invoice_payments"] += len(chunk.links)
        orphans = synth.orphans(max(invoices // 1000, 1), offset=invoices)
        await _copy(driver, "invoices", orphans, INVOICE_COLUMNS)
        planted.rows["invoices"] += len(orphans)
        planted.findings["missing_in_billing"] += len(orphans)
    await driver.execute("ANALYZE")
    return planted
