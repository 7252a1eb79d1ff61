"""`revcycle worker`: without Redis a clear refusal or `--burst` in-process; Redis unreachable."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from canonical.store import Store
from hub.cli_worker import worker_command
from hub.settings import SettingsError, get_settings
from jobs.queue import QueueUnavailable
from tests.jobs.helpers import inbox_row, store_stripe, stripe_event, stripe_fixture

app = typer.Typer()
app.command()(worker_command)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, store: Store, store_url: str) -> Iterator[str]:
    monkeypatch.setenv("REVCYCLE_DATABASE_URL", store_url)
    monkeypatch.setenv("REVCYCLE_RELAY_MIN_AGE_SECONDS", "0")
    monkeypatch.delenv("REVCYCLE_REDIS_URL", raising=False)
    # Loggers cached on one CliRunner's captured stderr would write to a closed file later.
    monkeypatch.setattr("hub.cli_worker.configure_logging", lambda *args: None)
    get_settings.cache_clear()
    yield store_url
    get_settings.cache_clear()


def test_a_long_running_worker_without_redis_is_refused_in_one_line(env: str) -> None:
    result = CliRunner().invoke(app, [])
    assert isinstance(result.exception, SettingsError)
    assert "REVCYCLE_REDIS_URL" in str(result.exception)
    assert "\n" not in str(result.exception)


def test_burst_without_redis_processes_pending_events_in_process(env: str) -> None:
    async def pending() -> int:
        store = Store.from_url(env)
        try:
            event = stripe_event("evt_w1", "invoice.updated", stripe_fixture("invoice"), 1)
            event_id = await store_stripe(store, event)
            assert event_id is not None
            return event_id
        finally:
            await store.close()

    async def status(event_id: int) -> str:
        store = Store.from_url(env)
        try:
            return (await inbox_row(store, event_id)).status
        finally:
            await store.close()

    event_id = asyncio.run(pending())
    result = CliRunner().invoke(app, ["--burst"])
    assert result.exit_code == 0, result.output
    assert "processed 1 pending event(s) in-process" in result.output
    assert asyncio.run(status(event_id)) == "processed"


def test_a_worker_whose_redis_refuses_connections_says_where_and_why(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        monkeypatch.setenv("REVCYCLE_REDIS_URL", f"redis://127.0.0.1:{port}/0")
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["--burst"])
    assert isinstance(result.exception, QueueUnavailable)
    assert str(result.exception) == f"cannot reach Redis at 127.0.0.1:{port}/0: connection refused"
