"""Compact rows straight from the store into the snapshot, skipping canonical records.

`canonical.store.snapshot_loader.stream_compact` hands over rows whose columns are already in
each named tuple's field order (see its `COMPACT_QUERIES`), so a row becomes a tuple with one
C-level `_make` call; only parties (a `Source`) need a touch, and ledger payments' invoice ids
(an array, a list from the driver) become a tuple while their values are shared. `CompactBuilder().add` is the sink:

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


def _plain(make: Callable[[Iterable[Any]], Any]) -> Callable[[Rows], Iterable[Any]]:
    return lambda rows: map(make, rows)


# family -> (the snapshot list it fills, how its rows become tuples, the columns whose values are
# shared rather than repeated). The driver makes a new object for every value, so without sharing
# a million invoices would carry a million copies of "usd" and of each customer id, and every
# identifier that links two families (an invoice id on its invoice payment, a charge id in a
# QuickBooks PaymentRefNum, a DocNumber on both sides, a QuickBooks invoice id in an allocation)
# would be held twice. Shared are the few distinct party ids, statuses, currencies and dates, the
# amounts (an invoice repeats its total as subtotal and amount paid, its charge and QuickBooks
# records repeat it again) and those linking identifiers.
_FAMILIES: Final[dict[str, tuple[str, Callable[[Rows], Iterable[Any]], tuple[int, ...]]]] = {
    "parties": ("parties", _parties, (1,)),
    "leads": ("leads", _plain(SalesLead._make), ()),
    "deals": ("deals", _plain(SalesDeal._make), (1, 4, 5)),
    "subscriptions": ("subscriptions", _plain(StripeSubscription._make), ()),
    "invoices": (
        "invoices",
        _plain(StripeInvoice._make),
        (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17),
    ),
    "ledger_invoices": ("ledger_invoices", _plain(LedgerInvoice._make), (0, 1, 2, 3, 4, 5, 8)),
    "invoice_links": ("invoice_links", _plain(InvoiceLink._make), (0, 1, 2)),
    "charge_links": ("invoice_links", _plain(InvoiceLink._make), (0, 2)),
    "charges": ("charges", _plain(Charge._make), (0, 1, 2, 3, 4, 5)),
    "ledger_payments": ("ledger_payments", _plain(LedgerPayment._make), (1, 2, 3, 4, 7, 8)),
    "refunds": ("refunds", _plain(StripeMoney._make), (1, 3)),
    "refund_receipts": ("refund_receipts", _plain(LedgerNote._make), (1, 4)),
    "disputes": ("disputes", _plain(StripeMoney._make), (1, 3)),
    "credit_notes": ("credit_notes", _plain(StripeMoney._make), (1, 3)),
    "credit_memos": ("credit_memos", _plain(LedgerNote._make), (1, 4)),
    "payouts": ("payouts", _plain(StripeMoney._make), (1, 3, 6)),
    "journal_entries": ("journal_entries", _plain(LedgerNote._make), (1, 4)),
    "deposits": ("deposits", _plain(LedgerNote._make), (1, 4)),
}

FAMILIES: Final = frozenset(_FAMILIES)


class CompactBuilder:
    """Feed `(family, rows)` batches with `add`; take the compact `snapshot` at the end.

    The driver makes a new object for every value, so a million invoices would carry a million
    copies of "usd" and of each customer id; the builder keeps one of each (a third less memory).
    """

    def __init__(self) -> None:
        self.snapshot = Snapshot()
        self._shared: dict[Any, Any] = {}

    def add(self, family: str, rows: Rows) -> None:
        target, convert, shared = _FAMILIES[family]
        items: list[Any] = getattr(self.snapshot, target)
        items.extend(convert(self._share(rows, shared) if shared and rows else rows))

    def _share(self, rows: Rows, shared: tuple[int, ...]) -> Rows:
        # Column-wise, so the per-value work stays in C: transpose, swap each shared column's
        # values for the first equal one seen, transpose back.
        columns: list[Any] = list(zip(*rows, strict=True))
        keep = self._shared.setdefault
        for index in shared:
            column = columns[index]
            if isinstance(column[0], list):  # an array (allocated invoice ids): share its items
                columns[index] = [tuple(map(keep, items, items)) for items in column]
            else:
                columns[index] = map(keep, column, column)
        return list(zip(*columns, strict=True))
