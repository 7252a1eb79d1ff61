"""DSO and CEI per currency over the period ending at the as-of date.

Receivables are Stripe invoices that were finalized and are owed: open now (their remaining
amount), or paid after the moment in question (their total). Void and uncollectible invoices are
not receivables (written off). Credit sales are the totals of invoices finalized in the period.
DSO = ending AR / credit sales * days; CEI = (beginning AR + credit sales - ending AR) /
(beginning AR + credit sales - ending current AR) * 100.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from canonical.money import Money
from reconciliation.model import CollectionMetrics
from reconciliation.snapshot_types import StripeInvoice

_OWED = ("open", "paid")


def collection_metrics(
    invoices: list[StripeInvoice], *, as_of: date, period_days: int
) -> tuple[CollectionMetrics, ...]:
    end = datetime.combine(as_of, time(), tzinfo=UTC)
    start = end - timedelta(days=period_days)
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # begin, sales, end, current
    for inv in invoices:
        if inv.status not in _OWED or inv.finalized_at is None or inv.finalized_at >= end:
            continue
        row = sums[inv.currency]
        row[0] += _owed_at(inv, start)
        if inv.finalized_at >= start:
            row[1] += inv.total
        owed = _owed_at(inv, end)
        row[2] += owed
        if inv.due_date is None or inv.due_date >= as_of:
            row[3] += owed
    return tuple(_metrics(c, sums[c], period_days) for c in sorted(sums))


def _owed_at(inv: StripeInvoice, moment: datetime) -> int:
    if inv.finalized_at is None or inv.finalized_at >= moment:
        return 0
    if inv.status == "open":
        # Partial payments have no date in the snapshot: count them as made before `moment`.
        return inv.remaining
    paid_later = inv.paid_at is not None and inv.paid_at >= moment
    return inv.total if paid_later else 0


def _metrics(currency: str, row: list[int], days: int) -> CollectionMetrics:
    begin, sales, ending, current = row
    dso = None if sales == 0 else (Decimal(ending) * days / sales).quantize(Decimal("0.1"))
    denominator = begin + sales - current
    cei = (
        None
        if denominator == 0
        else (Decimal(begin + sales - ending) * 100 / denominator).quantize(Decimal("0.1"))
    )
    return CollectionMetrics(
        currency=currency,
        period_days=days,
        beginning_ar=Money(begin, currency),
        credit_sales=Money(sales, currency),
        ending_ar=Money(ending, currency),
        ending_current_ar=Money(current, currency),
        dso_days=dso,
        cei_percent=cei,
    )
