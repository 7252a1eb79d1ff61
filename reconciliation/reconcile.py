"""The pure reconciliation: a snapshot and an as-of date in, findings, match rates and metrics out.

    result = reconcile(snapshot, as_of=date(2026, 3, 1))

No clock, no I/O: the as-of date (and, for metrics, explicit conversion rates) are passed in, so
the same snapshot and date give the same result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from canonical.records import Finding, SourceRef
from reconciliation.absorb import absorb
from reconciliation.linking import LedgerIndex, MatchTally, Parties
from reconciliation.metrics import compute_metrics
from reconciliation.model import MatchSummary, ReconcileResult
from reconciliation.rules import billing, deals, invoices, payments, settlement
from reconciliation.rules.context import RuleContext
from reconciliation.snapshot import Snapshot, StorePairs
from reconciliation.snapshot_types import Charge
from reconciliation.thresholds import Thresholds


@dataclass(frozen=True, slots=True)
class Found:
    findings: tuple[Finding, ...]
    tally: MatchTally
    parties: Parties
    ledger: LedgerIndex
    charges_by_invoice: dict[str, list[Charge]]


def find(snapshot: Snapshot, *, as_of: date, thresholds: Thresholds | None = None) -> Found:
    """Every finding at `as_of`, after absorption, sorted by (kind, key)."""
    ctx = RuleContext(
        snapshot,
        as_of,
        thresholds or Thresholds(),
        LedgerIndex.build(snapshot),
        Parties(snapshot.parties),
        charges_by_invoice=charges_by_invoice(snapshot),
    )
    invoice_of = {c.id: inv for inv, cs in ctx.charges_by_invoice.items() for c in cs}
    outcome = invoices.invoice_findings(ctx)
    paid = payments.payment_findings(ctx, outcome, invoice_of)
    outcome.matched.clear()  # read by the payment rules only: free it before the rest runs
    raw = [
        *outcome.findings,
        *paid,
        *payments.credit_findings(ctx),
        *billing.missing_in_billing(ctx),
        *billing.excess_discounts(ctx),
        *billing.unrecovered_payments(ctx),
        *deals.deal_findings(ctx),
        *settlement.dispute_findings(ctx),
        *settlement.payout_findings(ctx),
    ]
    kept = absorb(raw, outcome.absorbed, invoice_of)
    kept.sort(key=lambda f: (f.kind.value, f.key))
    return Found(tuple(kept), ctx.tally, ctx.parties, ctx.ledger, ctx.charges_by_invoice)


def reconcile(
    snapshot: Snapshot,
    *,
    as_of: date,
    thresholds: Thresholds | None = None,
    rates: Mapping[str, Decimal] | None = None,
    rates_currency: str | None = None,
) -> ReconcileResult:
    thresholds = thresholds or Thresholds()
    found = find(snapshot, as_of=as_of, thresholds=thresholds)
    summary = MatchSummary(found.tally.rates())
    metrics = compute_metrics(
        snapshot,
        found.findings,
        summary,
        found.parties,
        found.ledger,
        found.charges_by_invoice,
        as_of=as_of,
        thresholds=thresholds,
        rates=rates,
        rates_currency=rates_currency,
    )
    return ReconcileResult(
        as_of, found.findings, summary, metrics, named_parties(snapshot, found.findings)
    )


def named_parties(snapshot: Snapshot, findings: Sequence[Finding]) -> dict[SourceRef, str]:
    """The names of the parties findings point at, as their own system records them."""
    wanted = {f.party for f in findings if f.party is not None}
    return {
        ref: row.name
        for row in snapshot.parties
        if row.name and (ref := SourceRef(row.source, row.id)) in wanted
    }


def charges_by_invoice(snapshot: Snapshot) -> dict[str, list[Charge]]:
    """Each Stripe invoice's charges, through its invoice payments (by intent, or by charge).

    A snapshot with the store's pairs has its links resolved by PostgreSQL (`StorePairs`); the
    loop below is the reference, and what the store's query is tested against. At a million
    links the resolved path saved about 3 s of 40 (decoding and sharing the link rows, this map).
    """
    if snapshot.paired is not None:
        return _resolved_charges(snapshot, snapshot.paired)
    # An intent nearly always has one charge: map it to that charge, and keep a list only for
    # the few intents retried into several (a million one-item lists cost 60 MB and a second).
    first_of: dict[str, Charge] = {}
    more_of: dict[str, list[Charge]] = {}
    for charge in snapshot.charges:
        intent = charge.intent_id
        if intent:
            if intent not in first_of:
                first_of[intent] = charge
            elif intent in more_of:
                more_of[intent].append(charge)
            else:
                more_of[intent] = [first_of[intent], charge]
    by_id: dict[str, Charge] | None = None  # built only when a link names a charge itself
    result: dict[str, list[Charge]] = {}
    for link in snapshot.invoice_links:
        found: list[Charge] = []
        intent = link.intent_id
        if intent and (single := first_of.get(intent)) is not None:
            found = more_of.get(intent) or [single]
        elif link.charge_id:
            if by_id is None:
                by_id = {c.id: c for c in snapshot.charges}
            if (named := by_id.get(link.charge_id)) is not None:
                found = [named]
        charges = result.get(link.invoice_id)
        if charges is None:
            # A new list sized to its charges (usually one), without repeats, first seen first.
            result[link.invoice_id] = found if len(found) < 2 else list(dict.fromkeys(found))
        else:
            charges.extend(c for c in found if c not in charges)
    return result


def _resolved_charges(snapshot: Snapshot, pairs: StorePairs) -> dict[str, list[Charge]]:
    """`charges_by_invoice` from the links the store resolved (`StorePairs.link_invoices`)."""
    charges = snapshot.charges
    result: dict[Any, list[Charge]] = {}
    for invoice_id, position in zip(pairs.link_invoices, pairs.link_charges, strict=True):
        found = result.get(invoice_id)
        if found is None:
            found = result[invoice_id] = []
        if position >= 0 and (charge := charges[position]) not in found:
            found.append(charge)
    return result
