from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from canonical.errors import StoreError
from canonical.records import SYNCED_RECORD_TYPES
from canonical.store import current, upgrade, upgrade_async
from canonical.store.engine import connect, create_engine
from canonical.store.migrate import alembic_config, current_async
from canonical.store.record_tables import TABLE_NAMES
from canonical.store.schema import metadata

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _diffs(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _run_sync_on(url: str, function: object) -> object:
    engine = create_engine(url)
    try:
        async with connect(engine) as conn:
            return await conn.run_sync(function)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


async def test_given_empty_database_when_upgraded_then_schema_equals_metadata(
    empty_store_url: str,
) -> None:
    assert await current_async(empty_store_url) is None

    await upgrade_async(empty_store_url)

    assert await current_async(empty_store_url) == HEAD
    assert await _run_sync_on(empty_store_url, _diffs) == []


async def test_upgrade_creates_a_table_per_synced_record_type(empty_store_url: str) -> None:
    await upgrade_async(empty_store_url)

    names = await _run_sync_on(empty_store_url, _table_names)

    assert isinstance(names, set)
    assert {TABLE_NAMES[t] for t in SYNCED_RECORD_TYPES} <= names
    assert {"invoice_lines", "sync_checkpoints", "inbox_events", "oauth_tokens"} <= names


async def test_upgrade_twice_is_a_no_op(empty_store_url: str) -> None:
    await upgrade_async(empty_store_url)
    await upgrade_async(empty_store_url)

    assert await current_async(empty_store_url) == HEAD


async def test_sync_upgrade_inside_an_event_loop_names_the_async_twin(sqlite_url: str) -> None:
    with pytest.raises(StoreError, match="upgrade_async"):
        upgrade(sqlite_url)


async def test_sync_upgrade_and_current_work_where_no_loop_runs(sqlite_url: str) -> None:
    # The CLI's situation: a thread with no running event loop.
    await asyncio.to_thread(upgrade, sqlite_url)

    assert await asyncio.to_thread(current, sqlite_url) == HEAD
