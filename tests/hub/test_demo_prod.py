"""`revcycle demo --prod`: the same flow on PostgreSQL and Redis, with `revcycle gateway
--workers 2` and two `revcycle worker` processes; the same numbers in the summary."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from hub.demo.prod import run_demo_prod
from hub.demo.run import DemoOptions
from hub.demo.summary import DemoSummary
from hub.settings import Settings
from tests.conftest import DEFAULT_POSTGRES_URL
from tests.jobs.redis_fixtures import RedisServer, free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
POSTGRES_URL = os.environ.get("REVCYCLE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


async def _reachable(url: str) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn, timeout=5)
    await conn.close()


def _in_thread(coroutine: object) -> object:
    # Its own loop: asyncio.run on pytest-asyncio's thread would replace that thread's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def postgres_server() -> str:
    try:
        _in_thread(_reachable(POSTGRES_URL))
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        shown = make_url(POSTGRES_URL).render_as_string(hide_password=True)
        pytest.skip(f"PostgreSQL unavailable at {shown}: {error}")
    return POSTGRES_URL


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A private redis-server: the demo's workers serve arq's default queue, which no other
    test's jobs may land on."""
    server = RedisServer(free_port())
    server.start()
    yield server.url
    server.kill()


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: str, redis_url: str
) -> tuple[DemoSummary, list[Settings]]:
    shown: list[Settings] = []
    options = DemoOptions(
        out=tmp_path_factory.mktemp("demo-prod"), seed=7, customers=50, as_of=date(2026, 3, 31)
    )
    run = run_demo_prod(
        options,
        lambda summary, settings: shown.append(settings),
        database_url=postgres_server,
        redis_url=redis_url,
    )
    summary = _in_thread(run)
    assert isinstance(summary, DemoSummary)
    return summary, shown


def test_it_ran_on_postgresql_and_redis(demo: tuple[DemoSummary, list[Settings]]) -> None:
    summary, shown = demo
    assert summary.mode == "production parts"
    assert shown[0].REVCYCLE_DATABASE_URL.startswith("postgresql://")
    assert shown[0].REVCYCLE_REDIS_URL is not None


def test_every_record_of_the_dataset_is_synced(demo: tuple[DemoSummary, list[Settings]]) -> None:
    summary = demo[0]
    assert all(count > 0 for count in summary.synced.values())
    assert summary.synced == summary.dataset


def test_webhooks_are_counted_as_fired(demo: tuple[DemoSummary, list[Settings]]) -> None:
    deliveries = demo[0].deliveries
    assert deliveries.rejected == 1
    assert deliveries.duplicates == 4
    assert deliveries.accepted > deliveries.stored_events - deliveries.duplicates > 0


def test_the_worker_processes_processed_every_event(
    demo: tuple[DemoSummary, list[Settings]],
) -> None:
    deliveries = demo[0].deliveries
    assert deliveries.processed + deliveries.ignored == deliveries.stored_events


def test_follow_ups_are_visible_through_the_vendor_apis(
    demo: tuple[DemoSummary, list[Settings]],
) -> None:
    followups = demo[0].followups
    assert followups.tasks_verified == followups.tasks >= 1
    assert followups.payments_verified == followups.payments >= 1
    assert followups.notifications_received == followups.notifications >= 1


def test_findings_match_the_ground_truth_exactly(
    demo: tuple[DemoSummary, list[Settings]],
) -> None:
    summary = demo[0]
    for scored in (summary.as_generated, summary.final):
        assert scored.precision == scored.recall == 1.0
    assert all(path.is_file() for path in summary.reports.values())
