"""AR aging: open Stripe invoices' remaining amounts by days past due, per currency."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from canonical.money import Money
from reconciliation.model import AgingBucket, AgingBucketName, AgingRow
from reconciliation.snapshot_types import StripeInvoice

B = AgingBucketName
_ORDER = (B.CURRENT, B.DAYS_1_30, B.DAYS_31_60, B.DAYS_61_90, B.DAYS_90_PLUS)


def days_past_due(inv: StripeInvoice, as_of: date) -> int:
    """Days past the due date (or past finalisation when there is none); 0 or less is current."""
    due = inv.due_date or (inv.finalized_at.date() if inv.finalized_at else as_of)
    return (as_of - due).days


def bucket_of(days: int) -> AgingBucketName:
    if days <= 0:
        return B.CURRENT
    if days <= 30:
        return B.DAYS_1_30
    if days <= 60:
        return B.DAYS_31_60
    if days <= 90:
        return B.DAYS_61_90
    return B.DAYS_90_PLUS


def aging(invoices: list[StripeInvoice], *, as_of: date) -> tuple[AgingRow, ...]:
    sums: dict[str, dict[AgingBucketName, list[int]]] = defaultdict(
        lambda: {name: [0, 0] for name in _ORDER}
    )
    for inv in invoices:
        if inv.status != "open" or inv.remaining <= 0 or inv.finalized_at is None:
            continue
        cell = sums[inv.currency][bucket_of(days_past_due(inv, as_of))]
        cell[0] += inv.remaining
        cell[1] += 1
    rows = []
    for currency in sorted(sums):
        buckets = tuple(
            AgingBucket(name, Money(sums[currency][name][0], currency), sums[currency][name][1])
            for name in _ORDER
        )
        total = Money(sum(b.amount.minor for b in buckets), currency)
        rows.append(AgingRow(currency, buckets, total))
    return tuple(rows)
