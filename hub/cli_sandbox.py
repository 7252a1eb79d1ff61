"""`revcycle sandbox …`: generate a seeded dataset, serve the vendor emulators, fire webhooks."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hub.cli_params import iso_date, output_file
from sandbox.dataset import GenerateSummary, generate
from sandbox.fire import FiredDelivery, FireError, ScenarioRefused, emulator_urls, fire
from sandbox.serve import Sandbox, SandboxError, run_forever

sandbox_app = typer.Typer(
    help="Play Stripe, Salesforce and QuickBooks locally: dataset, API emulators, webhooks.",
    no_args_is_help=True,
)
console = Console()


@sandbox_app.command("generate")
def generate_command(
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.")],
    customers: Annotated[
        int, typer.Option("--customers", min=1, max=1_000_000, help="How many customers.")
    ],
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Dataset directory.")],
    as_of: Annotated[
        date | None,
        typer.Option(
            "--as-of",
            parser=iso_date,
            metavar="DATE",
            help="Dates are relative to this day (default today).",
        ),
    ] = None,
) -> None:
    """Write a seeded revenue-cycle dataset with planted findings and their ground truth."""
    day = as_of
    columns = (TextColumn("customers"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("generate", total=customers)
        summary = generate(
            out,
            seed=seed,
            customers=customers,
            as_of=day,
            progress=lambda done: bar.update(task, completed=done),
        )
    console.print(_summary_table(summary))


def _summary_table(summary: GenerateSummary) -> Table:
    table = Table(title=f"{summary.out} (seed {summary.seed}, as of {summary.as_of})")
    table.add_column("vendor")
    table.add_column("collection")
    table.add_column("records", justify="right")
    for vendor, counts in summary.counts.items():
        for collection, count in counts.items():
            table.add_row(vendor, collection, f"{count:,}")
    for kind, count in sorted(summary.planted.items()):
        table.add_row("truth", kind, f"{count:,}")
    return table


@sandbox_app.command("serve")
def serve_command(
    data: Annotated[
        Path,
        typer.Option("--data", exists=True, file_okay=False, help="A generated dataset directory."),
    ],
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65533, help="Stripe's port; the next two follow.")
    ] = 12111,
    env_out: Annotated[
        Path | None,
        typer.Option(
            "--env-out",
            parser=output_file,
            metavar="FILE",
            help="Write the hub's settings here when ready.",
        ),
    ] = None,
) -> None:
    """Serve the three emulators until interrupted."""
    if not (data / "meta.json").is_file():
        raise typer.BadParameter(
            f"{data} holds no sandbox dataset (no meta.json); "
            f"write one with: revcycle sandbox generate --out {data}",
            param_hint="'--data'",
        )
    try:
        run_forever(data, host, port, env_out, on_ready=_announce(env_out))
    except SandboxError as exc:
        raise typer.BadParameter(str(exc), param_hint="--port") from None


def _announce(env_out: Path | None) -> Callable[[Sandbox], None]:
    def announce(sandbox: Sandbox) -> None:
        table = Table(title="revcycle sandbox")
        table.add_column("vendor")
        table.add_column("URL")
        for vendor, url in sandbox.urls.items():
            table.add_row(vendor, url)
        console.print(table)
        if env_out is not None:
            console.print(f"settings written to {env_out} (set -a; . {env_out})")
        console.print("Ctrl-C to stop")

    return announce


@sandbox_app.command("fire")
def fire_command(
    to: Annotated[str, typer.Option("--to", help="The hub's base URL.")],
    scenario: Annotated[
        str,
        typer.Option(
            "--scenario", help="stripe.<name>, salesforce.<name>, quickbooks.<name>, or all."
        ),
    ] = "all",
    sandbox: Annotated[
        str | None,
        typer.Option("--sandbox", envvar="STRIPE_API_BASE", help="The Stripe emulator's URL."),
    ] = None,
) -> None:
    """Make the emulators change state and deliver their webhooks to the hub."""
    if not sandbox:
        raise typer.BadParameter(
            "give the Stripe emulator's URL or set STRIPE_API_BASE", param_hint="--sandbox"
        )
    try:
        urls = emulator_urls(sandbox, dict(os.environ))
    except FireError as exc:
        raise typer.BadParameter(str(exc), param_hint="--sandbox") from None
    try:
        deliveries = fire(to, scenario, urls)
    except ScenarioRefused as exc:
        raise typer.BadParameter(str(exc), param_hint=exc.param) from None
    console.print(_deliveries_table(deliveries))


def _deliveries_table(deliveries: list[FiredDelivery]) -> Table:
    table = Table(title=f"{len(deliveries)} deliveries")
    for column in ("vendor", "scenario", "type", "id", "status", "attempts"):
        table.add_column(column, justify="right" if column in ("status", "attempts") else "left")
    for d in deliveries:
        colour = "green" if 200 <= d.status < 300 else "red"
        status = f"[{colour}]{d.status or 'unreachable'}[/]"
        table.add_row(d.vendor, d.scenario, d.type, d.id, status, str(d.attempts))
    return table
