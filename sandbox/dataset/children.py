"""What can happen to a paid invoice afterwards: a refund, a dispute or a credit note (at most
one each, so every planted discrepancy stays the only one on its records)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.dataset import posting_credits as posting
from sandbox.dataset import stripe_adjustments as sa
from sandbox.dataset import stripe_payments as sp
from sandbox.dataset.context import DAY, Context, available_on, dispute_fee
from sandbox.dataset.party import Party
from sandbox.stripe_shapes import balance_transaction

if TYPE_CHECKING:
    from sandbox.dataset.invoicing import Issued

RefundsByCharge = dict[str, list[dict[str, Any]]]
REFUND_RATE = 0.05
DISPUTE_RATE = 0.015
CREDIT_NOTE_RATE = 0.03
DISPUTE_DECIDED_AFTER = 25 * DAY


def for_invoice(ctx: Context, party: Party, issued: Issued) -> RefundsByCharge:
    successes = issued.successes
    if issued.facts.status != "paid" or len(successes) != 1:
        return {}
    charge = successes[0].succeeded
    assert charge is not None
    roll = ctx.rng.random()
    if roll < REFUND_RATE:
        return refund(ctx, party, charge)
    if roll < REFUND_RATE + DISPUTE_RATE or ctx.planter.need("unrecorded_dispute"):
        dispute(ctx, party, charge)
    elif roll < REFUND_RATE + DISPUTE_RATE + CREDIT_NOTE_RATE:
        credit_note(ctx, party, issued)
    return {}


def refund(ctx: Context, party: Party, charge: sp.ChargeFacts) -> RefundsByCharge:
    created = charge.created + ctx.rng.randint(1, 40) * DAY + ctx.rng.randint(0, DAY)
    if created >= ctx.clock.now - 60:
        return {}
    full = ctx.rng.random() < 0.4
    amount = charge.amount if full else max(1, charge.amount * ctx.rng.randint(10, 60) // 100)
    charge.amount_refunded = amount
    txn = ctx.ids.stripe("txn")
    refund_id = ctx.ids.stripe("re")
    landing = available_on(created)
    ctx.emit(
        "stripe",
        "balance_transactions",
        balance_transaction(
            txn,
            -amount,
            0,
            charge.currency,
            created,
            landing,
            refund_id,
            "refund",
            "REFUND FOR CHARGE",
            pending=landing >= ctx.clock.now,
        ),
    )
    ctx.land_in_balance(charge.currency, landing, -amount)
    reason = "requested_by_customer" if full else "duplicate"
    body = sp.refund(refund_id, charge, amount, created, txn, reason)
    ctx.emit("stripe", "refunds", body)
    posting.post_refund(ctx, party, refund_id, amount, created, charge)
    return {charge.id: [body]}


def _dispute_txn(
    ctx: Context, charge: sp.ChargeFacts, amount: int, fee: int, at: int, kind: str
) -> dict[str, Any]:
    landing = available_on(at)
    ctx.land_in_balance(charge.currency, landing, amount - fee)
    body = balance_transaction(
        ctx.ids.stripe("txn"),
        amount,
        fee,
        charge.currency,
        at,
        landing,
        charge.id,
        "adjustment",
        f"Chargeback {kind} for {charge.id}",
        pending=landing >= ctx.clock.now,
    )
    ctx.emit("stripe", "balance_transactions", body)
    return body


def dispute(ctx: Context, party: Party, charge: sp.ChargeFacts) -> None:
    created = charge.created + ctx.rng.randint(5, 60) * DAY
    if created >= ctx.clock.now - DAY:
        return
    decided = created + DISPUTE_DECIDED_AFTER
    if decided >= ctx.clock.now - DAY:
        status = "needs_response"
    elif ctx.planter.need("unrecorded_dispute") or ctx.rng.random() < 0.45:
        status = "lost"
    else:
        status = "won"
    charge.disputed = True
    txns = [
        _dispute_txn(
            ctx, charge, -charge.amount, dispute_fee(charge.currency), created, "withdrawal"
        )
    ]
    if status == "won":
        txns.append(_dispute_txn(ctx, charge, charge.amount, 0, decided, "reversal"))
    dispute_id = ctx.ids.stripe("dp")
    reason = ctx.rng.choice(("fraudulent", "product_not_received", "subscription_canceled"))
    charge_body = sp.charge(charge, [])
    ctx.emit(
        "stripe", "disputes", sa.dispute(dispute_id, charge_body, status, reason, created, txns)
    )
    if status != "lost":
        return
    if ctx.planter.take("unrecorded_dispute"):
        ctx.planter.record(
            "unrecorded_dispute", "stripe", dispute_id, charge.amount, charge.currency
        )
        return
    posting.post_lost_dispute(ctx, party, dispute_id, charge, decided)


def credit_note(ctx: Context, party: Party, issued: Issued) -> None:
    facts = issued.facts
    assert facts.paid_at is not None
    assert facts.number is not None
    created = facts.paid_at + ctx.rng.randint(1, 30) * DAY + ctx.rng.randint(0, DAY)
    if created >= ctx.clock.now - 60:
        return
    amount = max(1, facts.total * ctx.rng.randint(5, 30) // 100)
    facts.post_payment_credit_notes_amount += amount
    party.stripe.balance -= amount
    note_id = ctx.ids.stripe("cn")
    invoice_ref = {"id": facts.id, "currency": facts.currency, "customer": party.stripe.id}
    body = sa.credit_note(
        note_id,
        ctx.ids.stripe("cnli"),
        f"{facts.number}-CN-01",
        invoice_ref,
        amount,
        created,
        ctx.ids.stripe("cbtxn"),
    )
    ctx.emit("stripe", "credit_notes", body)
    posting.post_credit_note(ctx, party, note_id, amount, created)
