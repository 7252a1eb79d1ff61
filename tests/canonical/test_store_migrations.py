from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from canonical.errors import SchemaNotCurrent, StoreError
from canonical.records import SYNCED_RECORD_TYPES
from canonical.store import current, upgrade, upgrade_async
from canonical.store.engine import begin, connect, create_engine
from canonical.store.migrate import alembic_config, current_async, ensure_current
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


def _sqlite_path(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:") else None


async def _set_revision(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        async with begin(engine) as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    finally:
        await engine.dispose()


async def test_a_store_at_the_newest_revision_is_current(empty_store_url: str) -> None:
    await upgrade_async(empty_store_url)

    await ensure_current(empty_store_url)


async def test_a_database_without_a_schema_says_to_run_db_upgrade(empty_store_url: str) -> None:
    path = _sqlite_path(empty_store_url)
    if path is not None:
        path.touch()  # an existing file, empty

    with pytest.raises(SchemaNotCurrent, match=r"no schema yet; run `revcycle db upgrade` first"):
        await ensure_current(empty_store_url)


async def test_a_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"

    with pytest.raises(SchemaNotCurrent, match=f"no store at {path}; run `revcycle db upgrade`"):
        await ensure_current(f"sqlite:///{path}")
    assert not path.exists()


async def test_an_older_schema_names_both_revisions_and_says_to_upgrade(
    empty_store_url: str,
) -> None:
    older = next(
        s.revision
        for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()
        if s.revision != HEAD
    )
    await upgrade_async(empty_store_url, older)

    with pytest.raises(SchemaNotCurrent) as raised:
        await ensure_current(empty_store_url)
    assert str(raised.value) == (
        f"the store's schema is at revision {older}, older than this revcycle's {HEAD}; "
        "run `revcycle db upgrade`"
    )


async def test_a_schema_from_a_newer_revcycle_is_not_touched_and_says_so(
    empty_store_url: str,
) -> None:
    await upgrade_async(empty_store_url)
    await _set_revision(empty_store_url, "ffff")

    with pytest.raises(SchemaNotCurrent, match="revision ffff, which this revcycle does not know"):
        await ensure_current(empty_store_url)
    assert await current_async(empty_store_url) == "ffff"
