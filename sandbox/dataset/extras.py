"""Records outside the invoice flow: one-off card payments with no invoice (posted to QuickBooks
as unapplied payments), QuickBooks-native invoices that claim no Stripe origin, and the planted
`missing_in_billing` invoices that claim a Stripe invoice that does not exist."""

from __future__ import annotations

from decimal import Decimal

from sandbox.dataset import quickbooks as qbo
from sandbox.dataset.context import DAY, Context
from sandbox.dataset.lines import unit_price
from sandbox.dataset.money import to_decimal
from sandbox.dataset.party import Party
from sandbox.dataset.payments import Attempt, emit_intent, run_intent
from sandbox.dataset.posting import (
    not_posted_yet,
    other_currency,
    plant_for,
    post_payment,
    sync_time,
)

ONE_OFF_RATE = 0.1
NATIVE_INVOICE_RATE = 0.15


def one_off_payment(ctx: Context, party: Party) -> None:
    if ctx.rng.random() >= ONE_OFF_RATE:
        return
    at = party.created + ctx.rng.randint(0, max(1, ctx.clock.age(party.created) - 600))
    amount = unit_price(ctx.products["ONB"], party.currency, False) // ctx.rng.choice((1, 2, 4))
    description = "Professional services prepayment"
    result = run_intent(ctx, party, amount, at - 30, [Attempt(at, True)], description, {})
    emit_intent(ctx, result, {})
    charge = result.succeeded
    assert charge is not None
    if not_posted_yet(ctx, at, charge.id):
        return
    kinds: tuple[str, ...] = ("missing_in_ledger", "amount_mismatch", "duplicate_payment")
    if party.currency in ("usd", "eur", "gbp"):
        kinds += ("currency_mismatch",)
    plant = plant_for(ctx, at, kinds)
    booked, currency = amount, None
    if plant == "missing_in_ledger":
        ctx.planter.record(plant, "stripe", charge.id, amount, party.currency)
        return
    if plant == "amount_mismatch":
        booked = amount - (amount * 29 + 999) // 1000  # posted net of an estimated fee
        ctx.planter.record(plant, "stripe", charge.id, amount - booked, party.currency)
    elif plant == "currency_mismatch":
        currency = other_currency(party.currency)
        ctx.planter.record(plant, "stripe", charge.id, amount, party.currency)
    post_payment(ctx, party, charge, None, at, booked, currency)
    if plant == "duplicate_payment":
        later = min(sync_time(ctx, at) + ctx.rng.randint(1, 3) * DAY, ctx.clock.now - 3600)
        second = post_payment(ctx, party, charge, None, later)
        ctx.planter.record(plant, "quickbooks", second, amount, party.currency)


def _qbo_only_invoice(
    ctx: Context, party: Party, amount: int, at: int, note: str | None, paid: bool
) -> str:
    invoice_id = ctx.ids.quickbooks("Invoice")
    value = to_decimal(amount, party.currency)
    payments: list[str] = []
    if paid:
        payments.append(_check_payment(ctx, party, invoice_id, value, at + 10 * DAY))
    else:
        party.qbo_balance += amount
    line = qbo.SalesLine("Consulting services", value, value, 1, "2", "Consulting")
    facts = qbo.QboInvoiceFacts(
        id=invoice_id,
        customer_id=party.qbo.id,
        customer_name=party.name,
        email=party.email,
        currency=party.qbo_currency,
        txn_date=ctx.clock.date_of(at),
        due_date=ctx.clock.date_of(at + 30 * DAY),
        doc_number=ctx.next_doc_number(),
        private_note=note,
        lines=[line],
        discount=Decimal(0),
        discount_percent=None,
        tax=Decimal(0),
        total=value,
        balance=Decimal(0) if paid else value,
        created=at,
        updated=at,
        payment_ids=payments,
    )
    ctx.emit("quickbooks", "Invoice", qbo.invoice(facts))
    return invoice_id


def _check_payment(ctx: Context, party: Party, invoice_id: str, value: Decimal, at: int) -> str:
    payment_id = ctx.ids.quickbooks("Payment")
    facts = qbo.QboPaymentFacts(
        id=payment_id,
        customer_id=party.qbo.id,
        customer_name=party.name,
        currency=party.qbo_currency,
        txn_date=ctx.clock.date_of(at),
        amount=value,
        invoice_id=invoice_id,
        ref_num=f"CHK {ctx.rng.randint(1000, 9999)}",
        private_note=None,
        deposit_account="1",
        created=at,
    )
    ctx.emit("quickbooks", "Payment", qbo.payment(facts))
    return payment_id


def ledger_only_invoices(ctx: Context, party: Party) -> None:
    rng = ctx.rng
    base = unit_price(ctx.products["ONB"], party.currency, False)
    if rng.random() < NATIVE_INVOICE_RATE:
        for _ in range(rng.randint(1, 2)):
            at = ctx.clock.days_ago(rng.uniform(5, 300))
            paid = at < ctx.clock.days_ago(40) and rng.random() < 0.7
            note = rng.choice((None, "Consulting hours, on-site", "Training workshop"))
            _qbo_only_invoice(ctx, party, base * rng.randint(1, 4) // 2, at, note, paid)
    if ctx.planter.take("missing_in_billing"):
        at = ctx.clock.days_ago(rng.uniform(10, 300))
        ghost = ctx.ids.stripe("in")  # an id Stripe never issued
        amount = base * rng.randint(1, 3)
        invoice_id = _qbo_only_invoice(ctx, party, amount, at, f"Stripe invoice {ghost}", False)
        ctx.planter.record("missing_in_billing", "quickbooks", invoice_id, amount, party.currency)
