"""`revcycle events list|replay` on a real store: in-process (no Redis), and queueing on Redis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import TypeVar

import pytest
from arq.constants import default_queue_name
from redis.asyncio import Redis
from sqlalchemy import update
from typer.testing import CliRunner

from canonical.store import Store
from canonical.store.engine import begin
from canonical.store.inbox import InboxEvent, finish_event
from canonical.store.ops_tables import inbox_events
from hub.cli_events import UNQUEUED, events_app
from hub.settings import get_settings
from jobs.events import event_job_id
from tests.jobs.helpers import inbox_row, store_stripe, stripe_event, stripe_fixture
from tests.jobs.redis_fixtures import RedisServer, free_port, redis_server

__all__ = ["redis_server"]  # a fixture, imported for pytest

T = TypeVar("T")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, store: Store, store_url: str) -> Iterator[str]:
    """Settings on the migrated, emptied store; the commands run their own event loops."""
    monkeypatch.setenv("REVCYCLE_DATABASE_URL", store_url)
    monkeypatch.delenv("REVCYCLE_REDIS_URL", raising=False)
    get_settings.cache_clear()
    yield store_url
    get_settings.cache_clear()


def on_store(url: str, work: Callable[[Store], Awaitable[T]]) -> T:
    async def run() -> T:
        opened = Store.from_url(url)
        try:
            return await work(opened)
        finally:
            await opened.close()

    return asyncio.run(run())


async def dead_event(store: Store) -> int:
    event = stripe_event("evt_cli1", "invoice.updated", stripe_fixture("invoice"), 1_750_000_000)
    event_id = await store_stripe(store, event)
    assert event_id is not None
    async with begin(store.engine) as conn:
        await finish_event(conn, event_id, "dead", now=datetime.now(UTC), error="boom")
    return event_id


def test_list_json_shows_the_vendor_event_id_status_and_error(env: str) -> None:
    event_id = on_store(env, dead_event)
    result = CliRunner().invoke(events_app, ["list", "--status", "dead", "--json"])
    assert result.exit_code == 0, result.output
    [shown] = json.loads(result.output)
    assert {key: shown[key] for key in ("id", "event_id", "type", "status", "attempts")} == {
        "id": event_id,
        "event_id": "evt_cli1",
        "type": "invoice.updated",
        "status": "dead",
        "attempts": 0,
    }
    assert (shown["source"], shown["error"]) == ("stripe", "boom")
    assert shown["received_at"].endswith("+00:00")


def test_replay_dead_processes_them_in_process_without_redis(env: str) -> None:
    event_id = on_store(env, dead_event)
    result = CliRunner().invoke(events_app, ["replay", "--status", "dead"])
    assert result.exit_code == 0, result.output
    assert f"replayed 1 event(s): {event_id}" in result.output

    async def row(store: Store) -> InboxEvent:
        return await inbox_row(store, event_id)

    replayed = on_store(env, row)
    assert (replayed.status, replayed.error) == ("processed", None)


def test_replay_needs_an_id_or_a_status(env: str) -> None:
    result = CliRunner().invoke(events_app, ["replay"])
    assert result.exit_code != 0


def test_list_table_titles_every_column_it_shows(env: str) -> None:
    on_store(env, dead_event)
    result = CliRunner().invoke(events_app, ["list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    [header] = [line for line in lines if "┃ id" in line and "status" in line]
    [row] = [line for line in lines if "invoice.updated" in line]
    assert header.count("┃") == row.count("│")  # as many titles as cells
    assert "(UTC)" in result.output
    assert "boom" in row


def test_list_table_at_80_columns_cuts_no_status_source_or_event_id(env: str) -> None:
    event_id = on_store(env, dead_event)
    result = CliRunner().invoke(events_app, ["list"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    assert "…" not in result.output
    rows = [line.strip("│").split("│") for line in result.output.splitlines()]
    [cells] = [[cell.strip() for cell in row] for row in rows if row[0].strip() == str(event_id)]
    assert (cells[1], cells[3], cells[4]) == ("stripe", "dead", "0")
    assert "evt_cli1" in result.output  # under its type, wrapped at worst, never cut


def test_replay_of_an_event_not_in_the_inbox_is_an_error(env: str) -> None:
    result = CliRunner().invoke(events_app, ["replay", "999999"])
    assert result.exit_code == 1
    assert isinstance(result.exception, LookupError)
    assert str(result.exception) == "no event 999999 in the inbox"


def test_replay_of_an_event_being_processed_is_an_error_and_changes_nothing(env: str) -> None:
    event_id = on_store(env, dead_event)

    async def processing(store: Store) -> None:
        async with begin(store.engine) as conn:
            await conn.execute(
                update(inbox_events)
                .where(inbox_events.c.id == event_id)
                .values(status="processing")
            )

    on_store(env, processing)
    result = CliRunner().invoke(events_app, ["replay", str(event_id)])
    assert result.exit_code == 1
    assert "is being processed" in str(result.exception)

    async def row(store: Store) -> InboxEvent:
        return await inbox_row(store, event_id)

    assert on_store(env, row).status == "processing"


@pytest.mark.redis
def test_replay_with_redis_queues_the_events_for_a_worker(
    env: str, monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer
) -> None:
    event_id = on_store(env, dead_event)
    monkeypatch.setenv("REVCYCLE_REDIS_URL", redis_server.url)
    get_settings.cache_clear()
    result = CliRunner().invoke(events_app, ["replay", "--status", "dead"])
    assert result.exit_code == 0, result.output
    assert f"replayed 1 event(s): {event_id}" in result.output

    async def row(store: Store) -> InboxEvent:
        return await inbox_row(store, event_id)

    assert (on_store(env, row).status, on_store(env, row).attempts) == ("received", 0)

    async def queued() -> list[str]:
        redis = Redis.from_url(redis_server.url)
        try:
            return [key.decode() for key in await redis.zrange(default_queue_name, 0, -1)]
        finally:
            await redis.aclose()

    assert asyncio.run(queued()) == [event_job_id(event_id)]  # as the ops API and relay name it


@pytest.mark.redis
def test_replay_with_redis_unreachable_leaves_the_events_for_the_relay(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    event_id = on_store(env, dead_event)
    monkeypatch.setenv("REVCYCLE_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # no one there
    get_settings.cache_clear()
    result = CliRunner().invoke(events_app, ["replay", "--status", "dead"])
    assert result.exit_code == 0, result.output
    assert UNQUEUED in result.output
    assert f"replayed 1 event(s): {event_id}" in result.output

    async def row(store: Store) -> InboxEvent:
        return await inbox_row(store, event_id)

    assert on_store(env, row).status == "received"  # the relay queues it once Redis is back


def test_list_with_nothing_to_show_says_so_in_one_line(env: str) -> None:
    result = CliRunner().invoke(events_app, ["list", "--status", "ignored"])
    assert result.exit_code == 0, result.output
    assert result.output == "no events with status ignored\n"
    as_json = CliRunner().invoke(events_app, ["list", "--status", "ignored", "--json"])
    assert json.loads(as_json.output) == []
