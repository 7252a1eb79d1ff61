"""The `revcycle` command line.

Every command is a thin shell over a service function. Errors print as one line and exit non-zero;
`revcycle --debug …` shows the traceback instead.
"""

from __future__ import annotations

import sys
from typing import Annotated

import click
import typer
from rich.console import Console

from hub import __version__
from hub.cli_db import db_app
from hub.cli_demo import demo_command
from hub.cli_events import events_app
from hub.cli_gateway import gateway_command
from hub.cli_map import map_command
from hub.cli_reconcile import reconcile_command
from hub.cli_sandbox import sandbox_app
from hub.cli_sync import check_command, status_command, sync_command
from hub.cli_worker import worker_command

app = typer.Typer(
    name="revcycle",
    help="Integration hub and webhook gateway for the revenue cycle: "
    "Salesforce, Stripe and QuickBooks in one canonical model.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("demo")(demo_command)
app.add_typer(db_app, name="db")
app.command("check")(check_command)
app.command("sync")(sync_command)
app.command("status")(status_command)
app.command("reconcile")(reconcile_command)
app.command("gateway")(gateway_command)
app.command("worker")(worker_command)
app.add_typer(events_app, name="events")
app.command("map")(map_command)
app.add_typer(sandbox_app, name="sandbox")

err_console = Console(stderr=True)
_debug = {"on": False}


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"revcycle {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version."),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _debug["on"] = debug


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app, turning any failure into one line on stderr."""
    try:
        result = app(args=argv, standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as usage:
        usage.show()
        sys.exit(usage.exit_code)
    except (click.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        sys.exit(130)
    except Exception as exc:
        if _debug["on"]:
            raise
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
