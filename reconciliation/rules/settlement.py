"""Money leaving Stripe: lost disputes without a journal entry, payouts without their deposit."""

from __future__ import annotations

from canonical.records import Finding, FindingKind
from reconciliation.model import MatchMethod, PairType
from reconciliation.rules.context import RuleContext, money_text, quickbooks, stripe
from reconciliation.snapshot_types import LedgerNote, StripeMoney

K = FindingKind


def dispute_findings(ctx: RuleContext) -> list[Finding]:
    found: list[Finding] = []
    for dispute in ctx.snapshot.disputes:
        if dispute.status == "lost" and dispute.id not in ctx.ledger.journal_disputes:
            lost = money_text(dispute.amount, dispute.currency)
            detail = f"lost dispute of {lost} has no journal entry"
            records = (stripe(dispute.parent_id),) if dispute.parent_id else ()
            found.append(
                ctx.finding(
                    K.UNRECORDED_DISPUTE,
                    stripe(dispute.id),
                    dispute.amount,
                    dispute.currency,
                    detail,
                    records=records,
                )
            )
    return found


def payout_findings(ctx: RuleContext) -> list[Finding]:
    free = list(ctx.ledger.free_deposits)
    found: list[Finding] = []
    for payout in ctx.snapshot.payouts:
        if payout.status != "paid":
            continue
        deposit = ctx.ledger.deposit_by_payout.get(payout.id)
        if deposit is not None:
            ctx.tally.count(PairType.PAYOUT, MatchMethod.PRIVATE_NOTE)
            if deposit.amount != payout.amount or deposit.currency != payout.currency.upper():
                found.append(_short(ctx, payout, deposit))
            continue
        near = _near(ctx, payout, free)
        ctx.tally.count(PairType.PAYOUT, None if near is None else MatchMethod.AMOUNT_DATE)
        if near is not None:
            free.remove(near)  # each id-less deposit settles one payout
            continue
        detail = f"paid payout of {money_text(payout.amount, payout.currency)} has no deposit"
        found.append(
            ctx.finding(
                K.PAYOUT_MISMATCH, stripe(payout.id), payout.amount, payout.currency, detail
            )
        )
    return found


def _near(ctx: RuleContext, payout: StripeMoney, free: list[LedgerNote]) -> LedgerNote | None:
    if payout.arrival_date is None:
        return None
    window = ctx.thresholds.payout_window_days
    for deposit in free:
        if (
            deposit.currency == payout.currency.upper()
            and deposit.amount == payout.amount
            and deposit.txn_date is not None
            and abs((deposit.txn_date - payout.arrival_date).days) <= window
        ):
            return deposit
    return None


def _short(ctx: RuleContext, payout: StripeMoney, deposit: LedgerNote) -> Finding:
    detail = (
        f"payout {money_text(payout.amount, payout.currency)}, "
        f"deposit {money_text(deposit.amount, deposit.currency)}"
    )
    return ctx.finding(
        K.PAYOUT_MISMATCH,
        stripe(payout.id),
        abs(deposit.amount - payout.amount),
        payout.currency,
        detail,
        records=(quickbooks(deposit.id),),
    )
