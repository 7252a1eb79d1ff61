"""Ledger postings for money going back out: refunds, credit notes and lost disputes."""

from __future__ import annotations

from sandbox.dataset import quickbooks as qbo
from sandbox.dataset import quickbooks_journal as qbj
from sandbox.dataset import stripe_payments as sp
from sandbox.dataset.context import Context
from sandbox.dataset.money import to_decimal
from sandbox.dataset.party import Party
from sandbox.dataset.posting import not_posted_yet, other_currency, plant_for, sync_time

CREDIT_MEMO_SHARE = 0.2


def post_refund(
    ctx: Context, party: Party, refund_id: str, amount: int, created: int, charge: sp.ChargeFacts
) -> None:
    if not_posted_yet(ctx, created, refund_id):
        return
    kinds: tuple[str, ...] = ("missing_in_ledger", "amount_mismatch")
    if charge.currency in ("usd", "eur", "gbp"):
        kinds += ("currency_mismatch",)
    plant = plant_for(ctx, created, kinds)
    booked, currency = amount, charge.currency.upper()
    if plant == "missing_in_ledger":
        ctx.planter.record(plant, "stripe", refund_id, amount, charge.currency)
        return
    if plant == "amount_mismatch":
        # The classic slip: the whole charge booked for a partial refund, or a full one short.
        booked = charge.amount if amount < charge.amount else amount - max(1, amount // 10)
        ctx.planter.record(plant, "stripe", refund_id, abs(booked - amount), charge.currency)
    elif plant == "currency_mismatch":
        currency = other_currency(charge.currency)
        ctx.planter.record(plant, "stripe", refund_id, amount, charge.currency)
    as_memo = plant is None and (
        ctx.rng.random() < CREDIT_MEMO_SHARE or ctx.planter.trap_wanted("refund_as_credit_memo")
    )
    facts = qbj.QboCreditFacts(
        id=ctx.ids.quickbooks("CreditMemo" if as_memo else "RefundReceipt"),
        customer_id=party.qbo.id,
        customer_name=party.name,
        currency=currency,
        txn_date=ctx.clock.date_of(created),
        amount=to_decimal(booked, charge.currency),
        description=f"Refund of charge {charge.id}",
        private_note=f"Stripe refund {refund_id}",
        doc_number=ctx.next_doc_number(),
        created=sync_time(ctx, created),
    )
    if as_memo:
        ctx.planter.trap("refund_as_credit_memo", refund_id)
        party.qbo_balance -= booked
        ctx.emit("quickbooks", "CreditMemo", qbj.credit_memo(facts))
    else:
        bank = qbo.bank_account(ctx.accounts, currency)
        ctx.emit("quickbooks", "RefundReceipt", qbj.refund_receipt(facts, bank))


def post_credit_note(ctx: Context, party: Party, note_id: str, amount: int, created: int) -> None:
    if not_posted_yet(ctx, created, note_id):
        return
    if plant_for(ctx, created, ("missing_in_ledger",)) is not None:
        ctx.planter.record("missing_in_ledger", "stripe", note_id, amount, party.currency)
        return
    party.qbo_balance -= amount
    facts = qbj.QboCreditFacts(
        id=ctx.ids.quickbooks("CreditMemo"),
        customer_id=party.qbo.id,
        customer_name=party.name,
        currency=party.qbo_currency,
        txn_date=ctx.clock.date_of(created),
        amount=to_decimal(amount, party.currency),
        description="Service credit",
        private_note=f"Stripe credit note {note_id}",
        doc_number=ctx.next_doc_number(),
        created=sync_time(ctx, created),
    )
    ctx.emit("quickbooks", "CreditMemo", qbj.credit_memo(facts))


def post_lost_dispute(
    ctx: Context, party: Party, dispute_id: str, charge: sp.ChargeFacts, decided: int
) -> None:
    bank = qbo.bank_account(ctx.accounts, charge.currency.upper())
    ctx.emit(
        "quickbooks",
        "JournalEntry",
        qbj.journal_entry(
            ctx.ids.quickbooks("JournalEntry"),
            charge.currency.upper(),
            ctx.clock.date_of(decided),
            to_decimal(charge.amount, charge.currency),
            f"Stripe dispute {dispute_id} lost ({charge.id}, {party.name})",
            qbo.account_by_name(ctx.accounts, "Chargebacks"),
            bank,
            sync_time(ctx, decided),
        ),
    )
