"""The `revcycle` command line.

Every command is a thin shell over a service function. Errors print as one line and exit non-zero;
`revcycle --debug …` shows the traceback instead.
"""

from __future__ import annotations

import inspect
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

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
from hub.logging import configure_logging
from hub.settings import SettingsError, get_settings

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


def _reflow_help(group: typer.Typer) -> None:
    """Each command's help as whole paragraphs. typer's rich help keeps a docstring's line breaks,
    then wraps the lines again to the terminal, which left ragged lines ("falls back to a full /
    read"); with each paragraph on one line it wraps once."""
    for info in group.registered_commands:
        text = info.help or inspect.getdoc(info.callback)
        if text:
            info.help = "\n\n".join(" ".join(part.split()) for part in text.split("\n\n"))
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _reflow_help(sub.typer_instance)


_reflow_help(app)

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
    # typer carries its own copy of click: its usage errors, exits and aborts are typer's classes,
    # not the click package's.
    _logs_to_stderr()
    try:
        result = app(args=argv, prog_name="revcycle", standalone_mode=False)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.TyperException as usage:  # a bad option or argument, named in one line
        context = getattr(usage, "ctx", None)
        hint = f" (see {context.command_path} --help)" if context is not None else ""
        _print_error(f"{usage.format_message()}{hint}")
        sys.exit(usage.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        sys.exit(130)
    except Exception as exc:
        if _debug["on"]:
            raise
        _print_error(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


def _logs_to_stderr() -> None:
    """Every command logs to stderr in the configured format, so that stdout holds only what
    the command prints: `sync --json` stays JSON when an object fails and logs it. (Unconfigured,
    structlog writes to stdout.)"""
    try:
        settings = get_settings()
    except SettingsError:  # the command reports it, if it reads settings at all
        configure_logging()
        return
    configure_logging(settings.REVCYCLE_LOG_FORMAT, settings.REVCYCLE_LOG_LEVEL)


def _print_error(message: str) -> None:
    # Escaped: a message may quote text in square brackets, which rich would take for markup.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
