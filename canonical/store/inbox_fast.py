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

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Protocol

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


def _json(headers: Mapping[str, str]) -> str:
    # orjson takes only a dict; the gateway's headers already are one, so skip the copy.
    return orjson.dumps(headers if type(headers) is dict else dict(headers)).decode()


class InboxWriter(Protocol):
    async def insert(self, events: Sequence[NewEvent], *, now: datetime) -> list[int | None]: ...

    async def close(self) -> None: ...


def _ids_in_order(
    events: Sequence[NewEvent], inserted: dict[tuple[str, str], int]
) -> list[int | None]:
    # A batch may carry the same delivery twice: only its first occurrence is new.
    return [inserted.pop((e.source, e.dedupe_key), None) for e in events]


class _Slot:
    """One dedicated connection and its prepared statement; reopened after any failure."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self.conn: Any = None
        self.statement: Any = None

    async def prepared(self) -> Any:
        if self.conn is None or self.conn.is_closed() or self.statement is None:
            self.conn = await asyncpg.connect(self._dsn, timeout=POSTGRES_CONNECT_TIMEOUT_S)
            self.statement = await self.conn.prepare(_INSERT)
        return self.statement

    def discard(self) -> None:
        conn, self.conn, self.statement = self.conn, None, None
        if conn is not None:
            conn.terminate()

    async def close(self) -> None:
        conn, self.conn, self.statement = self.conn, None, None
        if conn is not None and not conn.is_closed():
            await conn.close()


class PostgresInboxWriter:
    """`connections` dedicated connections: as many batches can commit at once."""

    def __init__(self, url: str, *, connections: int = 2) -> None:
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._slots = [_Slot(dsn) for _ in range(connections)]
        self._free: asyncio.LifoQueue[_Slot] = asyncio.LifoQueue()
        for slot in self._slots:
            self._free.put_nowait(slot)

    async def insert(self, events: Sequence[NewEvent], *, now: datetime) -> list[int | None]:
        if not events:
            return []
        slot = await self._free.get()
        try:
            rows = await self._insert(slot, events, now)
        finally:
            self._free.put_nowait(slot)
        return _ids_in_order(events, {(r[1], r[2]): r[0] for r in rows})

    @staticmethod
    async def _insert(slot: _Slot, events: Sequence[NewEvent], now: datetime) -> list[Any]:
        try:
            statement = await slot.prepared()
            rows: list[Any] = await statement.fetch(
                to_micros(now),
                [e.source for e in events],
                [e.dedupe_key for e in events],
                [e.event_type for e in events],
                [_json(e.headers) for e in events],
                [e.body for e in events],
                [e.status for e in events],
                timeout=COMMAND_TIMEOUT_S,
            )
        except (OSError, TimeoutError, asyncpg.InterfaceError) as exc:
            slot.discard()
            raise StoreUnavailable(f"cannot reach the store: {type(exc).__name__}") from exc
        except asyncpg.PostgresError as exc:
            slot.discard()
            unavailable = isinstance(
                exc, (asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError)
            )
            kind = StoreUnavailable if unavailable else StoreError
            raise kind(f"inbox insert failed: {type(exc).__name__}") from exc
        return rows

    async def close(self) -> None:
        for slot in self._slots:
            await slot.close()


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


def inbox_writer(engine: AsyncEngine, *, connections: int = 2) -> InboxWriter:
    """The fastest writer for the engine's backend."""
    if engine.dialect.name == "postgresql":
        url = engine.url.render_as_string(hide_password=False)
        return PostgresInboxWriter(url, connections=connections)
    return EngineInboxWriter(engine)
