"""Dates on the command line, parsed by typer so that a bad one names its option."""

from __future__ import annotations

from datetime import date

import typer


def iso_date(value: str) -> date:
    """A calendar date written YYYY-MM-DD (typer's `parser=`)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected a date like 2025-01-31, got {value!r}") from None
