"""Sync checkpoints: how far each (source, object) sync has read, and its last error.

A checkpoint is written on the caller's connection so that it commits with the records it covers
(`Store.transaction()`), never ahead of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from canonical.store.ops_tables import sync_checkpoints


@dataclass(frozen=True, slots=True)
class Checkpoint:
    source: str
    object: str
    cursor: str | None
    last_synced_at: datetime | None
    last_error: str | None
    updated_at: datetime


def _insert(conn: AsyncConnection) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(sync_checkpoints)


async def set_checkpoint(
    conn: AsyncConnection,
    source: str,
    obj: str,
    cursor: str | None,
    *,
    synced_at: datetime,
    now: datetime,
) -> None:
    """Advance the checkpoint and clear its error: the sync reached `cursor` at `synced_at`."""
    values = {"cursor": cursor, "last_synced_at": synced_at, "last_error": None, "updated_at": now}
    statement = _insert(conn).values(source=str(source), object=obj, **values)
    await conn.execute(
        statement.on_conflict_do_update(index_elements=["source", "object"], set_=values)
    )


async def record_sync_error(
    conn: AsyncConnection, source: str, obj: str, error: str, *, now: datetime
) -> None:
    """Remember why the last sync failed, leaving the cursor where the data is."""
    statement = _insert(conn).values(
        source=str(source), object=obj, cursor=None, last_error=error, updated_at=now
    )
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["source", "object"], set_={"last_error": error, "updated_at": now}
        )
    )


def _checkpoint(row: Any) -> Checkpoint:
    return Checkpoint(
        source=row.source,
        object=row.object,
        cursor=row.cursor,
        last_synced_at=row.last_synced_at,
        last_error=row.last_error,
        updated_at=row.updated_at,
    )


_COLUMNS = (
    sync_checkpoints.c.source,
    sync_checkpoints.c.object,
    sync_checkpoints.c.cursor,
    sync_checkpoints.c.last_synced_at,
    sync_checkpoints.c.last_error,
    sync_checkpoints.c.updated_at,
)


async def get_checkpoint(conn: AsyncConnection, source: str, obj: str) -> Checkpoint | None:
    query = select(*_COLUMNS).where(
        sync_checkpoints.c.source == str(source), sync_checkpoints.c.object == obj
    )
    row = (await conn.execute(query)).first()
    return None if row is None else _checkpoint(row)


async def list_checkpoints(conn: AsyncConnection) -> list[Checkpoint]:
    query = select(*_COLUMNS).order_by(sync_checkpoints.c.source, sync_checkpoints.c.object)
    return [_checkpoint(row) for row in await conn.execute(query)]
