"""Stripe payments, refunds and credit notes against their QuickBooks postings.

A Stripe "payment" is a succeeded charge; failed charges are attempts and never posted. One
Stripe object named by two QuickBooks postings is a duplicate: the later posting is the finding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from canonical.records import Finding, FindingKind, Source
from reconciliation.linking import agrees
from reconciliation.model import MatchMethod, PairType
from reconciliation.rules.context import RuleContext, money_text, quickbooks, stripe
from reconciliation.rules.invoices import Counterpart, InvoiceOutcome
from reconciliation.snapshot_types import Charge, LedgerNote, LedgerPayment, RefPosting

K = FindingKind
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Posting = LedgerPayment | LedgerNote | RefPosting


def payment_findings(
    ctx: RuleContext, invoices: InvoiceOutcome, invoice_of: Mapping[str, str]
) -> list[Finding]:
    """`invoice_of`: each charge's Stripe invoice (the last one, when several name it)."""
    found: list[Finding] = []
    methods: Counter[MatchMethod | None] = Counter()
    agrees_alone, postings = ctx.ledger.agrees_alone, ctx.ledger.postings
    agreed = ctx.ledger.agreed_by_ref  # most of `agrees_alone`, without a call per charge
    cutoff = ctx.cutoff(ctx.thresholds.ledger_grace_days)
    for charge in ctx.snapshot.charges:
        if charge.status != "succeeded" or charge.created_at is None or charge.created_at >= cutoff:
            continue  # an attempt, or not yet past the grace
        if charge.id in agreed or agrees_alone(charge):
            methods[MatchMethod.PAYMENT_REF] += 1
            continue  # the common case: one posting, same currency and amount, no finding
        named = postings(charge.id)
        if named:
            methods[named[0][1]] += 1
            if len(named) == 1 and agrees(named[0][0], charge):
                continue
            matches: list[Posting] = [payment for payment, _ in named]
        else:
            ledger_invoice = invoices.matched.get(invoice_of.get(charge.id, ""))
            fallback = _fallback(ctx, charge, ledger_invoice)
            methods[None if fallback is None else MatchMethod.LINKED_TXN] += 1
            matches = [] if fallback is None else [fallback]
            if fallback is not None and agrees(fallback, charge):
                continue
        found.extend(
            _compare(ctx, charge.id, charge.amount, charge.currency, matches, charge.party_id)
        )
    ctx.tally.count_all(PairType.PAYMENT, methods)
    return found


def _fallback(
    ctx: RuleContext, charge: Charge, ledger_invoice: Counterpart | None
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
