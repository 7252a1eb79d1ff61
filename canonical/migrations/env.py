"""Alembic environment: runs on a connection handed over by `canonical.store.migrate`, or opens
its own async engine from the `url` attribute (for the `alembic` command line)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from canonical.store.engine import begin, create_engine
from canonical.store.schema import metadata


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by table copy
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    engine = create_engine(url)
    try:
        async with begin(engine) as conn:
            await conn.run_sync(_run_on)
    finally:
        await engine.dispose()


def _run_offline(url: str) -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


_given = context.config.attributes.get("connection")
if _given is not None:
    _run_on(_given)
elif context.is_offline_mode():
    _run_offline(context.config.attributes["url"])
else:
    asyncio.run(_run_with_own_engine(context.config.attributes["url"]))
