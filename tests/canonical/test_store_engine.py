from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from canonical.errors import StoreError, StoreUnavailable
from canonical.records import Party
from canonical.store import Store, async_url, create_engine
from canonical.store.engine import begin, connect


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sqlite:///revcycle.db", "sqlite+aiosqlite:///revcycle.db"),
        ("sqlite:////abs/path.db", "sqlite+aiosqlite:////abs/path.db"),
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://u:p@db:5432/rc", "postgresql+asyncpg://u:p@db:5432/rc"),
        ("postgres://u@db/rc", "postgresql+asyncpg://u@db/rc"),
        ("postgresql+asyncpg://u@db/rc", "postgresql+asyncpg://u@db/rc"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_async_url_picks_the_async_driver(raw: str, expected: str) -> None:
    assert async_url(raw) == expected


def test_unsupported_scheme_is_named_without_the_password() -> None:
    with pytest.raises(StoreError, match="'mysql'") as caught:
        async_url("mysql://admin:hunter2@db/rc")

    assert "hunter2" not in str(caught.value)


def test_text_without_a_scheme_is_refused_without_echoing_it() -> None:
    with pytest.raises(StoreError) as caught:
        async_url("hunter2")

    assert "hunter2" not in str(caught.value)


async def _pragma(engine: AsyncEngine, name: str) -> object:
    async with connect(engine) as conn:
        return (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()


async def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        assert await _pragma(engine, "journal_mode") == "wal"
        assert await _pragma(engine, "foreign_keys") == 1
        assert int(str(await _pragma(engine, "busy_timeout"))) >= 1000
    finally:
        await engine.dispose()


async def test_in_memory_sqlite_keeps_one_database_across_connections() -> None:
    engine = create_engine("sqlite://")
    try:
        async with begin(engine) as conn:
            await conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        async with connect(engine) as conn:
            assert (await conn.exec_driver_sql("SELECT count(*) FROM t")).scalar() == 0
    finally:
        await engine.dispose()


async def test_unreachable_postgres_raises_store_unavailable_naming_where_not_the_password() -> (
    None
):
    store = Store.from_url("postgresql://postgres:secret@127.0.0.1:1/none")
    try:
        with pytest.raises(StoreUnavailable) as caught:
            await store.count(Party)
    finally:
        await store.close()
    message = str(caught.value)
    assert message.startswith("cannot reach the store at 127.0.0.1:1/none: Connect call failed")
    assert "secret" not in message


async def test_unopenable_sqlite_file_raises_store_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "dir" / "revcycle.db"
    store = Store.from_url(f"sqlite:///{path}")
    try:
        with pytest.raises(StoreUnavailable) as caught:
            await store.get_checkpoint("stripe", "invoices")
    finally:
        await store.close()
    assert str(caught.value) == f"cannot reach the store at {path}: unable to open database file"
