"""Sales-led customers: opportunities (won, lost, open) with line items, and how each won deal
is billed: a one-off invoice, or an annual subscription that renews.

Planted here: `unbilled_deal` (a won deal never billed), `underbilled_deal` (a one-off invoice
that leaves out a line), `excess_discount` (a discount above 20% without approval), and the traps
"won deal closed yesterday" and "approved discount".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sandbox.dataset import salesforce as sf
from sandbox.dataset.context import DAY, Context, Product
from sandbox.dataset.customers import emit_contacts, emit_converted_lead
from sandbox.dataset.invoicing import InvoicePlan, issue
from sandbox.dataset.lines import copy_lines, make_line
from sandbox.dataset.money import to_decimal
from sandbox.dataset.party import Party
from sandbox.dataset.stripe_billing import LineFacts
from sandbox.dataset.stripe_subscriptions import SubscriptionFacts
from sandbox.dataset.subscriptions import emit_subscription

YEAR = 365 * DAY
APPROVERS = ("cfo@revcycle-sandbox.example", "vp.sales@revcycle-sandbox.example")


@dataclass
class Deal:
    facts: sf.OpportunityFacts
    lines: list[LineFacts]
    discount_pct: int
    metadata: dict[str, str]
    excess: bool


def sales_story(ctx: Context, party: Party) -> None:
    account = party.sf_account
    assert account is not None
    contact = emit_contacts(ctx, account)
    start = party.created
    first = _won_deal(ctx, party, start, "New Customer", annual=ctx.rng.random() < 0.45)
    emit_converted_lead(ctx, account, contact, first.facts.id)
    window = ctx.clock.now - 20 * DAY - (start + 60 * DAY)
    if window > 0 and ctx.rng.random() < 0.3:
        close = start + 60 * DAY + ctx.rng.randint(0, window)
        _won_deal(ctx, party, close, "Existing Customer - Upgrade", annual=False)
    if ctx.rng.random() < 0.02 or ctx.planter.trap_wanted("deal_closed_yesterday"):
        _closed_yesterday(ctx, party)
    for _ in range(ctx.rng.choice((0, 0, 1, 1, 2))):
        _unwon_deal(ctx, party)


def _opportunity(
    ctx: Context, party: Party, close: int, kind: str, stage: tuple[str, int, str]
) -> sf.OpportunityFacts:
    account = party.sf_account
    assert account is not None
    created = max(account.created, close - ctx.rng.randint(14, 90) * DAY)
    return sf.OpportunityFacts(
        id=ctx.ids.salesforce("Opportunity"),
        account=account,
        name=f"{party.name.split(' ')[0]} {party.name.split(' ')[1]} - {kind}",
        stage=stage[0],
        probability=stage[1],
        forecast=stage[2],
        amount=Decimal(0),
        close_date=ctx.clock.date_of(close),
        kind=kind,
        created=created,
        modified=min(max(close, created), ctx.clock.now - 60),
        has_lines=True,
    )


def _choose_discount(ctx: Context, billed_once: bool) -> tuple[int, bool, bool]:
    """(percent, planted excess, approved) for a new deal."""
    rng = ctx.rng
    if billed_once and ctx.planter.take("excess_discount"):
        return rng.choice((25, 30, 35, 40)), True, False
    if billed_once and (rng.random() < 0.03 or ctx.planter.trap_wanted("approved_discount")):
        return rng.choice((25, 30)), False, True
    return rng.choice((0, 0, 0, 5, 10, 15, 20)), False, False


def _deal_lines(
    ctx: Context, party: Party, close: int, annual: bool, discount_pct: int
) -> list[LineFacts]:
    products = ctx.products
    period = (close, close + YEAR)
    seats = ctx.rng.randint(5, 60)
    if annual:
        return [make_line(ctx, party, products["SEAT"], seats, period, 0, ctx.ids.stripe("si"))]
    lines = [
        make_line(ctx, party, products["PLAT"], 1, period, discount_pct),
        make_line(ctx, party, products["SEAT"], seats, period, discount_pct),
    ]
    extra: Product = ctx.rng.choice((products["ONB"], products["SUP"]))
    if ctx.rng.random() < 0.5:
        lines.append(make_line(ctx, party, extra, 1, period, discount_pct))
    return lines


def _won_deal(ctx: Context, party: Party, close: int, kind: str, annual: bool) -> Deal:
    facts = _opportunity(ctx, party, close, kind, ("Closed Won", 100, "Closed"))
    unbilled = ctx.planter.take("unbilled_deal")
    pct, excess, approved = (0, False, False) if annual or unbilled else _choose_discount(ctx, True)
    lines = _deal_lines(ctx, party, close, annual, pct)
    net = sum(line.amount - line.discount for line in lines)
    facts.amount = to_decimal(net, party.currency)
    metadata = {"salesforce_opportunity_id": facts.id}
    if approved:
        metadata["discount_approved_by"] = ctx.rng.choice(APPROVERS)
    deal = Deal(facts, lines, pct, metadata, excess)
    _emit_opportunity(ctx, party, deal)
    if unbilled:
        ctx.planter.record("unbilled_deal", "salesforce", facts.id, net, party.currency)
    elif annual:
        _bill_annually(ctx, party, deal, close + ctx.rng.randint(1, 3) * DAY)
    else:
        _bill_once(ctx, party, deal, close + ctx.rng.randint(1, 5) * DAY + ctx.rng.randint(0, DAY))
    return deal


def _emit_opportunity(ctx: Context, party: Party, deal: Deal) -> None:
    ctx.emit("salesforce", "Opportunity", sf.opportunity(deal.facts, ctx.pricebook))
    for order, line in enumerate(deal.lines, start=1):
        product = next(p for p in ctx.products.values() if p.stripe_product == line.product_id)
        item = sf.LineItemFacts(
            id=ctx.ids.salesforce("OpportunityLineItem"),
            product_id=product.sf_product,
            pricebook_entry_id=product.sf_pricebook_entry,
            product_code=product.code,
            name=product.name,
            quantity=line.quantity,
            unit_price=to_decimal(line.unit_amount, party.currency),
            discount_percent=deal.discount_pct,
            total=to_decimal(line.amount - line.discount, party.currency),
            sort_order=order,
        )
        ctx.emit("salesforce", "OpportunityLineItem", sf.opportunity_line_item(deal.facts, item))


def _one_off_outcome(ctx: Context, created: int) -> str:
    rng = ctx.rng
    if ctx.clock.age(created) < 35 * DAY:
        return "paid" if rng.random() < 0.6 else "open"
    if rng.random() < 0.03 or ctx.planter.trap_wanted("partial_payment"):
        return "partial"
    return ctx.pick((("paid", 85), ("overdue", 4), ("uncollectible", 3), ("void", 5)))


def _bill_once(ctx: Context, party: Party, deal: Deal, created: int) -> None:
    lines = deal.lines
    planted: str | None = "excess_discount" if deal.excess else None
    if planted is None and ctx.planter.take("underbilled_deal"):
        lines = lines[:-1]  # the last product never made it onto the invoice
        billed = sum(line.amount - line.discount for line in lines)
        missing = sum(line.amount - line.discount for line in deal.lines) - billed
        ctx.planter.record("underbilled_deal", "salesforce", deal.facts.id, missing, party.currency)
    outcome = "paid" if planted else _one_off_outcome(ctx, created)
    if outcome == "void":
        _issue_once(ctx, party, deal, copy_lines(ctx, lines), created, "void", None)
        created += ctx.rng.randint(5, 9) * DAY
        outcome = "paid"
    _issue_once(ctx, party, deal, lines, created, outcome, planted)


def _issue_once(
    ctx: Context,
    party: Party,
    deal: Deal,
    lines: list[LineFacts],
    created: int,
    outcome: str,
    planted: str | None,
) -> None:
    plan = InvoicePlan(
        lines=lines,
        created=created,
        collection="send_invoice",
        billing_reason="manual",
        outcome=outcome,
        metadata=dict(deal.metadata),
        discount_id=ctx.ids.stripe("di") if deal.discount_pct else None,
        discount_pct=deal.discount_pct or None,
        planted=planted,
        protected="discount_approved_by" in deal.metadata,
    )
    issued = issue(ctx, party, plan)
    if "discount_approved_by" in deal.metadata and outcome != "void":
        ctx.planter.trap("approved_discount", issued.facts.id)


def _bill_annually(ctx: Context, party: Party, deal: Deal, start: int) -> None:
    line = deal.lines[0]
    assert line.subscription_item is not None
    sub = SubscriptionFacts(
        id=ctx.ids.stripe("sub"),
        customer=party.stripe.id,
        currency=party.currency,
        created=start,
        interval="year",
        item_id=line.subscription_item,
        price_id=line.price_id,
        product_id=line.product_id,
        unit_amount=line.unit_amount,
        quantity=line.quantity,
        current_period_start=start,
        current_period_end=start + YEAR,
        metadata={"salesforce_opportunity_id": deal.facts.id},
    )
    lines, cycle = deal.lines, start
    while cycle < ctx.clock.now - DAY:
        sub.current_period_start, sub.current_period_end = cycle, cycle + YEAR
        for item in lines:
            item.period_start, item.period_end = cycle, cycle + YEAR
        reason = "subscription_create" if cycle == start else "subscription_cycle"
        age = ctx.clock.age(cycle)
        outcome = "retried" if age > 10 * DAY and ctx.rng.random() < 0.1 else "paid"
        plan = InvoicePlan(lines, cycle, "charge_automatically", reason, outcome, subscription=sub)
        sub.latest_invoice = issue(ctx, party, plan).facts.id
        lines, cycle = copy_lines(ctx, lines), cycle + YEAR
    emit_subscription(ctx, sub)


def _closed_yesterday(ctx: Context, party: Party) -> None:
    close = ctx.clock.now - DAY
    deal_facts = _opportunity(
        ctx, party, close, "Existing Customer - Upgrade", ("Closed Won", 100, "Closed")
    )
    lines = _deal_lines(ctx, party, close, annual=False, discount_pct=0)
    deal_facts.amount = to_decimal(sum(line.amount for line in lines), party.currency)
    _emit_opportunity(ctx, party, Deal(deal_facts, lines, 0, {}, False))
    ctx.planter.trap("deal_closed_yesterday", deal_facts.id)


def _unwon_deal(ctx: Context, party: Party) -> None:
    rng = ctx.rng
    if rng.random() < 0.5:
        stage = ("Closed Lost", 0, "Omitted")
        close = ctx.clock.days_ago(rng.uniform(5, 300))
    else:
        stage = rng.choice(sf.STAGES_OPEN)
        close = ctx.clock.now + rng.randint(10, 120) * DAY
    facts = _opportunity(
        ctx, party, min(close, ctx.clock.now - DAY), "Existing Customer - Upgrade", stage
    )
    facts.close_date = ctx.clock.date_of(close)
    lines = _deal_lines(ctx, party, close, annual=False, discount_pct=0)
    facts.amount = to_decimal(sum(line.amount for line in lines), party.currency)
    _emit_opportunity(ctx, party, Deal(facts, lines, 0, {}, False))
