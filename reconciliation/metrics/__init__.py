"""Collection metrics over a snapshot and its findings: DSO/CEI, aging, match rates, leakage,
risk, the collections worklist and the revenue-cycle funnel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from canonical.records import Finding
from reconciliation.linking import LedgerIndex, Parties
from reconciliation.metrics.aging import aging
from reconciliation.metrics.dso_cei import collection_metrics
from reconciliation.metrics.funnel import funnel
from reconciliation.metrics.leakage import leakage
from reconciliation.metrics.match_rates import match_rates
from reconciliation.metrics.risk import histories, risk_scores
from reconciliation.metrics.worklist import worklist
from reconciliation.model import MatchSummary, Metrics
from reconciliation.snapshot import Snapshot
from reconciliation.snapshot_types import Charge
from reconciliation.thresholds import Thresholds


def compute_metrics(
    snapshot: Snapshot,
    findings: Sequence[Finding],
    summary: MatchSummary,
    parties: Parties,
    ledger: LedgerIndex,
    charges_by_invoice: dict[str, list[Charge]],
    *,
    as_of: date,
    thresholds: Thresholds,
    rates: Mapping[str, Decimal] | None = None,
    rates_currency: str | None = None,
) -> Metrics:
    known = histories(snapshot, as_of)  # risk and the worklist both read them
    return Metrics(
        collection=collection_metrics(
            snapshot.invoices, as_of=as_of, period_days=thresholds.metrics_period_days
        ),
        aging=aging(snapshot.invoices, as_of=as_of),
        match_rates=match_rates(summary),
        leakage=leakage(findings, rates=rates, rates_currency=rates_currency),
        risk=risk_scores(snapshot, parties, as_of=as_of, known=known),
        worklist=worklist(snapshot, findings, parties, as_of=as_of, known=known),
        funnel=funnel(snapshot, ledger, charges_by_invoice),
    )
