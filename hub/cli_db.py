"""`revcycle db …`: the store's schema."""

from __future__ import annotations

import typer

from canonical.store.migrate import current, upgrade
from hub.settings import get_settings

db_app = typer.Typer(help="Create and migrate the store's schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument(
        "head", metavar="REVISION", help="Alembic revision to migrate to."
    ),
) -> None:
    """Apply migrations to REVCYCLE_DATABASE_URL (default: a SQLite file here)."""
    url = get_settings().REVCYCLE_DATABASE_URL
    upgrade(url, revision)
    typer.echo(f"database at revision {current(url)}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision the database is at."""
    typer.echo(current(get_settings().REVCYCLE_DATABASE_URL) or "empty (run `revcycle db upgrade`)")
