"""What the HTML report shows, as plain display values: formatted amounts, colours, links, charts.

The template only lays these out. Amounts are `str(Money)` (exact, with the currency's own number
of decimals); currencies are never added together; tables list the biggest amounts first within a
currency because comparing across currencies would need a rate nobody gave.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from canonical.money import Money
from canonical.records import Finding, FindingKind, FindingStatus, SourceRef
from reconciliation.model import (
    AgingRow,
    Metrics,
    ReconcileResult,
    RiskFactor,
    RunSummary,
    WorklistEntry,
)
from reconciliation.report import charts
from reconciliation.report.links import VendorLinks

KIND_COLOURS: Final = {
    FindingKind.MISSING_IN_LEDGER: "#d62728",
    FindingKind.MISSING_IN_BILLING: "#e377c2",
    FindingKind.AMOUNT_MISMATCH: "#ff7f0e",
    FindingKind.CURRENCY_MISMATCH: "#8c564b",
    FindingKind.STATUS_MISMATCH: "#bcbd22",
    FindingKind.DUPLICATE_PAYMENT: "#9467bd",
    FindingKind.UNBILLED_DEAL: "#b2182b",
    FindingKind.UNDERBILLED_DEAL: "#f4a582",
    FindingKind.EXCESS_DISCOUNT: "#17becf",
    FindingKind.UNRECOVERED_PAYMENT: "#1f77b4",
    FindingKind.UNRECORDED_DISPUTE: "#7f7f7f",
    FindingKind.PAYOUT_MISMATCH: "#2ca02c",
}
AGING_COLOURS: Final = ("#4daf4a", "#fdd835", "#fb8c00", "#e53935", "#8e0000")
STATUS_ORDER: Final = {
    FindingStatus.OPEN: 0,
    FindingStatus.ACKNOWLEDGED: 1,
    FindingStatus.RESOLVED: 2,
}


def kind_label(kind: str) -> str:
    return kind.replace("_", " ")


def percent(ratio: Decimal | None) -> str:
    """A 0..1 ratio as a percentage with one decimal, or an em dash when undefined."""
    return "—" if ratio is None else f"{(ratio * 100).quantize(Decimal('0.1'))}%"


def amounts_text(amounts: Iterable[Money]) -> str:
    return " · ".join(str(m) for m in amounts) or "—"


@dataclass(frozen=True, slots=True)
class RecordLink:
    source: str
    id: str
    url: str | None


@dataclass(frozen=True, slots=True)
class FindingRow:
    fingerprint: str
    kind: str
    kind_label: str
    colour: str
    status: str
    customer: str
    customer_id: str
    amount: str
    currency: str
    detail: str
    records: tuple[RecordLink, ...]


@dataclass(frozen=True, slots=True)
class WorklistRow:
    rank: int
    customer: str
    customer_url: str | None
    overdue: str
    oldest_days_overdue: int
    score: str
    top_reason: str
    open_findings: int
    factors: tuple[tuple[str, str, str, str, str], ...]  # name, value, weight, contribution, why
    links: tuple[RecordLink, ...]


def party_names(
    metrics: Metrics, known: Mapping[SourceRef, str] | None = None
) -> dict[SourceRef, str]:
    """Display names for parties: the reconciler's, then the risk scores' and the worklist's."""
    names = dict(known or {})
    names.update({score.party: score.display_name for score in metrics.risk})
    names.update({entry.party: entry.display_name for entry in metrics.worklist})
    return names


def finding_rows(
    findings: Sequence[Finding], names: Mapping[SourceRef, str], links: VendorLinks
) -> list[FindingRow]:
    ordered = sorted(
        findings,
        key=lambda f: (
            STATUS_ORDER[f.status],
            f.amount_at_stake.currency,
            -f.amount_at_stake.minor,
            f.fingerprint,
        ),
    )
    return [_finding_row(f, names, links) for f in ordered]


def _finding_row(
    finding: Finding, names: Mapping[SourceRef, str], links: VendorLinks
) -> FindingRow:
    party = finding.party
    return FindingRow(
        fingerprint=finding.fingerprint,
        kind=finding.kind.value,
        kind_label=kind_label(finding.kind.value),
        colour=KIND_COLOURS[finding.kind],
        status=finding.status.value,
        customer=names.get(party, party.source_id) if party else "",
        customer_id=party.source_id if party else "",
        amount=str(finding.amount_at_stake),
        currency=finding.amount_at_stake.currency,
        detail=finding.detail,
        records=tuple(
            RecordLink(ref.source.value, ref.source_id, url)
            for ref, url in links.finding_urls(finding)
        ),
    )


def worklist_rows(result: ReconcileResult, links: VendorLinks) -> list[WorklistRow]:
    factors = {score.party: score.factors for score in result.metrics.risk}
    return [
        _worklist_row(entry, factors.get(entry.party, ()), links)
        for entry in sorted(result.metrics.worklist, key=lambda e: e.rank)
    ]


def _worklist_row(
    entry: WorklistEntry, factors: Iterable[RiskFactor], links: VendorLinks
) -> WorklistRow:
    explained = tuple(
        (kind_label(f.name.value), str(f.value), str(f.weight), str(f.contribution), f.explanation)
        for f in factors
    )
    return WorklistRow(
        rank=entry.rank,
        customer=entry.display_name,
        customer_url=links.record_url(entry.party, quickbooks_entity="Customer"),
        overdue=amounts_text(entry.overdue),
        oldest_days_overdue=entry.oldest_days_overdue,
        score=str(entry.score),
        top_reason=entry.top_reason,
        open_findings=entry.open_findings,
        factors=explained,
        links=tuple(
            RecordLink(ref.source.value, ref.source_id, links.record_url(ref))
            for ref in entry.links
        ),
    )


def aging_charts(rows: Sequence[AgingRow]) -> list[charts.BarChart]:
    return [
        charts.column_bars(
            f"{row.currency} · total {row.total}",
            [
                (bucket.name.value, bucket.amount, AGING_COLOURS[i % len(AGING_COLOURS)])
                for i, bucket in enumerate(row.buckets)
            ],
        )
        for row in rows
    ]


def leakage_charts(metrics: Metrics) -> list[charts.BarChart]:
    """One chart per currency: kinds by amount at stake, the biggest leak on top."""
    per_currency: dict[str, list[tuple[str, Money, str]]] = defaultdict(list)
    for entry in metrics.leakage.by_kind:
        for amount in entry.amounts:
            label = f"{kind_label(entry.kind.value)} ({entry.count})"
            per_currency[amount.currency].append((label, amount, KIND_COLOURS[entry.kind]))
    return [
        charts.horizontal_bars(currency, sorted(rows, key=lambda r: -r[1].minor))
        for currency, rows in sorted(per_currency.items())
    ]


def trend_charts(history: Sequence[RunSummary]) -> list[charts.LineChart]:
    """Open findings per run, then the leakage at stake per run for each currency."""
    runs = sorted(history, key=lambda r: (r.as_of, r.run_id))
    if not runs:
        return []
    names = [f"run {r.run_id} ({r.as_of.isoformat()})" for r in runs]
    found = [
        charts.line("open findings", list(zip(names, (r.open_findings for r in runs), strict=True)))
    ]
    for currency in sorted(
        {m.currency for r in runs for ms in r.amounts_by_kind.values() for m in ms}
    ):
        totals = [_run_total(r, currency) for r in runs]
        found.append(
            charts.line(
                f"leakage at stake, {currency}",
                [(n, t.minor) for n, t in zip(names, totals, strict=True)],
                texts=[str(t) for t in totals],
            )
        )
    return found


def _run_total(run: RunSummary, currency: str) -> Money:
    total = Money.zero(currency)
    for amounts in run.amounts_by_kind.values():
        for amount in amounts:
            if amount.currency == currency:
                total += amount
    return total
