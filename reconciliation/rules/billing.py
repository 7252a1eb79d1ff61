"""Billing-side rules: QuickBooks invoices claiming Stripe invoices that do not exist, discounts
beyond the threshold without approval, and failed payments nobody recovered."""

from __future__ import annotations

from canonical.records import Finding, FindingKind, Source
from reconciliation.linking import stripe_ids
from reconciliation.rules.context import RuleContext, money_text, quickbooks, stripe
from reconciliation.snapshot_types import StripeInvoice

K = FindingKind


def missing_in_billing(ctx: RuleContext) -> list[Finding]:
    known = {inv.id for inv in ctx.snapshot.invoices}
    found: list[Finding] = []
    for q in ctx.snapshot.ledger_invoices:
        if not q.note:
            continue
        for claimed in stripe_ids(q.note, "in"):
            if claimed not in known:
                doc = q.number or q.id
                detail = f"QuickBooks invoice {doc} claims Stripe {claimed}, unknown to Stripe"
                found.append(
                    ctx.finding(
                        K.MISSING_IN_BILLING,
                        quickbooks(q.id),
                        q.total,
                        q.currency,
                        detail,
                        party=(Source.QUICKBOOKS, q.party_id),
                    )
                )
                break  # one finding per QuickBooks invoice
    return found


def excess_discounts(ctx: RuleContext) -> list[Finding]:
    approvals = {s.id: s.approved_by for s in ctx.snapshot.subscriptions}
    percent = ctx.thresholds.discount_percent
    found: list[Finding] = []
    for inv in ctx.snapshot.invoices:
        if inv.status == "draft" or inv.discount <= 0:
            continue
        allowed = inv.subtotal * percent // 100
        approved = inv.approved_by or approvals.get(inv.subscription_id or "")
        if inv.discount > allowed and not approved:
            detail = (
                f"discount {money_text(inv.discount, inv.currency)} on a subtotal of "
                f"{money_text(inv.subtotal, inv.currency)} exceeds {percent}% with no approval"
            )
            found.append(
                ctx.finding(
                    K.EXCESS_DISCOUNT,
                    stripe(inv.id),
                    inv.discount - allowed,
                    inv.currency,
                    detail,
                    party=(Source.STRIPE, inv.party_id),
                )
            )
    return found


def unrecovered_payments(ctx: RuleContext) -> list[Finding]:
    found: list[Finding] = []
    for inv in ctx.snapshot.invoices:
        if inv.status not in ("open", "uncollectible") or not _unrecovered(ctx, inv):
            continue
        failures = sum(1 for c in ctx.charges_by_invoice.get(inv.id, ()) if c.status == "failed")
        detail = f"{failures} failed attempt(s), nothing collected, past the recovery grace"
        found.append(
            ctx.finding(
                K.UNRECOVERED_PAYMENT,
                stripe(inv.id),
                inv.remaining,
                inv.currency,
                detail,
                party=(Source.STRIPE, inv.party_id),
            )
        )
    return found


def _unrecovered(ctx: RuleContext, inv: StripeInvoice) -> bool:
    charges = ctx.charges_by_invoice.get(inv.id, ())
    if not any(c.status == "failed" for c in charges):
        return False
    if any(c.status == "succeeded" for c in charges):
        return False
    grace = ctx.thresholds.unrecovered_grace_days
    if inv.due_date is not None:
        return (ctx.as_of - inv.due_date).days > grace
    return ctx.past(inv.created_at, grace)
