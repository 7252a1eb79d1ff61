"""Schema migrations with Alembic, configured in code so they run from an installed package.

`upgrade(url)` is the sync entry point for `revcycle db upgrade`; code already inside an event loop
(tests, the app) awaits `upgrade_async(url)`. `ensure_current(url)` is what every other command
asks first, so that a store not migrated yet is one clear error rather than a missing table.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from canonical.errors import SchemaNotCurrent, StoreError
from canonical.store.engine import async_url, begin, connect, create_engine

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


async def ensure_current(url: str) -> None:
    """Raise `SchemaNotCurrent`, saying what to do, unless the store is at the newest revision of
    this code's migrations."""
    missing = _missing_sqlite_file(url)
    if missing is not None:  # connecting would create it, empty: a typo'd path changes nothing
        raise SchemaNotCurrent(f"no store at {missing}; run `revcycle db upgrade` to create it")
    found = await current_async(url)
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_current_head()
    if found == head:
        return
    if found is None:
        raise SchemaNotCurrent("the store has no schema yet; run `revcycle db upgrade` first")
    if found in {script.revision for script in scripts.walk_revisions()}:
        raise SchemaNotCurrent(
            f"the store's schema is at revision {found}, older than this revcycle's {head}; "
            "run `revcycle db upgrade`"
        )
    raise SchemaNotCurrent(
        f"the store's schema is at revision {found}, which this revcycle does not know "
        f"(its newest is {head}): a newer revcycle migrated it; run that version"
    )


def _missing_sqlite_file(url: str) -> Path | None:
    parsed = make_url(async_url(url))
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database is None or database in ("", ":memory:"):
        return None
    path = Path(database)
    return None if path.exists() else path


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
