"""Stripe invoices against QuickBooks invoices, and invoices paid twice in Stripe.

A pair is compared in a fixed order and only its first difference is reported: currency, then
status (paid or void in Stripe, still open in QuickBooks), then amount (never for a void invoice,
which QuickBooks books at zero). A QuickBooks invoice that a Stripe invoice's DocNumber names
belongs to that invoice, even while it is within the grace period: the amount-and-date fallback
never hands it to another.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from canonical.records import Finding, FindingKind, Source, SourceRef
from reconciliation.linking import stripe_ids
from reconciliation.model import MatchMethod, PairType
from reconciliation.rules.context import RuleContext, money_text, quickbooks, stripe
from reconciliation.snapshot_types import Charge, InvoiceCounterpart, LedgerInvoice, StripeInvoice

K = FindingKind
Counterpart = LedgerInvoice | InvoiceCounterpart


@dataclass(slots=True)
class InvoiceOutcome:
    findings: list[Finding] = field(default_factory=list)
    absorbed: set[str] = field(default_factory=set)  # invoices whose payments they explain
    matched: dict[str, Counterpart] = field(default_factory=dict)


def invoice_findings(ctx: RuleContext) -> InvoiceOutcome:
    out = InvoiceOutcome()
    methods: Counter[MatchMethod | None] = Counter()
    pending: list[StripeInvoice] = []
    numbered = ctx.ledger.number_matches
    by_note = ctx.ledger.invoice_by_note
    cutoff = ctx.cutoff(ctx.thresholds.ledger_grace_days)
    charges_of = ctx.charges_by_invoice
    matched, noted = out.matched, []
    by_doc_number = 0  # the common case, counted without a Counter update per invoice
    for inv, by_number in zip(ctx.snapshot.invoices, numbered, strict=True):
        charges = charges_of.get(inv.id)
        if charges is not None and len(charges) > 1:  # one charge (the common case) is no twice
            out.findings.extend(_paid_twice(ctx, inv, charges))
        if inv.finalized_at is None or inv.finalized_at >= cutoff:  # not yet past the grace
            continue
        if by_number is not None:
            matched[inv.id] = by_number  # `_settle`, inline for a million invoices
            if not _agrees(inv, by_number):
                _report(ctx, out, inv, by_number)
            if not by_doc_number:
                methods[MatchMethod.DOC_NUMBER] = 0  # the order methods are first seen in
            by_doc_number += 1
        elif (q := by_note.get(inv.id)) is not None:
            _settle(ctx, out, inv, q)
            noted.append(q)
            methods[MatchMethod.PRIVATE_NOTE] += 1
        else:
            pending.append(inv)
    if by_doc_number:
        methods[MatchMethod.DOC_NUMBER] += by_doc_number
    # Every QuickBooks invoice a DocNumber or a memo gave to a Stripe invoice.
    claimed = {q.id for q in numbered if q is not None}
    claimed.update(q.id for q in noted)
    fallback = _Fallback(ctx, claimed)
    for inv in pending:
        candidate = fallback.take(inv)
        if candidate is None:
            methods[None] += 1
            out.absorbed.add(inv.id)
            detail = f"Stripe invoice {inv.number or inv.id} is not in QuickBooks"
            out.findings.append(_finding(ctx, K.MISSING_IN_LEDGER, inv, inv.total, detail))
        else:
            _settle(ctx, out, inv, candidate)
            methods[MatchMethod.AMOUNT_DATE] += 1
    ctx.tally.count_all(PairType.INVOICE, methods)
    return out


def _settle(ctx: RuleContext, out: InvoiceOutcome, inv: StripeInvoice, q: Counterpart) -> None:
    out.matched[inv.id] = q
    if not _agrees(inv, q):  # the common case is decided without building anything
        _report(ctx, out, inv, q)


def _report(ctx: RuleContext, out: InvoiceOutcome, inv: StripeInvoice, q: Counterpart) -> None:
    """The finding of a pair that does not agree."""
    finding = _compare(ctx, inv, q)
    if finding is not None:
        out.findings.append(finding)
        if finding.kind is K.STATUS_MISMATCH:
            out.absorbed.add(inv.id)


def _agrees(inv: StripeInvoice, q: Counterpart) -> bool:
    """True exactly when `_compare` finds nothing."""
    return (
        q.currency == inv.currency
        and (q.balance <= 0 or inv.status not in ("paid", "void"))
        and (q.total == inv.total or inv.status == "void")
    )


def _compare(ctx: RuleContext, inv: StripeInvoice, q: Counterpart) -> Finding | None:
    if q.currency != inv.currency:
        detail = f"booked in {q.currency}, billed in {inv.currency}"
        return _finding(ctx, K.CURRENCY_MISMATCH, inv, inv.total, detail, (quickbooks(q.id),))
    if inv.status in ("paid", "void") and q.balance > 0:
        open_text = money_text(q.balance, q.currency)
        detail = f"{inv.status} in Stripe, QuickBooks still shows {open_text} open"
        return _finding(ctx, K.STATUS_MISMATCH, inv, q.balance, detail, (quickbooks(q.id),))
    if inv.status != "void" and q.total != inv.total:
        detail = (
            f"Stripe total {money_text(inv.total, inv.currency)}, "
            f"QuickBooks {money_text(q.total, q.currency)}"
        )
        diff = abs(q.total - inv.total)
        return _finding(ctx, K.AMOUNT_MISMATCH, inv, diff, detail, (quickbooks(q.id),))
    return None


def _finding(
    ctx: RuleContext,
    kind: FindingKind,
    inv: StripeInvoice,
    amount: int,
    detail: str,
    records: tuple[SourceRef, ...] = (),
) -> Finding:
    return ctx.finding(
        kind,
        stripe(inv.id),
        amount,
        inv.currency,
        detail,
        records=records,
        party=(Source.STRIPE, inv.party_id),
    )


def _paid_twice(ctx: RuleContext, inv: StripeInvoice, charges: list[Charge]) -> list[Finding]:
    paid = sorted(
        (c for c in charges if c.status == "succeeded"),
        key=lambda c: (c.created_at is None, c.created_at, c.id),
    )
    if len(paid) < 2 or sum(c.amount for c in paid) <= inv.total:
        return []
    return [
        ctx.finding(
            K.DUPLICATE_PAYMENT,
            stripe(later.id),
            later.amount,
            later.currency,
            f"invoice {inv.number or inv.id} was charged again after {paid[0].id}",
            records=(stripe(inv.id), stripe(paid[0].id)),
            party=(Source.STRIPE, inv.party_id),
        )
        for later in paid[1:]
    ]


class _Fallback:
    """Amount + customer + date window, among QuickBooks invoices that claim no Stripe origin."""

    def __init__(self, ctx: RuleContext, claimed: set[str]) -> None:
        self._ctx = ctx
        self._free: dict[tuple[object, str, int], list[LedgerInvoice]] = defaultdict(list)
        for q in ctx.snapshot.ledger_invoices:
            if q.id in claimed or (q.note and stripe_ids(q.note, "in")):
                continue
            party = ctx.parties.ref(Source.QUICKBOOKS, q.party_id)
            self._free[(party, q.currency, q.total)].append(q)

    def take(self, inv: StripeInvoice) -> LedgerInvoice | None:
        party = self._ctx.parties.ref(Source.STRIPE, inv.party_id)
        if party is None or inv.finalized_at is None:
            return None
        day = inv.finalized_at.date()
        near = [
            q
            for q in self._free.get((party, inv.currency, inv.total), ())
            if _within(q.issued_on, day, self._ctx.thresholds.ledger_grace_days)
        ]
        if len(near) != 1:  # ambiguous or absent: a human decides
            return None
        self._free[(party, inv.currency, inv.total)].remove(near[0])
        return near[0]


def _within(day: date | None, other: date, days: int) -> bool:
    return day is not None and abs((day - other).days) <= days
