"""Stripe payments, refunds and credit notes against their QuickBooks postings.

A Stripe "payment" is a succeeded charge; failed charges are attempts and never posted. One
Stripe object named by two QuickBooks postings is a duplicate: the later posting is the finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from canonical.records import Finding, FindingKind, Source
from reconciliation.model import MatchMethod, PairType
from reconciliation.rules.context import RuleContext, money_text, quickbooks, stripe
from reconciliation.rules.invoices import InvoiceOutcome
from reconciliation.snapshot import Charge, LedgerInvoice, LedgerNote, LedgerPayment

K = FindingKind
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Posting = LedgerPayment | LedgerNote


def payment_findings(ctx: RuleContext, invoices: InvoiceOutcome) -> list[Finding]:
    invoice_of = {c.id: inv for inv, cs in ctx.charges_by_invoice.items() for c in cs}
    found: list[Finding] = []
    for charge in ctx.snapshot.charges:
        if charge.status != "succeeded":
            continue
        if not ctx.past(charge.created_at, ctx.thresholds.ledger_grace_days):
            continue
        named = ctx.ledger.payments_by_charge.get(charge.id, [])
        matches: list[Posting] = [payment for payment, _ in named]
        method = named[0][1] if named else None
        if not named:
            ledger_invoice = invoices.matched.get(invoice_of.get(charge.id, ""))
            fallback = _fallback(ctx, charge, ledger_invoice)
            if fallback is not None:
                matches, method = [fallback], MatchMethod.LINKED_TXN
        ctx.tally.count(PairType.PAYMENT, method)
        if len(matches) == 1 and _agrees(matches[0], charge):
            continue  # the common case: one posting, same currency and amount, no finding
        found.extend(
            _compare(ctx, charge.id, charge.amount, charge.currency, matches, charge.party_id)
        )
    return found


def _agrees(posting: Posting, charge: Charge) -> bool:
    """What `_compare` checks of a lone posting, without building anything."""
    return posting.amount == charge.amount and posting.currency == charge.currency.upper()


def _fallback(
    ctx: RuleContext, charge: Charge, ledger_invoice: LedgerInvoice | None
) -> LedgerPayment | None:
    if ledger_invoice is None:
        return None
    return ctx.ledger.unnamed_payment_for(
        charge, ledger_invoice.id, ctx.thresholds.payment_window_days
    )


def credit_findings(ctx: RuleContext) -> list[Finding]:
    found: list[Finding] = []
    grace = ctx.thresholds.ledger_grace_days
    for refund in ctx.snapshot.refunds:
        if refund.status == "succeeded" and ctx.past(refund.created_at, grace):
            notes = ctx.ledger.credits_by_ref.get(refund.id, [])
            ctx.tally.count(PairType.REFUND, MatchMethod.PRIVATE_NOTE if notes else None)
            found.extend(_compare(ctx, refund.id, refund.amount, refund.currency, notes, None))
    for note in ctx.snapshot.credit_notes:
        if ctx.past(note.created_at, grace):
            memos = ctx.ledger.credits_by_ref.get(note.id, [])
            ctx.tally.count(PairType.CREDIT_NOTE, MatchMethod.PRIVATE_NOTE if memos else None)
            found.extend(_compare(ctx, note.id, note.amount, note.currency, memos, None))
    return found


def _compare(
    ctx: RuleContext,
    ident: str,
    amount: int,
    currency: str,
    postings: Sequence[Posting],
    party_id: str | None,
) -> list[Finding]:
    key = stripe(ident)
    party = (Source.STRIPE, party_id)
    if not postings:
        detail = f"{ident} ({money_text(amount, currency)}) is not in QuickBooks"
        return [ctx.finding(K.MISSING_IN_LEDGER, key, amount, currency, detail, party=party)]
    ordered = sorted(postings, key=_posting_order)
    first, later = ordered[0], ordered[1:]
    found: list[Finding] = []
    refs = (quickbooks(first.id),)
    if first.currency != currency.upper():
        detail = f"booked in {first.currency}, Stripe has {currency.upper()}"
        found.append(
            ctx.finding(
                K.CURRENCY_MISMATCH, key, amount, currency, detail, records=refs, party=party
            )
        )
    elif first.amount != amount:
        detail = (
            f"Stripe {money_text(amount, currency)}, "
            f"QuickBooks {money_text(first.amount, first.currency)}"
        )
        diff = abs(first.amount - amount)
        found.append(
            ctx.finding(K.AMOUNT_MISMATCH, key, diff, currency, detail, records=refs, party=party)
        )
    for posting in later:
        detail = f"{ident} is booked again by QuickBooks {posting.id} after {first.id}"
        found.append(
            ctx.finding(
                K.DUPLICATE_PAYMENT,
                quickbooks(posting.id),
                posting.amount,
                currency,
                detail,
                records=(key, quickbooks(first.id)),
                party=party,
            )
        )
    return found


def _posting_order(posting: Posting) -> tuple[datetime, int, str]:
    numeric = int(posting.id) if posting.id.isdigit() else 0
    return (posting.created_at or _EPOCH, numeric, posting.id)
