"""Committed inbox inserts for the gateway's group commit, with one error family.

`insert(events, now=…)` commits a batch and returns, per event, its new id or None for a
duplicate — the semantics of `inbox.insert_events`. Any failure to commit raises `StoreError`
(`StoreUnavailable` when the database cannot be reached), never a driver exception.

- `PostgresInboxWriter`: the hot path. One dedicated asyncpg connection and one prepared
  `INSERT … SELECT FROM unnest(…)` per batch; SQLAlchemy's per-statement compile and pool checkout
  cost more than the insert itself at thousands of events per second.
- `EngineInboxWriter`: any backend (SQLite, the embedded default) through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final, Protocol

import asyncpg  # type: ignore[import-untyped]  # no stubs; its types are Any here
import orjson
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from canonical.errors import StoreError, StoreUnavailable
from canonical.store.engine import POSTGRES_CONNECT_TIMEOUT_S, begin
from canonical.store.inbox import NewEvent, insert_events
from canonical.store.types import to_micros

_INSERT: Final = """
INSERT INTO inbox_events
    (source, dedupe_key, event_type, received_at, headers, body, status, attempts)
SELECT u.source, u.dedupe_key, u.event_type, $1::bigint, u.headers::json, u.body, u.status, 0
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::text[])
    AS u(source, dedupe_key, event_type, headers, body, status)
ON CONFLICT (source, dedupe_key) DO NOTHING
RETURNING id, source, dedupe_key
"""
COMMAND_TIMEOUT_S: Final = 10.0


class InboxWriter(Protocol):
    async def insert(self, events: Sequence[NewEvent], *, now: datetime) -> list[int | None]: ...

    async def close(self) -> None: ...


def _ids_in_order(
    events: Sequence[NewEvent], inserted: dict[tuple[str, str], int]
) -> list[int | None]:
    # A batch may carry the same delivery twice: only its first occurrence is new.
    return [inserted.pop((e.source, e.dedupe_key), None) for e in events]


class PostgresInboxWriter:
    """A dedicated connection, reopened after any failure; one prepared statement."""

    def __init__(self, url: str) -> None:
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._conn: asyncpg.Connection | None = None
        self._statement: asyncpg.prepared_stmt.PreparedStatement | None = None

    async def insert(self, events: Sequence[NewEvent], *, now: datetime) -> list[int | None]:
        if not events:
            return []
        try:
            statement = await self._prepared()
            rows = await statement.fetch(
                to_micros(now),
                [e.source for e in events],
                [e.dedupe_key for e in events],
                [e.event_type for e in events],
                [orjson.dumps(dict(e.headers)).decode() for e in events],
                [e.body for e in events],
                [e.status for e in events],
                timeout=COMMAND_TIMEOUT_S,
            )
        except (OSError, TimeoutError, asyncpg.InterfaceError) as exc:
            await self._discard()
            raise StoreUnavailable(f"cannot reach the store: {type(exc).__name__}") from exc
        except asyncpg.PostgresError as exc:
            await self._discard()
            unavailable = isinstance(
                exc, (asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError)
            )
            kind = StoreUnavailable if unavailable else StoreError
            raise kind(f"inbox insert failed: {type(exc).__name__}") from exc
        return _ids_in_order(events, {(r[1], r[2]): r[0] for r in rows})

    async def _prepared(self) -> asyncpg.prepared_stmt.PreparedStatement:
        if self._conn is None or self._conn.is_closed() or self._statement is None:
            self._conn = await asyncpg.connect(self._dsn, timeout=POSTGRES_CONNECT_TIMEOUT_S)
            self._statement = await self._conn.prepare(_INSERT)
        return self._statement

    async def _discard(self) -> None:
        conn, self._conn, self._statement = self._conn, None, None
        if conn is not None:
            conn.terminate()

    async def close(self) -> None:
        conn, self._conn, self._statement = self._conn, None, None
        if conn is not None and not conn.is_closed():
            await conn.close()


class EngineInboxWriter:
    """Through SQLAlchemy on the store's engine: SQLite, or PostgreSQL off the hot path."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def insert(self, events: Sequence[NewEvent], *, now: datetime) -> list[int | None]:
        try:
            async with begin(self._engine) as conn:
                return await insert_events(conn, events, now=now)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable(f"inbox insert failed: {type(exc).__name__}") from exc

    async def close(self) -> None:
        """The engine belongs to the store, which closes it."""


def inbox_writer(engine: AsyncEngine) -> InboxWriter:
    """The fastest writer for the engine's backend."""
    if engine.dialect.name == "postgresql":
        return PostgresInboxWriter(engine.url.render_as_string(hide_password=False))
    return EngineInboxWriter(engine)
