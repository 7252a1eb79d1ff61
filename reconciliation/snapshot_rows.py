"""Compact rows straight from the store into the snapshot, skipping canonical records.

`canonical.store.snapshot_loader.stream_compact` hands over rows whose columns are already in
each named tuple's field order (see its `COMPACT_QUERIES`), so a row becomes a tuple with one
C-level `_make` call; only parties (a `Source`) and ledger payments (a tuple of invoice ids)
need a touch. `CompactBuilder().add` is the sink:

    builder = CompactBuilder()
    await stream_compact(store, builder.add)
    reconcile(builder.snapshot, as_of=...)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from canonical.records import Source
from reconciliation.snapshot import (
    Charge,
    InvoiceLink,
    LedgerInvoice,
    LedgerNote,
    LedgerPayment,
    PartyRow,
    SalesDeal,
    SalesLead,
    Snapshot,
    StripeInvoice,
    StripeMoney,
    StripeSubscription,
)

Rows = Sequence[Sequence[Any]]


def _parties(rows: Rows) -> Iterable[PartyRow]:
    return (PartyRow(Source(r[0]), r[1], r[2], r[3], r[4]) for r in rows)


def _ledger_payments(rows: Rows) -> Iterable[LedgerPayment]:
    make = LedgerPayment._make
    return (make((*r[:8], tuple(r[8]))) for r in rows)


def _plain(make: Callable[[Iterable[Any]], Any]) -> Callable[[Rows], Iterable[Any]]:
    return lambda rows: map(make, rows)


# family -> (the snapshot list it fills, how its rows become tuples)
_FAMILIES: Final[dict[str, tuple[str, Callable[[Rows], Iterable[Any]]]]] = {
    "parties": ("parties", _parties),
    "leads": ("leads", _plain(SalesLead._make)),
    "deals": ("deals", _plain(SalesDeal._make)),
    "subscriptions": ("subscriptions", _plain(StripeSubscription._make)),
    "invoices": ("invoices", _plain(StripeInvoice._make)),
    "ledger_invoices": ("ledger_invoices", _plain(LedgerInvoice._make)),
    "invoice_links": ("invoice_links", _plain(InvoiceLink._make)),
    "charge_links": ("invoice_links", _plain(InvoiceLink._make)),
    "charges": ("charges", _plain(Charge._make)),
    "ledger_payments": ("ledger_payments", _ledger_payments),
    "refunds": ("refunds", _plain(StripeMoney._make)),
    "refund_receipts": ("refund_receipts", _plain(LedgerNote._make)),
    "disputes": ("disputes", _plain(StripeMoney._make)),
    "credit_notes": ("credit_notes", _plain(StripeMoney._make)),
    "credit_memos": ("credit_memos", _plain(LedgerNote._make)),
    "payouts": ("payouts", _plain(StripeMoney._make)),
    "journal_entries": ("journal_entries", _plain(LedgerNote._make)),
    "deposits": ("deposits", _plain(LedgerNote._make)),
}

FAMILIES: Final = frozenset(_FAMILIES)


class CompactBuilder:
    """Feed `(family, rows)` batches with `add`; take the compact `snapshot` at the end."""

    def __init__(self) -> None:
        self.snapshot = Snapshot()

    def add(self, family: str, rows: Rows) -> None:
        target, convert = _FAMILIES[family]
        items: list[Any] = getattr(self.snapshot, target)
        items.extend(convert(rows))
