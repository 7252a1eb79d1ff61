"""`revcycle sync`, `revcycle check` and `revcycle status`: reading the three systems."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from canonical.records import Source
from connectors.base import CheckResult
from connectors.policy import single_attempt
from hub.settings import get_settings
from hub.wiring import build_connectors, close_connectors, open_store
from jobs.sync import SourceReport, sync_source
from mappings import record_type_of

console = Console()
err_console = Console(stderr=True)


class SourceChoice(StrEnum):
    SALESFORCE = "salesforce"
    STRIPE = "stripe"
    QUICKBOOKS = "quickbooks"
    ALL = "all"


# Parties and deals before the invoices that point at them, invoices before their payments.
ORDER = (Source.SALESFORCE, Source.STRIPE, Source.QUICKBOOKS)
NEEDS = {
    Source.STRIPE: "STRIPE_API_KEY",
    Source.SALESFORCE: "SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN (or a credential set)",
    Source.QUICKBOOKS: "QUICKBOOKS_CLIENT_ID, QUICKBOOKS_CLIENT_SECRET, QUICKBOOKS_REFRESH_TOKEN "
    "and QUICKBOOKS_REALM_ID",
}


def chosen(
    which: SourceChoice | None, connectors: Mapping[Source, Any]
) -> list[tuple[Source, Any]]:
    if which is None or which is SourceChoice.ALL:
        picked = [(s, connectors[s]) for s in ORDER if s in connectors]
        if not picked:
            raise RuntimeError("no source is configured; set " + "; or ".join(NEEDS.values()))
        return picked
    source = Source(which.value)
    if source not in connectors:
        raise RuntimeError(f"{source.value} is not configured; set {NEEDS[source]}")
    return [(source, connectors[source])]


@contextmanager
def progress_display(enabled: bool) -> Iterator[Any]:
    """A spinner and a running count per object, on a terminal only."""
    if not enabled:
        yield None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description:<32}"),
        TextColumn("{task.completed:>10,.0f} read"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as bar:
        yield bar


async def run_sync(
    which: SourceChoice | None, full: bool, show_progress: bool
) -> dict[str, SourceReport]:
    settings = get_settings()
    store = await open_store(settings)
    connectors = build_connectors(settings, store)
    reports: dict[str, SourceReport] = {}
    tasks: dict[tuple[str, str], TaskID] = {}
    try:
        with progress_display(show_progress) as bar:

            def advance(source: str, obj: str, n: int) -> None:
                if bar is None:
                    return
                key = (source, obj)
                if key not in tasks:
                    tasks[key] = bar.add_task(f"{source} {obj}", total=None)
                bar.advance(tasks[key], n)

            for source, connector in chosen(which, connectors):
                reports[source.value] = await sync_source(
                    connector, store, full=full, progress=advance
                )
                if bar is not None:
                    for key, task in tasks.items():
                        if key[0] == source.value:
                            bar.update(task, total=bar.tasks[task].completed)
    finally:
        await asyncio.to_thread(close_connectors, connectors)
        await store.close()
    return reports


def sync_command(
    source: Annotated[
        SourceChoice | None,
        typer.Argument(metavar="SOURCE", help="salesforce, stripe, quickbooks or all."),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Read everything again.")] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print {source: {object: counts}} as JSON; a failed object's counts carry its "
            "error.",
        ),
    ] = False,
) -> None:
    """Sync from the vendors into the store: full the first time, incremental after.

    Stripe increments through its events (a checkpoint older than 30 days falls back to a full
    read), Salesforce through SystemModstamp windows, QuickBooks through LastUpdatedTime and CDC
    for deletions. A killed sync resumes from its last committed page.
    """
    reports = asyncio.run(run_sync(source, full, show_progress=sys.stderr.isatty()))
    if as_json:
        typer.echo(json.dumps({name: sync_json(report) for name, report in reports.items()}))
    else:
        console.print(sync_table(reports))
    for report in reports.values():
        for note in report.notes:
            err_console.print(
                f"[yellow]note:[/] {report.source} {note}", highlight=False, soft_wrap=True
            )
        for obj, error in report.errors.items():
            err_console.print(
                f"[red]failed:[/] {report.source} {obj}: {error}", highlight=False, soft_wrap=True
            )
        if report.not_tried:
            err_console.print(
                f"[red]not tried:[/] {report.source} {', '.join(report.not_tried)}: the error "
                "above stops the whole source",
                highlight=False,
                soft_wrap=True,
            )
    if any(not report.ok for report in reports.values()):
        raise typer.Exit(1)


def sync_json(report: SourceReport) -> dict[str, dict[str, Any]]:
    """Each object's counts, and for one that failed or was not tried, `error` saying why."""
    out: dict[str, dict[str, Any]] = {}
    for obj, counts in report.objects.items():
        out[obj] = dict(counts.as_json())
        error = report.error_of(obj)
        if error is not None:
            out[obj]["error"] = error
    return out


def sync_table(reports: Mapping[str, SourceReport]) -> Table:
    table = Table(title="revcycle sync")
    for name in ("source", "object", "read", "created", "updated", "deleted", "result"):
        table.add_column(
            name, justify="right" if name in {"read", "created", "updated"} else "left"
        )
    for report in reports.values():
        for obj, counts in report.objects.items():
            result = (
                "[red]failed[/]"
                if obj in report.errors
                else "[red]not tried[/]"
                if obj in report.not_tried
                else "[green]ok[/]"
            )
            table.add_row(
                report.source,
                obj,
                f"{counts.read:,}",
                f"{counts.created:,}",
                f"{counts.updated:,}",
                f"{counts.deleted:,}",
                result,
            )
    return table


# --- check ----------------------------------------------------------------------------------------


async def run_check(which: SourceChoice | None) -> list[CheckResult]:
    settings = get_settings()
    store = await open_store(settings)  # QuickBooks keeps its rotated refresh token there
    connectors = build_connectors(settings, store)
    try:
        results = []
        with single_attempt():  # a probe: what each vendor answers now, no retries
            for _source, connector in chosen(which, connectors):
                results.append(await asyncio.to_thread(connector.check))
        return results
    finally:
        await asyncio.to_thread(close_connectors, connectors)
        await store.close()


def check_command(
    source: Annotated[
        SourceChoice | None,
        typer.Argument(metavar="SOURCE", help="salesforce, stripe, quickbooks or all."),
    ] = None,
) -> None:
    """One cheap authenticated call per configured source: who we reach and how much quota is left.

    The first thing to run after entering credentials. Each call is tried once, without the
    retries a sync makes. Exits non-zero if any source fails.
    """
    results = asyncio.run(run_check(source))
    table = Table(title="revcycle check")
    for name in ("source", "account", "API version", "headroom", "status"):
        table.add_column(name)
    for result in results:
        status = "[green]OK[/]" if result.ok else f"[red]{result.error or 'failed'}[/]"
        table.add_row(
            result.source.value,
            result.account or "—",
            result.api_version or "—",
            result.headroom or "—",
            status,
        )
    console.print(table)
    if not all(result.ok for result in results):
        raise typer.Exit(1)


# --- status ---------------------------------------------------------------------------------------


async def run_status() -> list[dict[str, Any]]:
    settings = get_settings()
    store = await open_store(settings)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    try:
        for checkpoint in await store.list_checkpoints():
            try:
                record_type, kind = record_type_of(checkpoint.source, checkpoint.object)
                held: int | None = await store.count(
                    record_type, checkpoint.source, kind=kind.value if kind else None
                )
            except ValueError:
                held = None
            synced = checkpoint.last_synced_at
            rows.append(
                {
                    "source": checkpoint.source,
                    "object": checkpoint.object,
                    "last_synced_at": synced.isoformat() if synced else None,
                    "age_seconds": int((now - synced).total_seconds()) if synced else None,
                    "checkpoint": checkpoint.cursor,
                    "records": held,
                    "last_error": checkpoint.last_error,
                }
            )
    finally:
        await store.close()
    return rows


def status_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
) -> None:
    """For each source and object: last sync, checkpoint and its age, records held, last error."""
    rows = asyncio.run(run_status())
    if as_json:
        typer.echo(json.dumps(rows))
        return
    wide = console.width >= 120  # the cursor is long; narrow terminals get it from --json
    table = Table(title="revcycle status")
    table.add_column("source", no_wrap=True)
    table.add_column("object", no_wrap=True)
    table.add_column("records", justify="right", no_wrap=True)
    table.add_column("last sync (UTC)", no_wrap=True)
    table.add_column("age", justify="right", no_wrap=True)
    if wide:
        table.add_column("checkpoint", no_wrap=True)
    table.add_column("last error", overflow="fold")
    for row in rows:
        cells = [
            row["source"],
            row["object"],
            "—" if row["records"] is None else f"{row['records']:,}",
            (row["last_synced_at"] or "never")[:16].replace("T", " "),
            _age(row["age_seconds"]),
        ]
        if wide:
            cursor = row["checkpoint"] or "—"
            cells.append(cursor if len(cursor) <= 40 else cursor[:39] + "…")
        cells.append(row["last_error"] or "")
        table.add_row(*cells)
    console.print(table)


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
