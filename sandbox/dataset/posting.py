"""The ledger side: how an accounting-sync tool posts Stripe activity to QuickBooks, and where
the planted discrepancies bend it.

Normal postings follow DESIGN.md's linking conventions exactly: invoice DocNumber = Stripe number
and/or `Stripe invoice in_...` in PrivateNote; payments carry the `ch_` id in PaymentRefNum or the
`ch_`/`pi_` id in PrivateNote and link the invoice; refunds, credit notes, lost disputes and
payouts name their Stripe id in PrivateNote.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sandbox.dataset import quickbooks as qbo
from sandbox.dataset import stripe_payments as sp
from sandbox.dataset.context import PLANT_MIN_AGE, UNPOSTED_MAX_AGE, Context
from sandbox.dataset.money import to_decimal
from sandbox.dataset.party import Party

if TYPE_CHECKING:
    from sandbox.dataset.invoicing import Issued

CURRENCY_TRAP_LIMIT = 6
# How a payment names its Stripe origin: (PaymentRefNum holds ch_, note holds ch_, note holds pi_).
REF_STYLES = (("refnum", 50), ("note_charge", 30), ("note_intent", 20))


def sync_time(ctx: Context, moment: int) -> int:
    """When the sync tool wrote the record: minutes after the Stripe event, never after as-of."""
    return min(moment + ctx.rng.randint(60, 900), ctx.clock.now - 1)


def not_posted_yet(ctx: Context, moment: int, stripe_id: str) -> bool:
    """A young object may still be waiting for the sync (a grace-period trap)."""
    if ctx.clock.age(moment) >= UNPOSTED_MAX_AGE:
        return False
    if ctx.rng.random() < 0.5 or ctx.planter.trap_wanted("inside_ledger_grace"):
        ctx.planter.trap("inside_ledger_grace", stripe_id)
        return True
    return False


def plant_for(ctx: Context, moment: int, kinds: tuple[str, ...]) -> str | None:
    if ctx.clock.age(moment) < PLANT_MIN_AGE:
        return None
    for kind in kinds:
        if ctx.planter.take(kind):
            return kind
    return None


def other_currency(currency: str) -> str:
    return "EUR" if currency == "usd" else "USD"


def _invoice_link(ctx: Context, issued: Issued) -> tuple[str | None, str | None]:
    facts = issued.facts
    style = ctx.rng.random()
    note = f"Stripe invoice {facts.id}"
    if style < 0.7:
        return facts.number, note
    if style < 0.9:
        return facts.number, "Synced from Stripe"
    return ctx.next_doc_number(), note


def _sales_lines(issued: Issued, void: bool) -> list[qbo.SalesLine]:
    currency = issued.facts.currency
    return [
        qbo.SalesLine(
            line.description,
            Decimal(0) if void else to_decimal(line.amount, currency),
            to_decimal(line.unit_amount, currency),
            line.quantity,
            "1",
            "Services",
        )
        for line in issued.facts.lines
    ]


def post_invoice(ctx: Context, party: Party, issued: Issued) -> None:
    facts = issued.facts
    if facts.finalized_at is None or not_posted_yet(ctx, facts.finalized_at, facts.id):
        return
    plant = issued.plant
    if plant == "missing_in_ledger":
        ctx.planter.record(plant, "stripe", facts.id, facts.total, facts.currency)
        return
    qbo_id = ctx.ids.quickbooks("Invoice")
    payment_ids: list[str] = []
    created = sync_time(ctx, facts.finalized_at)
    updated = created
    if plant != "status_mismatch":
        for position, result in enumerate(issued.successes):
            charge = result.succeeded
            assert charge is not None
            applied = qbo_id if position == 0 else None  # an overpayment stays unapplied
            payment_ids.append(post_payment(ctx, party, charge, applied, created))
            updated = max(updated, sync_time(ctx, charge.created))
        if len(issued.successes) == 1 and plant is None and facts.status == "paid":
            _maybe_duplicate_posting(ctx, party, issued, created)
    void = facts.status == "void" and plant != "status_mismatch"
    total = 0 if void else facts.total
    tax = 0 if void else facts.tax
    balance = _qbo_balance(facts.status, total, facts.amount_paid, plant)
    currency = facts.currency.upper()
    if plant == "amount_mismatch":
        delta = -facts.tax if facts.tax else max(1, facts.total_excluding_tax // 20)
        tax, total, balance = tax + delta, total + delta, total + delta
        ctx.planter.record(plant, "stripe", facts.id, abs(delta), facts.currency)
    elif plant == "currency_mismatch":
        currency = other_currency(facts.currency)
        ctx.planter.record(plant, "stripe", facts.id, facts.total, facts.currency)
    elif plant == "status_mismatch":
        ctx.planter.record(plant, "stripe", facts.id, balance, facts.currency)
    doc_number, note = _invoice_link(ctx, issued)
    if void:
        note = f"Voided - {note}"
    party.qbo_balance += balance if currency == party.qbo_currency else 0
    if plant is None:
        _currency_trap(ctx, facts.currency, facts.id)
    due = facts.due_date if facts.due_date is not None else facts.finalized_at
    ctx.emit(
        "quickbooks",
        "Invoice",
        qbo.invoice(
            qbo.QboInvoiceFacts(
                id=qbo_id,
                customer_id=party.qbo.id,
                customer_name=party.name,
                email=party.email,
                currency=currency,
                txn_date=ctx.clock.date_of(facts.finalized_at),
                due_date=ctx.clock.date_of(due),
                doc_number=doc_number,
                private_note=note,
                lines=_sales_lines(issued, void),
                discount=Decimal(0) if void else to_decimal(facts.discount, facts.currency),
                discount_percent=issued.discount_pct,
                tax=to_decimal(tax, facts.currency),
                total=to_decimal(total, facts.currency),
                balance=to_decimal(balance, facts.currency),
                created=created,
                updated=updated,
                payment_ids=payment_ids,
            )
        ),
    )


def _qbo_balance(status: str, total: int, paid: int, plant: str | None) -> int:
    if plant == "status_mismatch":
        return total
    if status in ("paid", "void"):
        return 0
    return max(0, total - paid)


def _currency_trap(ctx: Context, currency: str, stripe_id: str) -> None:
    kind = {"jpy": "zero_decimal_currency", "kwd": "three_decimal_currency"}.get(currency)
    if kind is not None and len(ctx.planter.traps[kind]) < CURRENCY_TRAP_LIMIT:
        ctx.planter.trap(kind, stripe_id)


def _maybe_duplicate_posting(ctx: Context, party: Party, issued: Issued, after: int) -> None:
    charge = issued.successes[0].succeeded
    assert charge is not None
    if plant_for(ctx, charge.created, ("duplicate_payment",)) is None:
        return
    later = max(after, charge.created) + ctx.rng.randint(1, 3) * 86400
    second = post_payment(ctx, party, charge, None, min(later, ctx.clock.now - 3600))
    ctx.planter.record("duplicate_payment", "quickbooks", second, charge.amount, charge.currency)


def post_payment(
    ctx: Context,
    party: Party,
    charge: sp.ChargeFacts,
    invoice_id: str | None,
    not_before: int,
    amount: int | None = None,
    currency: str | None = None,
) -> str:
    """A QBO Payment for a succeeded charge; `invoice_id=None` leaves it unapplied."""
    style = ctx.pick(REF_STYLES)
    ref_num = charge.id if style == "refnum" else None
    if style == "note_intent":
        note = f"Stripe payment {charge.payment_intent}"
    else:
        note = f"Stripe charge {charge.id} ({charge.payment_intent})"
    payment_id = ctx.ids.quickbooks("Payment")
    value = to_decimal(charge.amount if amount is None else amount, charge.currency)
    if invoice_id is None:
        party.qbo_balance -= charge.amount if amount is None else amount
    ctx.emit(
        "quickbooks",
        "Payment",
        qbo.payment(
            qbo.QboPaymentFacts(
                id=payment_id,
                customer_id=party.qbo.id,
                customer_name=party.name,
                currency=currency or charge.currency.upper(),
                txn_date=ctx.clock.date_of(charge.created),
                amount=value,
                invoice_id=invoice_id,
                ref_num=ref_num,
                private_note=note,
                deposit_account="1",
                created=max(not_before, sync_time(ctx, charge.created)),
            )
        ),
    )
    return payment_id
