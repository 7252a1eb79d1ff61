"""The revenue-cycle funnel: leads -> converted -> deals won -> billed -> collected -> booked.

A won deal is billed when an invoice (open, paid or uncollectible) is linked to it, collected
when such an invoice is paid, and booked when a paid invoice's payment is posted in QuickBooks.
Amounts: won deals at their amount, billed at the invoices' totals, collected and booked at the
paid totals. Median days run lead created -> deal won, won -> first invoice, invoice -> paid,
paid -> posted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from canonical.money import Money
from reconciliation.linking import LedgerIndex
from reconciliation.metrics.common import median, per_currency, ratio
from reconciliation.model import Funnel, FunnelStage, FunnelStageName, StageDuration
from reconciliation.snapshot import Snapshot
from reconciliation.snapshot_types import Charge, SalesDeal, StripeInvoice

S = FunnelStageName
_BILLED = ("open", "paid", "uncollectible")


@dataclass(slots=True)
class _Stage:
    count: int = 0
    amounts: list[tuple[str, int]] = field(default_factory=list)


@dataclass(slots=True)
class _Gaps:
    lead_won: list[int] = field(default_factory=list)
    won_invoiced: list[int] = field(default_factory=list)
    invoiced_paid: list[int] = field(default_factory=list)
    paid_booked: list[int] = field(default_factory=list)


def funnel(
    snapshot: Snapshot, ledger: LedgerIndex, charges_by_invoice: dict[str, list[Charge]]
) -> Funnel:
    stages = {name: _Stage() for name in S}
    gaps = _Gaps()
    stages[S.LEADS].count = len(snapshot.leads)
    lead_of_deal = {lead.deal_id: lead for lead in snapshot.leads if lead.deal_id}
    stages[S.CONVERTED].count = sum(1 for lead in snapshot.leads if lead.converted_on)
    invoices_of = _invoices_by_deal(snapshot)
    for deal in snapshot.deals:
        if not deal.is_won or deal.currency is None:
            continue
        _won(stages[S.DEALS_WON], gaps, deal, lead_of_deal.get(deal.id))
        billed = [inv for inv in invoices_of.get(deal.id, ()) if inv.status in _BILLED]
        if billed:
            _billed(stages, gaps, deal, billed, ledger, charges_by_invoice)
    return Funnel(_stages(stages), _durations(gaps))


def _invoices_by_deal(snapshot: Snapshot) -> dict[str, list[StripeInvoice]]:
    deal_of_subscription = {s.id: s.deal_id for s in snapshot.subscriptions if s.deal_id}
    found: dict[str, list[StripeInvoice]] = defaultdict(list)
    for inv in snapshot.invoices:
        deal_id = inv.deal_id or deal_of_subscription.get(inv.subscription_id or "")
        if deal_id:
            found[deal_id].append(inv)
    return found


def _won(stage: _Stage, gaps: _Gaps, deal: SalesDeal, lead: object) -> None:
    stage.count += 1
    stage.amounts.append((deal.currency or "", deal.amount))
    created = getattr(lead, "created_at", None)
    if isinstance(created, datetime) and deal.close_date is not None:
        gaps.lead_won.append((deal.close_date - created.date()).days)


def _billed(
    stages: dict[FunnelStageName, _Stage],
    gaps: _Gaps,
    deal: SalesDeal,
    billed: list[StripeInvoice],
    ledger: LedgerIndex,
    charges_by_invoice: dict[str, list[Charge]],
) -> None:
    _add(stages[S.BILLED], billed)
    first = min((inv.finalized_at for inv in billed if inv.finalized_at), default=None)
    if first is not None and deal.close_date is not None:
        gaps.won_invoiced.append((first.date() - deal.close_date).days)
    paid = [inv for inv in billed if inv.status == "paid" and inv.paid_at]
    if not paid:
        return
    _add(stages[S.COLLECTED], paid)
    for inv in paid:
        if inv.finalized_at and inv.paid_at:
            gaps.invoiced_paid.append((inv.paid_at - inv.finalized_at).days)
    booked = [inv for inv in paid if _posted(inv, ledger, charges_by_invoice) is not None]
    if booked:
        _add(stages[S.BOOKED], booked)
        for inv in booked:
            posted = _posted(inv, ledger, charges_by_invoice)
            if posted is not None and inv.paid_at is not None:
                gaps.paid_booked.append((posted - inv.paid_at.date()).days)


def _add(stage: _Stage, invoices: list[StripeInvoice]) -> None:
    stage.count += 1
    stage.amounts.extend((inv.currency, inv.total) for inv in invoices)


def _posted(
    inv: StripeInvoice, ledger: LedgerIndex, charges_by_invoice: dict[str, list[Charge]]
) -> date | None:
    for charge in charges_by_invoice.get(inv.id, ()):
        if (moment := ledger.booked_on(charge.id)) is not None:
            return moment
    return None


def _stages(stages: dict[FunnelStageName, _Stage]) -> tuple[FunnelStage, ...]:
    result: list[FunnelStage] = []
    previous: int | None = None
    for name in S:
        stage = stages[name]
        amounts: tuple[Money, ...] = per_currency(stage.amounts)
        conversion = None if previous is None else ratio(stage.count, previous)
        result.append(FunnelStage(name, stage.count, amounts, conversion))
        previous = stage.count
    return tuple(result)


def _durations(gaps: _Gaps) -> tuple[StageDuration, ...]:
    pairs = (
        ("lead", "won", gaps.lead_won),
        ("won", "invoiced", gaps.won_invoiced),
        ("invoiced", "paid", gaps.invoiced_paid),
        ("paid", "booked", gaps.paid_booked),
    )
    return tuple(StageDuration(a, b, median(v), len(v)) for a, b, v in pairs)
