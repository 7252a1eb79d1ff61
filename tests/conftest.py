"""Fixtures shared by the whole suite.

Databases: `sqlite_url` (a file per test), `postgres_url` (a fresh database per test module on
REVCYCLE_TEST_POSTGRES_URL, dropped afterwards), `store_url` (both, ids "sqlite" and "postgres"),
`empty_store_url` (both, never migrated), and `store` (a migrated, emptied `Store` on `store_url`).
PostgreSQL tests are marked `postgres`; when the server is unreachable they skip with a reason
containing "PostgreSQL unavailable", which CI treats as a failure.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from canonical.store import Store, upgrade_async
from canonical.store.engine import begin
from canonical.store.schema import metadata

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


async def _execute(dsn: str, statement: str) -> None:
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _admin(base_url: str, statement: str) -> None:
    """Run one statement on the server. In its own thread: `asyncio.run` on pytest-asyncio's
    thread would replace that thread's event loop."""
    dsn = make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _execute(dsn, statement)).result()


@contextmanager
def _fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the test server; dropped on exit."""
    base = os.environ.get("REVCYCLE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    name = f"revcycle_test_{uuid.uuid4().hex[:12]}"
    try:
        _admin(base, f'CREATE DATABASE "{name}"')
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        shown = make_url(base).render_as_string(hide_password=True)
        pytest.skip(f"PostgreSQL unavailable at {shown}: {error}")
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'revcycle.db'}"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with _fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest) -> str:
    """A database URL on each backend; the PostgreSQL one is shared by the test module."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture(params=BACKENDS)
def empty_store_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    """A database URL on each backend that nothing has touched yet."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    with _fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    """A migrated store, emptied: a module's tests share one PostgreSQL database."""
    await upgrade_async(store_url)
    opened = Store.from_url(store_url)
    async with begin(opened.engine) as conn:
        for table in reversed(metadata.sorted_tables):
            await conn.execute(table.delete())
    yield opened
    await opened.close()
