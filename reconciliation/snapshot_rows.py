"""Compact rows straight from the store into the snapshot, skipping canonical records.

`canonical.store.snapshot_loader.stream_compact` hands over rows whose columns are already in
each named tuple's field order (see its `COMPACT_QUERIES`), so a row becomes a tuple with one
C-level call (`tuple.__new__`); only parties (a `Source`) need a touch, and ledger payments'
invoice ids (an array, a list from the driver) become a tuple while their values are shared.
`CompactBuilder().add` is the sink:

    builder = CompactBuilder()
    await stream_compact(store, builder.add)
    reconcile(builder.snapshot, as_of=...)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from operator import itemgetter
from typing import Any, Final, NamedTuple, TypeVar, cast

from canonical.records import Source
from reconciliation.snapshot import Snapshot, StorePairs
from reconciliation.snapshot_types import (
    Charge,
    InvoiceCounterpart,
    InvoiceLink,
    LedgerInvoice,
    LedgerNote,
    LedgerPayment,
    PartyRow,
    RefPosting,
    SalesDeal,
    SalesLead,
    StripeInvoice,
    StripeMoney,
    StripeSubscription,
)

Rows = Sequence[Sequence[Any]]
_T = TypeVar("_T", bound=tuple[Any, ...])


def _parties(rows: Rows) -> Iterable[PartyRow]:
    return (PartyRow(Source(r[0]), r[1], r[2], r[3], r[4]) for r in rows)


def _new(cls: type[_T]) -> Callable[[Iterable[Any]], _T]:
    """`cls._make` without its check of the row's width (each query fixes it), all in C."""
    return cast(Callable[[Iterable[Any]], _T], partial(tuple.__new__, cls))


def _plain(make: Callable[[Iterable[Any]], Any]) -> Callable[[Rows], Iterable[Any]]:
    return lambda rows: map(make, rows)


def _as_is(rows: Rows) -> Iterable[Any]:
    """Rows that are already what the target holds: (key, value) pairs for a dict."""
    return rows


def _optional(make: Callable[[Iterable[Any]], Any]) -> Callable[[Rows], Iterable[Any]]:
    """A left join's rows: all NULL (no counterpart) becomes None."""
    return lambda rows: (None if r[0] is None else make(r) for r in rows)


def _keyed(make: Callable[[Iterable[Any]], Any]) -> Callable[[Rows], Iterable[Any]]:
    """Rows of a key and a tuple's fields: (key, tuple) pairs for a dict, all in C."""
    rest = itemgetter(slice(1, None))
    return lambda rows: zip(map(itemgetter(0), rows), map(make, map(rest, rows)), strict=True)


class _Family(NamedTuple):
    """Where a family's rows go, how they become tuples, and which columns are shared."""

    target: str  # the snapshot list it fills
    convert: Callable[[Rows], Iterable[Any]]
    values: tuple[int, ...] = ()  # few distinct values: one shared table
    links: tuple[int, ...] = ()  # identifiers another family holds too: another table
    amounts: tuple[int, ...] = ()  # amounts: shared within a chunk of rows
    convert_reads_twice: bool = False  # `convert` needs a sequence, not an iterator


# The driver makes a new object for every value, so without sharing a million invoices would carry
# a million copies of "usd" and of each customer id, and every identifier that links two families
# (an invoice id on its invoice payment, a charge id in a QuickBooks PaymentRefNum, a DocNumber on
# both sides, a QuickBooks invoice id in an allocation) would be held twice. Shared values are the
# party ids, statuses, currencies and dates. The identifiers get a table of their own, so the
# millions of them do not crowd the small one out of the CPU cache. Amounts are shared only within
# a chunk of rows, where a row repeats one (an invoice's total as its subtotal and balance): in one
# table for the whole run, the half million distinct amounts at a million invoices made every
# lookup a cache miss (1.2 s of the invoices' 2.6 s, 1.5 s of the charges' 2.3 s) to save about
# 60 MB of copies held by other families (a charge repeating its invoice's total). Small amounts
# (zero discounts and taxes) are Python's own shared integers anyway.
_FAMILIES: Final[dict[str, _Family]] = {
    "parties": _Family("parties", _parties, (1,)),
    "leads": _Family("leads", _plain(_new(SalesLead))),
    "deals": _Family("deals", _plain(_new(SalesDeal)), (1, 4, 5)),
    "subscriptions": _Family("subscriptions", _plain(_new(StripeSubscription))),
    "invoices": _Family(
        "invoices",
        _plain(_new(StripeInvoice)),
        (1, 2, 3, 13, 14, 15, 16),
        (0, 9),
        (4, 5, 8),
    ),
    "ledger_invoices": _Family(
        "ledger_invoices", _plain(_new(LedgerInvoice)), (1, 2, 7), (0, 5), (3, 4)
    ),
    "invoice_links": _Family("invoice_links", _plain(_new(InvoiceLink)), (), (0, 1, 2)),
    "charge_links": _Family("invoice_links", _plain(_new(InvoiceLink)), (), (0, 2)),
    "charges": _Family("charges", _plain(_new(Charge)), (1, 3, 5), (0, 2)),
    "ledger_payments": _Family("ledger_payments", _plain(_new(LedgerPayment)), (1, 6), (0, 3, 7)),
    "refunds": _Family("refunds", _plain(_new(StripeMoney)), (1, 3)),
    "refund_receipts": _Family("refund_receipts", _plain(_new(LedgerNote)), (1, 4)),
    "disputes": _Family("disputes", _plain(_new(StripeMoney)), (1, 3)),
    "credit_notes": _Family("credit_notes", _plain(_new(StripeMoney)), (1, 3)),
    "credit_memos": _Family("credit_memos", _plain(_new(LedgerNote)), (1, 4)),
    "payouts": _Family("payouts", _plain(_new(StripeMoney)), (1, 3, 6)),
    "journal_entries": _Family("journal_entries", _plain(_new(LedgerNote)), (1, 4)),
    "deposits": _Family("deposits", _plain(_new(LedgerNote)), (1, 4)),
    # Paired by the store (`StorePairs`): one row per Stripe invoice; a charge's id and posting.
    "invoice_numbers": _Family(
        "paired.invoice_numbers", _optional(_new(InvoiceCounterpart)), (1,), (), (2, 3)
    ),
    "charge_postings": _Family(
        "paired.charge_postings",
        _keyed(_new(RefPosting)),
        (2, 5),
        convert_reads_twice=True,
    ),
    # (charge id, booking date) pairs straight into the dict; the dates, few distinct days, shared.
    "agreed_postings": _Family("paired.agreed_postings", _as_is, (1,)),
}

# With the store's pairs, no other family holds a Stripe invoice's or a charge's identifiers: the
# links that repeated them are resolved by the store (`StorePairs.link_invoices`), and the
# QuickBooks rows naming them by DocNumber or PaymentRefNum stay in the store. Sharing them would
# only fill a table of millions of entries: at a million invoices and charges it took 2.1 s.
_PAIRED_FAMILIES: Final[dict[str, _Family]] = {
    **_FAMILIES,
    "invoices": _FAMILIES["invoices"]._replace(links=()),
    "charges": _FAMILIES["charges"]._replace(links=()),
}
RESOLVED_LINKS: Final = "invoice_charges"  # rows for `StorePairs.link_invoices`
_CHUNK: Final = 4096  # rows whose values are shared in one pass (`CompactBuilder._shared`)
FAMILIES: Final = frozenset((*_FAMILIES, RESOLVED_LINKS))


class CompactBuilder:
    """Feed `(family, rows)` batches with `add`; take the compact `snapshot` at the end.

    Equal values are held once (see `_FAMILIES`); the tables go with the builder.
    """

    def __init__(self, *, paired: bool = False) -> None:
        self.snapshot = Snapshot(paired=StorePairs() if paired else None)
        self._families = _PAIRED_FAMILIES if paired else _FAMILIES
        self._values: dict[Any, Any] = {}
        self._links: dict[Any, Any] = {}

    def add(self, family: str, rows: Rows) -> None:
        if family == RESOLVED_LINKS:
            assert self.snapshot.paired is not None, "resolved links come with the store's pairs"
            _add_links(self.snapshot.paired, rows)
            return
        spec = self._families[family]
        owner: Any = self.snapshot
        target = spec.target
        if target.startswith("paired."):
            owner, target = self.snapshot.paired, target.removeprefix("paired.")
        items: list[Any] | dict[Any, Any] = getattr(owner, target)
        fill = items.update if isinstance(items, dict) else items.extend
        if not rows or not (spec.values or spec.links or spec.amounts):
            fill(spec.convert(rows))
            return
        for chunk in self._shared(rows, spec):
            fill(spec.convert(chunk))

    def _shared(self, rows: Rows, spec: _Family) -> Iterator[Rows]:
        """`rows` a few thousand at a time, each shared column's values swapped for the first
        equal one seen.

        Column-wise, so the per-value work stays in C: transpose, swap, transpose back. A chunk
        at a time, so each column's pass finds its values still in the CPU cache (a whole batch
        of 100,000 rows is read from memory once per column: a third slower at a million). A
        chunk's rows are made as they are converted, so each is built once and not kept.
        """
        for start in range(0, len(rows), _CHUNK):
            columns: list[Any] = list(zip(*rows[start : start + _CHUNK], strict=True))
            amounts: dict[Any, Any] = {}
            tables = (
                (self._values, spec.values),
                (self._links, spec.links),
                (amounts, spec.amounts),
            )
            for table, indexes in tables:
                keep = table.setdefault
                for index in indexes:
                    column = columns[index]
                    if isinstance(column[0], list):  # an array (allocated invoice ids): its items
                        columns[index] = [tuple(map(keep, items, items)) for items in column]
                    else:
                        columns[index] = map(keep, column, column)
            chunk = zip(*columns, strict=True)
            yield list(chunk) if spec.convert_reads_twice else cast(Rows, chunk)


def _add_links(pairs: StorePairs, rows: Rows) -> None:
    """Rows of (invoice id, charge position or NULL)."""
    if rows:
        invoices, charges = zip(*rows, strict=True)
        pairs.link_invoices.extend(invoices)
        pairs.link_charges.extend(-1 if c is None else c for c in charges)
