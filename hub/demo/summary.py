"""The demo's summary: the numbers as a structured value, and their rich rendering."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from canonical.money import Money
from hub.demo.truth import TruthScore


@dataclass(frozen=True)
class Deliveries:
    """Webhook deliveries as the emulators made them and the gateway answered them."""

    accepted: int  # answered 2xx, duplicates included
    duplicates: int  # accepted redeliveries of an event already accepted
    rejected: int  # answered 4xx (the forged delivery)
    stored_events: int  # inbox rows: one per distinct event (a delivery may carry several)
    processed: int  # inbox rows processed by the jobs
    ignored: int  # inbox rows of types nothing acts on
    gateway_duplicates: int | None = None  # the gateway's own counter, when it can be read


@dataclass(frozen=True)
class Followups:
    tasks: int  # Salesforce Tasks the jobs made, as the follow-up log says
    tasks_verified: int  # of those, found by a SOQL query through simple-salesforce
    payments: int  # QuickBooks Payments written back
    payments_verified: int  # of those, read back through python-quickbooks, linked right
    notifications: int  # notifications sent
    notifications_received: int  # counted by the demo's receiver
    deal_checks: int  # closed-won deals scheduled for the unbilled check
    findings_opened: int  # by the final reconciliation (new since the previous run)
    findings_resolved: int  # by the final reconciliation (fixed at source by the webhooks)


@dataclass(frozen=True)
class KindLine:
    kind: str
    count: int
    amounts: tuple[Money, ...]


@dataclass(frozen=True)
class CollectionLine:
    currency: str
    dso_days: Decimal | None
    cei_percent: Decimal | None


@dataclass(frozen=True)
class DemoSummary:
    mode: str  # "embedded" or "production parts"
    seed: int
    customers: int
    as_of: str
    synced: dict[str, int]  # records read per source by the first full sync
    dataset: dict[str, int]  # records per source in the generated dataset
    deliveries: Deliveries
    followups: Followups
    findings: tuple[KindLine, ...]
    collection: tuple[CollectionLine, ...]
    as_generated: TruthScore  # reconciled right after the first sync: the dataset as planted
    final: TruthScore  # reconciled after the webhooks and a re-sync, adjusted (see truth.py)
    reports: dict[str, Path]
    gateway_url: str
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def elapsed_s(self) -> float:
        return sum(self.timings.values())


def render(summary: DemoSummary, console: Console) -> None:
    console.print(
        Panel(
            Group(
                _synced(summary),
                _deliveries(summary.deliveries),
                _followups(summary.followups),
                _findings(summary),
                _collection(summary.collection),
                _truth(summary),
            ),
            title=f"revcycle demo ({summary.mode}): seed {summary.seed}, "
            f"{summary.customers} customers, as of {summary.as_of}",
        )
    )
    for name, path in summary.reports.items():
        console.print(f"{name} report: [bold]{path}[/]")
    steps = ", ".join(f"{name} {s:.1f} s" for name, s in summary.timings.items())
    console.print(f"took {summary.elapsed_s:.1f} s ({steps})")


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", expand=False)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    return table


def _synced(summary: DemoSummary) -> Table:
    table = _table(
        "Records synced (full sync through the vendor SDKs)", "source", "read", "in dataset"
    )
    for source, count in summary.synced.items():
        table.add_row(source, f"{count:,}", f"{summary.dataset.get(source, 0):,}")
    return table


def _deliveries(d: Deliveries) -> Table:
    table = _table("Webhooks", "", "count")
    table.add_row("deliveries accepted (2xx)", str(d.accepted))
    table.add_row("  of which duplicates (stored once)", str(d.duplicates))
    if d.gateway_duplicates is not None:
        table.add_row("  duplicates the gateway counted", str(d.gateway_duplicates))
    table.add_row("deliveries rejected (forged, 401)", str(d.rejected))
    table.add_row("distinct events stored", str(d.stored_events))
    table.add_row("  processed by the jobs", str(d.processed))
    table.add_row("  ignored (nothing acts on the type)", str(d.ignored))
    return table


def _followups(f: Followups) -> Table:
    table = _table("Follow-ups", "", "made", "seen at the vendor")
    table.add_row("Salesforce Tasks", str(f.tasks), f"{f.tasks_verified} (SOQL)")
    table.add_row("QuickBooks Payments", str(f.payments), f"{f.payments_verified} (read back)")
    table.add_row("notifications", str(f.notifications), f"{f.notifications_received} received")
    table.add_row("unbilled-deal checks scheduled", str(f.deal_checks), "")
    table.add_row("findings opened / resolved by the last run", f"{f.findings_opened}", "")
    table.add_row("  resolved (fixed at source)", f"{f.findings_resolved}", "")
    return table


def _findings(summary: DemoSummary) -> Table:
    table = _table("Findings (final run)", "kind", "open", "at stake")
    for line in summary.findings:
        table.add_row(line.kind, str(line.count), ", ".join(str(m) for m in line.amounts))
    return table


def _collection(lines: tuple[CollectionLine, ...]) -> Table:
    table = _table("Collection", "currency", "DSO (days)", "CEI (%)")
    for line in lines:
        table.add_row(line.currency, _number(line.dso_days), _number(line.cei_percent))
    return table


def _number(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _truth(summary: DemoSummary) -> Table:
    table = _table(
        "Against the ground truth (kind + keyed record + exact amount)",
        "run",
        "precision",
        "recall",
        "found / planted",
    )
    for name, s in (
        ("as generated (after the first sync)", summary.as_generated),
        ("final (after webhooks + re-sync), adjusted", summary.final),
    ):
        table.add_row(
            name,
            f"{s.precision:.3f}",
            f"{s.recall:.3f}",
            f"{s.true_positives} / {s.true_positives + s.missed}",
        )
    for reason in summary.final.explained:
        table.add_row(f"  left out: {reason}", "", "", "")
    table.caption = (
        "The truth describes the dataset as generated; the webhooks then change vendor state. "
        "The final run is judged on it after a re-sync, leaving out only differences on records "
        "the webhooks or their follow-ups touched"
        + (" (listed above)." if summary.final.explained else ": none this run.")
    )
    table.caption_justify = "left"
    return table
