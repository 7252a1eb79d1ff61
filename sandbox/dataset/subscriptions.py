"""Monthly self-serve subscriptions: an invoice per calendar month, charged automatically.

Planted here: `unrecovered_payment` (a renewal whose card keeps declining, more than 14 days
ago, never paid). Normal data only has recovered declines, or declines younger than 12 days.
"""

from __future__ import annotations

from datetime import date

from sandbox.dataset import stripe_billing as sb
from sandbox.dataset import stripe_subscriptions
from sandbox.dataset.context import DAY, Context
from sandbox.dataset.ids import day_start
from sandbox.dataset.invoicing import InvoicePlan, issue
from sandbox.dataset.lines import copy_lines, make_line
from sandbox.dataset.party import Party
from sandbox.dataset.stripe_subscriptions import SubscriptionFacts

PLANS = (("STARTER", 40), ("TEAM", 45), ("BUSINESS", 15))
CHURN_RATE = 0.1


def emit_subscription(ctx: Context, sub: SubscriptionFacts) -> None:
    ctx.emit("stripe", "subscriptions", stripe_subscriptions.subscription(sub))


def add_month(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, 28))


def _cycles(ctx: Context, start: int) -> list[int]:
    """Renewal instants from `start` (same time of day) until before as-of."""
    offset = start % DAY
    cycles, day = [start], ctx.clock.date_of(start)
    while True:
        day = add_month(day)
        moment = day_start(day) + offset
        if moment >= ctx.clock.now - 600:
            return cycles
        cycles.append(moment)


def monthly_story(ctx: Context, party: Party, start: int) -> None:
    rng = ctx.rng
    product = ctx.products[ctx.pick(PLANS)]
    quantity = rng.randint(1, 10) if product.code == "TEAM" else 1
    discount_pct = rng.choice((10, 20)) if rng.random() < 0.15 else 0
    item = ctx.ids.stripe("si")
    line = make_line(ctx, party, product, quantity, (start, start), discount_pct, item)
    sub = SubscriptionFacts(
        id=ctx.ids.stripe("sub"),
        customer=party.stripe.id,
        currency=party.currency,
        created=start,
        interval="month",
        item_id=item,
        price_id=line.price_id,
        product_id=line.product_id,
        unit_amount=line.unit_amount,
        quantity=quantity,
        current_period_start=start,
        current_period_end=start,
    )
    cycles = _cycles(ctx, start)
    fails_at = _failure_cycle(ctx, cycles)
    ends_at = rng.randrange(len(cycles)) if rng.random() < CHURN_RATE else None
    discount_id = ctx.ids.stripe("di") if discount_pct else None
    for position, cycle in enumerate(cycles):
        end = day_start(add_month(ctx.clock.date_of(cycle))) + cycle % DAY
        sub.current_period_start, sub.current_period_end = cycle, end
        lines = copy_lines(ctx, [line])
        lines[0].period_start, lines[0].period_end = cycle, end
        outcome, planted = _outcome(ctx, cycle, position, len(cycles), fails_at)
        reason = "subscription_create" if position == 0 else "subscription_cycle"
        plan = InvoicePlan(
            lines,
            cycle,
            "charge_automatically",
            reason,
            outcome,
            subscription=sub,
            discount_id=discount_id,
            discount_pct=discount_pct or None,
            planted=planted,
        )
        sub.latest_invoice = issue(ctx, party, plan).facts.id
        if planted or outcome == "failing":
            _stop(sub, cycle, "canceled" if planted else "past_due")
            break
        if ends_at == position:
            _stop(sub, end - DAY, "canceled")
            break
    else:
        _maybe_draft(ctx, party, sub, line, discount_id, discount_pct)
    emit_subscription(ctx, sub)


def _failure_cycle(ctx: Context, cycles: list[int]) -> int | None:
    """The renewal whose card fails for good, for the subscriptions picked to end that way."""
    old = [n for n, cycle in enumerate(cycles) if ctx.clock.age(cycle) > 17 * DAY]
    if not old or not ctx.planter.take("unrecovered_payment"):
        return None
    return ctx.rng.choice(old)


def _outcome(
    ctx: Context, cycle: int, position: int, count: int, fails_at: int | None
) -> tuple[str, str | None]:
    age = ctx.clock.age(cycle)
    if position == fails_at:
        return "unrecovered", "unrecovered_payment"
    if position == count - 1 and age < 12 * DAY and ctx.rng.random() < 0.05:
        return "failing", None
    if age > 10 * DAY and ctx.rng.random() < 0.09:
        return "retried", None
    return "paid", None


def _stop(sub: SubscriptionFacts, at: int, status: str) -> None:
    sub.status = status
    if status == "canceled":
        sub.canceled_at = sub.ended_at = at


def _maybe_draft(
    ctx: Context,
    party: Party,
    sub: SubscriptionFacts,
    line: sb.LineFacts,
    discount_id: str | None,
    discount_pct: int,
) -> None:
    """Stripe drafts a renewal an hour before finalising it; some fall just before as-of."""
    if ctx.rng.random() >= 0.1:
        return
    created = ctx.clock.now - ctx.rng.randint(300, 3000)
    lines = copy_lines(ctx, [line])
    lines[0].period_start, lines[0].period_end = created + 3600, created + 3600 + 30 * DAY
    plan = InvoicePlan(
        lines,
        created,
        "charge_automatically",
        "subscription_cycle",
        "draft",
        subscription=sub,
        discount_id=discount_id,
        discount_pct=discount_pct or None,
    )
    sub.latest_invoice = issue(ctx, party, plan).facts.id
