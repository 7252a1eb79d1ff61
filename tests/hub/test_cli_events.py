"""`revcycle events list|replay` on a real store, in-process (no Redis)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import TypeVar

import pytest
from typer.testing import CliRunner

from canonical.store import Store
from canonical.store.engine import begin
from canonical.store.inbox import InboxEvent, finish_event
from hub.cli_events import events_app
from hub.settings import get_settings
from tests.jobs.helpers import inbox_row, store_stripe, stripe_event, stripe_fixture

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
