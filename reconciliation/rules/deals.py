"""Won deals against billing: never billed, or billed short of the deal amount.

A deal is linked to a Stripe invoice carrying its Id in `metadata.salesforce_opportunity_id`, or
to every invoice of a subscription carrying it (each invoice counted once). Billed means the
invoices' totals excluding tax, for invoices open, paid or uncollectible. The two kinds exclude
each other: an unbilled deal has nothing billed to compare.
"""

from __future__ import annotations

from collections import defaultdict

from canonical.records import Finding, FindingKind, Source
from reconciliation.model import MatchMethod, PairType
from reconciliation.rules.context import RuleContext, money_text, salesforce, stripe
from reconciliation.snapshot_types import SalesDeal, StripeInvoice

K = FindingKind
_BILLED = ("open", "paid", "uncollectible")


def deal_findings(ctx: RuleContext) -> list[Finding]:
    linked, subscribed = _links(ctx)
    found: list[Finding] = []
    for deal in ctx.snapshot.deals:
        if not deal.is_won or deal.close_date is None or deal.currency is None:
            continue
        if (ctx.as_of - deal.close_date).days <= ctx.thresholds.deal_grace_days:
            continue
        invoices = linked.get(deal.id, {})
        method = _method(invoices, deal.id in subscribed)
        ctx.tally.count(PairType.DEAL, method)
        if method is None:
            found.append(_unbilled(ctx, deal))
            continue
        billed = sum(inv.total - inv.tax for inv in invoices.values() if inv.status in _BILLED)
        if billed * 100 < deal.amount * ctx.thresholds.underbilled_percent:
            found.append(_underbilled(ctx, deal, billed, tuple(invoices)))
    return found


def _links(ctx: RuleContext) -> tuple[dict[str, dict[str, StripeInvoice]], dict[str, str]]:
    subscribed = {s.deal_id: s.id for s in ctx.snapshot.subscriptions if s.deal_id}
    deal_of_subscription = {s.id: s.deal_id for s in ctx.snapshot.subscriptions if s.deal_id}
    linked: dict[str, dict[str, StripeInvoice]] = defaultdict(dict)
    for inv in ctx.snapshot.invoices:
        for deal_id in {inv.deal_id, deal_of_subscription.get(inv.subscription_id or "")}:
            if deal_id:
                linked[deal_id][inv.id] = inv
    return linked, subscribed


def _method(invoices: dict[str, StripeInvoice], subscribed: bool) -> MatchMethod | None:
    if subscribed:
        return MatchMethod.SUBSCRIPTION
    return MatchMethod.METADATA if invoices else None


def _unbilled(ctx: RuleContext, deal: SalesDeal) -> Finding:
    currency = deal.currency or ""
    days = (ctx.as_of - deal.close_date).days if deal.close_date else 0
    detail = f"won {days} days ago for {money_text(deal.amount, currency)}, never billed"
    return ctx.finding(
        K.UNBILLED_DEAL,
        salesforce(deal.id),
        deal.amount,
        currency,
        detail,
        party=(Source.SALESFORCE, deal.party_id),
    )


def _underbilled(
    ctx: RuleContext, deal: SalesDeal, billed: int, invoice_ids: tuple[str, ...]
) -> Finding:
    currency = deal.currency or ""
    detail = (
        f"deal {money_text(deal.amount, currency)}, billed "
        f"{money_text(billed, currency)} (excluding tax)"
    )
    return ctx.finding(
        K.UNDERBILLED_DEAL,
        salesforce(deal.id),
        deal.amount - billed,
        currency,
        detail,
        records=tuple(stripe(i) for i in invoice_ids),
        party=(Source.SALESFORCE, deal.party_id),
    )
