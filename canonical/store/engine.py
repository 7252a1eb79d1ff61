"""Engines from plain URLs, and the boundary where connection errors become `StoreUnavailable`.

`REVCYCLE_DATABASE_URL` holds what a user would write (`sqlite:///revcycle.db`,
`postgresql://user@host/db`); the async driver is picked here.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any, Final

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from canonical.errors import StoreError, StoreUnavailable

_ASYNC_DRIVERS: Final = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}

# A write transaction on SQLite takes the write lock at BEGIN (BEGIN IMMEDIATE): a deferred one that
# read first would fail with "database is locked" instead of waiting when another writer got in.
WRITE_OPTION: Final = "revcycle_write"
SQLITE_BUSY_TIMEOUT_MS: Final = 15_000
POSTGRES_CONNECT_TIMEOUT_S: Final = 10

_CONNECT_ERRORS: Final = (OSError, asyncio.TimeoutError, exc.DBAPIError)


def async_url(raw: str) -> str:
    """The URL with its async driver: `postgres://…` → `postgresql+asyncpg://…`, and so on."""
    scheme, sep, rest = raw.partition("://")
    if not sep:  # say nothing of the text itself: it may hold a password
        raise StoreError("not a database URL: expected scheme://…")
    driver = _ASYNC_DRIVERS.get(scheme.lower())
    if driver is None:
        raise StoreError(
            f"unsupported database URL scheme {scheme!r}: use sqlite:///path or postgresql://…"
        )
    return f"{driver}://{rest}"


def create_engine(url: str) -> AsyncEngine:
    """An async engine for a plain or async URL, with pools and pragmas suited to the backend."""
    full = async_url(url)
    parsed = make_url(full)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(full, in_memory=parsed.database in (None, "", ":memory:"))
    return create_async_engine(
        full,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={"timeout": POSTGRES_CONNECT_TIMEOUT_S},
    )


# Encoded rows carry `date` values; store them as the ISO text SQLAlchemy's Date type reads back.
# (The sqlite3 module's own date adapter did the same, but is deprecated since Python 3.12.)
sqlite3.register_adapter(date, date.isoformat)


def _sqlite_engine(url: str, *, in_memory: bool) -> AsyncEngine:
    options: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    if in_memory:  # one shared connection, or each checkout would see an empty database
        options["poolclass"] = StaticPool
    engine = create_async_engine(url, **options)
    event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_on_begin) instead of the sqlite3 module's guess.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "PRAGMA foreign_keys=ON",
        "PRAGMA synchronous=NORMAL",
    ):
        cursor.execute(pragma)
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    write = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def describe_url(url: str) -> str:
    """Where a database URL points, without credentials: `host:port/database`, or a SQLite path."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.host or 'localhost'}{port}/{parsed.database or ''}"


def _reason(error: BaseException) -> str:
    """The driver's own words, first line only: "Connect call failed …", "unable to open database
    file". A password never appears in them; the URL is not quoted."""
    cause = error.orig if isinstance(error, exc.DBAPIError) and error.orig is not None else error
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    text = str(cause).strip()
    return text.splitlines()[0] if text else type(cause).__name__


@asynccontextmanager
async def connect(engine: AsyncEngine, *, write: bool = False) -> AsyncIterator[AsyncConnection]:
    """A connection; failing to reach the database raises `StoreUnavailable`."""
    try:
        conn = await engine.connect().start()
    except _CONNECT_ERRORS as error:
        where = describe_url(engine.url.render_as_string(hide_password=True))
        raise StoreUnavailable(f"cannot reach the store at {where}: {_reason(error)}") from error
    try:
        if write:
            await conn.execution_options(**{WRITE_OPTION: True})
        yield conn
    finally:
        await conn.close()


@asynccontextmanager
async def begin(engine: AsyncEngine, *, write: bool = True) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction: committed on success, rolled back on any exception."""
    async with connect(engine, write=write) as conn:
        try:
            transaction = await conn.begin()
        except _CONNECT_ERRORS as error:
            raise StoreUnavailable(f"cannot start a transaction: {type(error).__name__}") from error
        try:
            yield conn
        except BaseException:
            await transaction.rollback()
            raise
        await transaction.commit()
