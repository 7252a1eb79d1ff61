"""Schema migrations with Alembic, configured in code so they run from an installed package.

`upgrade(url)` is the sync entry point for `revcycle db upgrade`; code already inside an event loop
(tests, the app) awaits `upgrade_async(url)`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from canonical.errors import StoreError
from canonical.store.engine import begin, connect, create_engine

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic config with no ini file: the script location is this package's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as attributes, not options: ini interpolation would mangle a '%' in a password.
    if url is not None:
        config.attributes["url"] = url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` (plain or async URL) up to `revision`."""
    _no_running_loop("upgrade_async")
    asyncio.run(upgrade_async(url, revision))


def current(url: str) -> str | None:
    """The database's current revision, or None for an unmigrated database."""
    _no_running_loop("current_async")
    return asyncio.run(current_async(url))


async def upgrade_async(url: str, revision: str = "head") -> None:
    engine = create_engine(url)
    try:
        async with begin(engine) as conn:
            await conn.run_sync(_upgrade_on, revision)
    finally:
        await engine.dispose()


async def current_async(url: str) -> str | None:
    engine = create_engine(url)
    try:
        async with connect(engine) as conn:
            return await conn.run_sync(_current_on)
    finally:
        await engine.dispose()


def _upgrade_on(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection=connection), revision)


def _current_on(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _no_running_loop(alternative: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise StoreError(f"called inside an event loop: await canonical.store.migrate.{alternative}")
