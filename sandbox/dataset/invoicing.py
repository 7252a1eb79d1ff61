"""An invoice's life: finalisation, payment attempts, the planted discrepancy (if any), and the
records it leaves in Stripe and in the ledger.

Outcomes (`InvoicePlan.outcome`): paid, retried (declines then success), failing (recent
declines, still open), unrecovered (old declines, never paid; planted), open, overdue,
uncollectible, partial (trap), void, draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.dataset import children, posting
from sandbox.dataset import stripe_billing as sb
from sandbox.dataset.context import DAY, PLANT_MIN_AGE, Context
from sandbox.dataset.party import Party
from sandbox.dataset.payments import Attempt, IntentResult, emit_intent, run_intent
from sandbox.dataset.stripe_billing import InvoiceFacts, LineFacts
from sandbox.dataset.stripe_subscriptions import SubscriptionFacts


@dataclass
class InvoicePlan:
    lines: list[LineFacts]
    created: int
    collection: str
    billing_reason: str
    outcome: str
    metadata: dict[str, str] = field(default_factory=dict)
    subscription: SubscriptionFacts | None = None
    discount_id: str | None = None
    discount_pct: int | None = None
    planted: str | None = None
    protected: bool = False  # a trap: keep the invoice itself free of planted findings


@dataclass
class Issued:
    facts: InvoiceFacts
    intents: list[IntentResult]
    plant: str | None = None
    discount_pct: int | None = None

    @property
    def successes(self) -> list[IntentResult]:
        return [result for result in self.intents if result.succeeded is not None]


def _finalize(ctx: Context, party: Party, plan: InvoicePlan) -> InvoiceFacts:
    sub = plan.subscription
    facts = InvoiceFacts(
        id=ctx.ids.stripe("in"),
        customer=party.stripe,
        currency=party.currency,
        created=plan.created,
        collection_method=plan.collection,
        lines=plan.lines,
        billing_reason=plan.billing_reason,
        discount_id=plan.discount_id,
        tax_rate_id=party_tax_rate(ctx, party),
        metadata=dict(plan.metadata),
        subscription=sub.id if sub else None,
        subscription_metadata=dict(sub.metadata) if sub else None,
    )
    if plan.outcome == "draft":
        return facts
    facts.finalized_at = plan.created + (3600 if plan.collection == "charge_automatically" else 60)
    party.stripe.next_invoice_sequence += 1
    facts.number = f"{party.stripe.invoice_prefix}-{party.stripe.next_invoice_sequence - 1:04d}"
    facts.status = "open"
    if plan.collection == "send_invoice":
        facts.due_date = facts.finalized_at + 30 * DAY
    return facts


def party_tax_rate(ctx: Context, party: Party) -> str | None:
    if not party.taxable:
        return None
    return ctx.price_id("tax", party.currency).replace("price_", "txr_")


def _attempt_times(ctx: Context, start: int, declines: int, success: bool) -> list[Attempt]:
    # Smart retries: about 3, 5 and 7 days after the first decline.
    times = [start + ctx.rng.randint(60, 600)]
    for gap in (3, 2, 2, 2)[: declines - 1 + int(success)]:
        times.append(times[-1] + gap * DAY + ctx.rng.randint(0, 7200))
    return [Attempt(at, success and index == len(times) - 1) for index, at in enumerate(times)]


def _simulate(
    ctx: Context, party: Party, plan: InvoicePlan, facts: InvoiceFacts
) -> list[IntentResult]:
    """Run the outcome's payment attempts and set the invoice's status fields to match."""
    assert facts.finalized_at is not None
    start, outcome, rng = facts.finalized_at, plan.outcome, ctx.rng
    if outcome in ("open", "overdue", "draft"):
        return []
    if outcome == "void":
        facts.status, facts.voided_at = "void", start + rng.randint(1, 4) * DAY
        return []
    if outcome == "uncollectible":
        facts.status = "uncollectible"
        facts.marked_uncollectible_at = (facts.due_date or start) + 30 * DAY
        return []
    amount = facts.total
    if outcome == "partial":
        amount = facts.total * rng.randint(30, 70) // 100
        attempts = [Attempt(start + rng.randint(2, 20) * DAY, True)]
    elif outcome == "paid" and plan.collection == "send_invoice":
        attempts = [Attempt(start + rng.randint(1, 20) * DAY + rng.randint(0, DAY), True)]
    elif outcome == "paid":
        attempts = _attempt_times(ctx, start, 0, True)
    elif outcome == "retried":
        attempts = _attempt_times(ctx, start, rng.randint(1, 2), True)
    else:  # failing, unrecovered
        attempts = _attempt_times(
            ctx, start, rng.randint(1, 2 if outcome == "failing" else 4), False
        )
    attempts = [attempt for attempt in attempts if attempt.at < ctx.clock.now - 60]
    result = run_intent(ctx, party, amount, start, attempts, _describe(facts), {})
    facts.attempt_count = len(attempts) if plan.collection == "charge_automatically" else 0
    if result.succeeded is not None:
        facts.amount_paid = amount
        if outcome != "partial":
            facts.status, facts.paid_at = "paid", result.succeeded.created
    elif outcome == "unrecovered":
        party.failing = True
        if start + 20 * DAY < ctx.clock.now - DAY:
            facts.status, facts.marked_uncollectible_at = "uncollectible", start + 20 * DAY
    return [result]


def _describe(facts: InvoiceFacts) -> str:
    return f"Payment for Invoice {facts.number}" if facts.number else "Invoice payment"


def _choose_plant(ctx: Context, facts: InvoiceFacts, intents: list[IntentResult]) -> str | None:
    """The invoice-level discrepancy to plant, among those this invoice is eligible for."""
    assert facts.finalized_at is not None
    if ctx.clock.age(facts.finalized_at) < PLANT_MIN_AGE:
        return None
    successes = [result for result in intents if result.succeeded is not None]
    candidates: tuple[str, ...] = ()
    if facts.status == "paid" and len(successes) == 1 and not facts.subscription_metadata:
        candidates = ("missing_in_ledger", "status_mismatch", "duplicate_payment")
    elif facts.status == "paid" and len(successes) == 1:
        candidates = ("missing_in_ledger", "status_mismatch")
    elif facts.status == "open" and not intents:
        candidates = ("missing_in_ledger", "amount_mismatch")
        if facts.currency in ("usd", "eur", "gbp"):
            candidates += ("currency_mismatch",)
    elif facts.status == "uncollectible" and not intents:
        candidates = ("missing_in_ledger",)
    elif facts.status == "void":
        candidates = ("status_mismatch",)
    for kind in candidates:
        if ctx.planter.take(kind):
            return kind
    return None


def _duplicate_charge(ctx: Context, party: Party, issued: Issued) -> None:
    first = issued.successes[0].succeeded
    assert first is not None
    at = first.created + ctx.rng.randint(1, 3) * DAY
    if at >= ctx.clock.now - DAY:
        at = first.created + 3600
    result = run_intent(
        ctx, party, first.amount, at, [Attempt(at + 30, True)], first.description, {}
    )
    issued.intents.append(result)
    issued.facts.amount_paid += first.amount
    second = result.succeeded
    assert second is not None
    ctx.planter.record("duplicate_payment", "stripe", second.id, second.amount, second.currency)


def issue(ctx: Context, party: Party, plan: InvoicePlan) -> Issued:
    facts = _finalize(ctx, party, plan)
    intents = _simulate(ctx, party, plan, facts) if facts.finalized_at is not None else []
    issued = Issued(facts, intents, plan.planted, plan.discount_pct)
    if issued.plant is None and facts.finalized_at is not None and not plan.protected:
        issued.plant = _choose_plant(ctx, facts, intents)
    if issued.plant == "duplicate_payment":
        _duplicate_charge(ctx, party, issued)
    refunds = children.for_invoice(ctx, party, issued) if issued.plant is None else {}
    _emit_stripe(ctx, issued, refunds)
    posting.post_invoice(ctx, party, issued)
    _record_stripe_side(ctx, plan, issued)
    return issued


def _record_stripe_side(ctx: Context, plan: InvoicePlan, issued: Issued) -> None:
    """Truth for the kinds visible in Stripe alone, and the partial-payment trap."""
    facts = issued.facts
    if issued.plant == "excess_discount":
        threshold = facts.subtotal * 20 // 100
        ctx.planter.record(
            "excess_discount", "stripe", facts.id, facts.discount - threshold, facts.currency
        )
    elif issued.plant == "unrecovered_payment":
        ctx.planter.record(
            "unrecovered_payment", "stripe", facts.id, facts.amount_remaining, facts.currency
        )
    if plan.outcome == "partial" and 0 < facts.amount_paid < facts.total:
        ctx.planter.trap("partial_payment", facts.id)


def _emit_stripe(ctx: Context, issued: Issued, refunds: dict[str, list[dict[str, object]]]) -> None:
    facts = issued.facts
    ctx.emit("stripe", "invoices", sb.invoice(facts))
    for position, result in enumerate(issued.intents):
        paid = result.succeeded.created if result.succeeded is not None else None
        ctx.emit(
            "stripe",
            "invoice_payments",
            sb.invoice_payment(
                ctx.ids.stripe("inpay"),
                facts.id,
                result.intent.id,
                facts.currency,
                result.intent.amount,
                paid,
                result.intent.created,
                position == 0,
            ),
        )
        emit_intent(ctx, result, refunds)
