"""The collections worklist: customers with overdue invoices, riskiest and oldest first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from canonical.records import Finding, FindingStatus, Source, SourceRef
from reconciliation.linking import Parties
from reconciliation.metrics.risk import CustomerHistory, histories, score
from reconciliation.model import WorklistEntry
from reconciliation.snapshot import Snapshot

LINKS_PER_ENTRY = 5


def worklist(
    snapshot: Snapshot,
    findings: Sequence[Finding],
    parties: Parties,
    *,
    as_of: date,
    limit: int = 50,
    known: dict[str, CustomerHistory] | None = None,
) -> tuple[WorklistEntry, ...]:
    open_counts = Counter(
        f.party for f in findings if f.party is not None and f.status is not FindingStatus.RESOLVED
    )
    rows = []
    found = histories(snapshot, as_of) if known is None else known
    for party, history in found.items():
        if not history.overdue:
            continue
        risk = score(party, history, parties)
        top = max(risk.factors, key=lambda f: f.contribution)
        oldest = sorted(history.overdue, key=lambda inv: (inv.due_date or as_of, inv.id))
        links = tuple(SourceRef(Source.STRIPE, inv.id) for inv in oldest[:LINKS_PER_ENTRY])
        rows.append((risk, history, top.explanation, links))
    rows.sort(key=lambda row: (-row[0].score, -row[1].oldest_overdue, row[0].party))
    return tuple(
        WorklistEntry(
            rank=rank,
            party=risk.party,
            display_name=risk.display_name,
            overdue=history.overdue_amounts(),
            oldest_days_overdue=history.oldest_overdue,
            score=risk.score,
            top_reason=reason,
            open_findings=open_counts[risk.party],
            links=links,
        )
        for rank, (risk, history, reason, links) in enumerate(rows[:limit], start=1)
    )
