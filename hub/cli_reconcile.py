"""`revcycle reconcile`: reconcile the synced store, persist findings, write reports, summarise."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hub.cli_params import iso_date, output_file
from hub.settings import get_settings
from hub.wiring import open_store
from jobs.reconcile import ReconcileOutcome, run_history, run_reconcile, thresholds_from
from reconciliation.model import ReconcileResult
from reconciliation.report import render_html, to_csv, to_json


async def _run(as_of: date, html: Path | None) -> tuple[ReconcileOutcome, str | None]:
    settings = get_settings()
    store = await open_store(settings)
    try:
        outcome = await run_reconcile(
            store, as_of=as_of, now=datetime.now(UTC), thresholds=thresholds_from(settings)
        )
        page = None
        if html is not None:
            page = render_html(outcome.result, history=await run_history(store))
        return outcome, page
    finally:
        await store.close()


def reconcile_command(
    as_of: Annotated[
        date | None,
        typer.Option(
            "--as-of",
            parser=iso_date,
            metavar="DATE",
            help="Evaluate grace periods at DATE (default today).",
        ),
    ] = None,
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json", parser=output_file, metavar="FILE", help="Write findings + metrics."
        ),
    ] = None,
    csv_out: Annotated[
        Path | None,
        typer.Option(
            "--csv", parser=output_file, metavar="FILE", help="Write one row per finding."
        ),
    ] = None,
    html_out: Annotated[
        Path | None,
        typer.Option("--html", parser=output_file, metavar="FILE", help="Write the HTML report."),
    ] = None,
) -> None:
    """Reconcile Salesforce, Stripe and QuickBooks as synced; report what leaks."""
    day = as_of or datetime.now(UTC).date()
    outcome, page = asyncio.run(_run(day, html_out))
    if json_out is not None:
        json_out.write_text(json.dumps(to_json(outcome.result), indent=2, sort_keys=True))
    if csv_out is not None:
        csv_out.write_text(to_csv(outcome.result))
    if html_out is not None and page is not None:
        html_out.write_text(page)
    Console().print(summary_table(outcome.result))
    life = outcome.lifecycle
    Console().print(
        f"{outcome.records_read} records read; {life.opened} new, {life.reopened} reopened, "
        f"{life.refreshed} still open, {life.resolved} resolved (fixed at source)"
    )


def summary_table(result: ReconcileResult) -> Table:
    table = Table(title=f"Reconciliation as of {result.as_of.isoformat()}")
    table.add_column("finding")
    table.add_column("open", justify="right")
    table.add_column("at stake", justify="right")
    for line in result.metrics.leakage.by_kind:
        amounts = ", ".join(str(m) for m in line.amounts)
        table.add_row(line.kind.value, str(line.count), amounts)
    for rate in result.metrics.match_rates:
        table.add_row(
            f"match rate: {rate.pair.value}", f"{rate.matched}/{rate.total}", str(rate.rate)
        )
    return table
