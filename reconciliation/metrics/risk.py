"""Per-customer collection risk, 0-100, from four explained factors.

Each factor turns a raw value into 0..1, then weighs it: days-to-pay trend (recent invoices paid
slower than earlier ones; 30 days slower is the maximum), failed payment attempts (4 or more is the
maximum), the oldest overdue open invoice (90 days is the maximum) and disputes (2 or more).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from canonical.money import Money
from canonical.records import Source
from reconciliation.linking import Parties
from reconciliation.metrics.aging import days_past_due
from reconciliation.metrics.common import per_currency
from reconciliation.model import RiskFactor, RiskFactorName, RiskScore
from reconciliation.snapshot import Snapshot
from reconciliation.snapshot_types import StripeInvoice

F = RiskFactorName
WEIGHTS = {
    F.DAYS_TO_PAY_TREND: Decimal(25),
    F.FAILED_ATTEMPTS: Decimal(25),
    F.OVERDUE_BALANCE: Decimal(30),
    F.DISPUTES: Decimal(20),
}
SCALES = {F.DAYS_TO_PAY_TREND: 30, F.FAILED_ATTEMPTS: 4, F.OVERDUE_BALANCE: 90, F.DISPUTES: 2}
_TENTH = Decimal("0.1")


@dataclass(slots=True)
class CustomerHistory:
    days_to_pay: list[tuple[date, int]] = field(default_factory=list)
    failed: int = 0
    disputes: int = 0
    overdue: list[StripeInvoice] = field(default_factory=list)
    oldest_overdue: int = 0

    def overdue_amounts(self) -> tuple[Money, ...]:
        return per_currency((inv.currency, inv.remaining) for inv in self.overdue)


def histories(snapshot: Snapshot, as_of: date) -> dict[str, CustomerHistory]:
    """Payment history per Stripe customer id."""
    found: dict[str, CustomerHistory] = defaultdict(CustomerHistory)
    for inv in snapshot.invoices:
        if inv.party_id is None or inv.finalized_at is None:
            continue
        if inv.status == "paid" and inv.paid_at is not None:
            days = (inv.paid_at - inv.finalized_at).days
            found[inv.party_id].days_to_pay.append((inv.finalized_at.date(), days))
        elif inv.status == "open" and inv.remaining > 0:
            late = days_past_due(inv, as_of)
            if late > 0:
                history = found[inv.party_id]
                history.overdue.append(inv)
                history.oldest_overdue = max(history.oldest_overdue, late)
    disputed = {d.parent_id for d in snapshot.disputes}
    customer_of = {}  # only the disputed charges' (a map of every charge: 80 MB at a million)
    for charge in snapshot.charges:
        if charge.status == "failed" and charge.party_id:
            found[charge.party_id].failed += 1
        if charge.id in disputed:
            customer_of[charge.id] = charge.party_id
    for dispute in snapshot.disputes:
        party = customer_of.get(dispute.parent_id or "")
        if party:
            found[party].disputes += 1
    return found


def score(party: str, history: CustomerHistory, parties: Parties) -> RiskScore:
    ref = parties.ref(Source.STRIPE, party)
    assert ref is not None
    trend = _trend(history.days_to_pay)
    factors = (
        _factor(F.DAYS_TO_PAY_TREND, Decimal(trend), _trend_text(trend, len(history.days_to_pay))),
        _factor(
            F.FAILED_ATTEMPTS,
            Decimal(history.failed),
            f"{history.failed} failed payment attempt(s)",
        ),
        _factor(
            F.OVERDUE_BALANCE,
            Decimal(history.oldest_overdue),
            _overdue_text(history),
        ),
        _factor(
            F.DISPUTES, Decimal(history.disputes), f"{history.disputes} dispute(s) on its payments"
        ),
    )
    total = sum((f.contribution for f in factors), Decimal(0)).quantize(_TENTH)
    return RiskScore(ref, parties.name(ref), total, factors)


def _factor(name: RiskFactorName, value: Decimal, text: str) -> RiskFactor:
    normalised = min(max(value, Decimal(0)) / SCALES[name], Decimal(1))
    contribution = (normalised * WEIGHTS[name]).quantize(_TENTH)
    return RiskFactor(name, value, WEIGHTS[name], contribution, text)


def _trend(samples: list[tuple[date, int]]) -> int:
    """Mean days-to-pay of the later half minus the earlier half (positive: paying slower)."""
    if len(samples) < 2:
        return 0
    ordered = [days for _, days in sorted(samples)]
    half = len(ordered) // 2
    earlier, later = ordered[:half], ordered[half:]
    return round(sum(later) / len(later) - sum(earlier) / len(earlier))


def _trend_text(trend: int, samples: int) -> str:
    if samples < 2:
        return "too few paid invoices to see a trend"
    if trend > 0:
        return f"recent invoices paid {trend} days slower than earlier ones"
    return "paying as fast as before or faster"


def _overdue_text(history: CustomerHistory) -> str:
    if not history.overdue:
        return "nothing overdue"
    amounts = ", ".join(str(m) for m in history.overdue_amounts())
    return f"{amounts} overdue, the oldest {history.oldest_overdue} days"


def risk_scores(
    snapshot: Snapshot,
    parties: Parties,
    *,
    as_of: date,
    known: dict[str, CustomerHistory] | None = None,
) -> tuple[RiskScore, ...]:
    """Scores of customers with any risk signal, highest first; `known`: `histories` already
    worked out for this snapshot and date (the worklist reads the same)."""
    found = histories(snapshot, as_of) if known is None else known
    # Only customers that can score above 0 are scored (most pay on time and would be built
    # only to be dropped: a quarter of a gigabyte at a million invoices).
    scores = [
        risk
        for party, history in found.items()
        if _may_score(history) and (risk := score(party, history, parties)).score > 0
    ]
    scores.sort(key=lambda s: (-s.score, s.party))
    return tuple(scores)


def _may_score(history: CustomerHistory) -> bool:
    """False only when every factor is 0; any positive whole value of a factor contributes at
    least 0.3 of its weight's tenths (1 day of 90 at weight 30), so this is exactly score > 0."""
    if history.failed > 0 or history.disputes > 0 or history.oldest_overdue > 0:
        return True
    return len(history.days_to_pay) > 1 and _trend(history.days_to_pay) > 0
