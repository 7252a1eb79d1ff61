"""`revcycle demo`: the whole revenue cycle end to end on the sandbox, with a summary."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hub.cli_params import iso_date
from hub.demo.prod import run_demo_prod
from hub.demo.run import DemoOptions, OnSummary, run_demo
from hub.demo.summary import DemoSummary, render
from hub.logging import configure_logging
from hub.settings import Settings

console = Console()


def demo_command(
    out: Annotated[
        Path, typer.Option("--out", file_okay=False, help="Dataset, store and reports go here.")
    ] = Path("demo-out"),
    seed: Annotated[int, typer.Option("--seed", help="The dataset's seed.")] = 7,
    customers: Annotated[
        int, typer.Option("--customers", min=1, max=5_000, help="Dataset size (≥ 50: every kind).")
    ] = 120,
    as_of: Annotated[
        date | None,
        typer.Option(
            "--as-of",
            parser=iso_date,
            metavar="DATE",
            help="The dataset's as-of date (default today).",
        ),
    ] = None,
    serve: Annotated[
        bool, typer.Option("--serve", help="Keep the gateway and ops pages up afterwards.")
    ] = False,
    prod: Annotated[
        bool,
        typer.Option(
            "--prod",
            help="Production parts: PostgreSQL (REVCYCLE_DATABASE_URL), Redis "
            "(REVCYCLE_REDIS_URL), two worker processes, a two-process gateway.",
        ),
    ] = False,
) -> None:
    """Generate, sync, fire webhooks, process them, reconcile, report: one command."""
    configure_logging("auto", "warning")  # the summary is the output; warnings still show
    options = DemoOptions(
        out=out,
        seed=seed,
        customers=customers,
        as_of=as_of,
        serve=serve,
    )
    show = shower(serve)
    if prod:
        asyncio.run(run_demo_prod(options, show))
    else:
        asyncio.run(run_demo(options, show))


def shower(serve: bool) -> OnSummary:
    def show(summary: DemoSummary, settings: Settings) -> None:
        render(summary, console)
        if serve and settings.REVCYCLE_OPS_TOKEN is not None:
            token = settings.REVCYCLE_OPS_TOKEN.get_secret_value()
            console.print(serving_banner(summary.gateway_url, token))

    return show


def serving_banner(url: str, token: str) -> str:
    return (
        f"serving: webhooks at {url}/webhooks/{{stripe,quickbooks,salesforce}}, {url}/metrics, "
        f"ops API and pages at {url}/ops/report and {url}/ops/findings with "
        f"`Authorization: Bearer {token}` (a token made for this run), e.g.\n"
        f"  curl -H 'Authorization: Bearer {token}' {url}/ops/report > live-report.html\n"
        "Ctrl-C stops"
    )


if __name__ == "__main__":  # `python -m hub.cli_demo`, before `revcycle demo` is wired
    typer.run(demo_command)
