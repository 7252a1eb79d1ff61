"""Option values typer parses for several commands, so that a bad one names its option and
nothing runs: dates, and files a command will write."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import typer


def iso_date(value: str) -> date:
    """A calendar date written YYYY-MM-DD (typer's `parser=`)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected a date like 2025-01-31, got {value!r}") from None


def output_file(value: str) -> Path:
    """A file the command will write (typer's `parser=`): checked before any work starts, so a
    typo'd directory fails at once rather than after the work, with its results unwritten."""
    path = Path(value)
    if path.is_dir():
        raise typer.BadParameter(f"{value} is a directory; name a file in it")
    parent = path.parent
    if not parent.is_dir():
        raise typer.BadParameter(f"no directory {parent} to write {path.name} in")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise typer.BadParameter(f"cannot write {value}: permission denied")
    return path
