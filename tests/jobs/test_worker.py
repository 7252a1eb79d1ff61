"""The arq worker on a real Redis: retries with backoff, then dead, then replayed under the same
job id; relaying after a Redis outage; and a worker SIGKILLed mid-follow-up whose job completes
once after a restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.worker import Worker

from canonical.records import Invoice, Source
from canonical.store import Store, inbox
from canonical.store.engine import begin
from connectors.salesforce import SalesforceConfig, SalesforceConnector
from jobs.events import event_job_id, queue_replayed
from jobs.queue import ArqQueue, QueueUnavailable
from jobs.services import SERVICES, JobsConfig, Services
from jobs.worker import WorkerSettings, worker_options
from sandbox.serve import Sandbox
from tests.jobs.helpers import (
    followup_rows,
    inbox_row,
    store_event,
    store_stripe,
    stripe_event,
    stripe_fixture,
)
from tests.jobs.redis_fixtures import RedisServer, redis_server
from tests.jobs.sandbox_fixtures import (
    OPPORTUNITY_ID,
    Org,
    connectors,
    org,
    sandbox,
    stripe_invoice,
    tasks_about,
)

__all__ = ["connectors", "org", "redis_server", "sandbox"]  # fixtures, imported for pytest
ROOT = Path(__file__).parents[2]
T0 = 1_750_000_000


@pytest.fixture
async def arq_redis(redis_server: RedisServer) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(redis_server.url))
    yield pool
    await pool.aclose()


def outbound_message(record_id: str, notification_id: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
        "<OrganizationId>00D000000000001AAA</OrganizationId><ActionId>04k000000000001AAA</ActionId>"
        f"<Notification><Id>{notification_id}</Id>"
        '<sObject xsi:type="sf:Opportunity">'
        f'<sf:Id xmlns:sf="urn:sobject.enterprise.soap.sforce.com">{record_id}</sf:Id>'
        "</sObject></Notification>"
        "</notifications></soapenv:Body></soapenv:Envelope>"
    ).encode()


def burst_worker(arq_redis: ArqRedis, services: Services) -> Worker:
    """arq's worker in burst mode on the fixture's pool, with the product's options but no cron."""
    options = {k: v for k, v in worker_options(services.config).items() if k != "cron_jobs"}
    return Worker(
        functions=WorkerSettings.functions,  # type: ignore[arg-type]
        redis_pool=arq_redis,
        burst=True,
        poll_delay=0.02,
        ctx={SERVICES: services},
        **options,
    )


async def test_transient_errors_retry_with_backoff_then_dead_and_a_replay_processes_it(
    org: Org, store: Store, arq_redis: ArqRedis
) -> None:
    org.faults("salesforce", server_error=100)
    sf = org.settings
    salesforce = SalesforceConnector(
        SalesforceConfig(
            instance_url=sf.SALESFORCE_INSTANCE_URL,
            access_token=sf.SALESFORCE_ACCESS_TOKEN.get_secret_value()
            if sf.SALESFORCE_ACCESS_TOKEN
            else None,
            max_attempts=1,  # the connector's own retries off: the job's are under test
        )
    )
    config = JobsConfig(max_tries=3, retry_base_s=0.05, relay_min_age_s=0)
    queue = ArqQueue(arq_redis)
    services = Services(store, queue, config, {Source.SALESFORCE: salesforce})
    body = outbound_message(OPPORTUNITY_ID, "04l000000000001AAA")
    event_id = await store_event(store, "salesforce", "04l000000000001AAA", "Opportunity", body)
    assert event_id is not None
    await queue.enqueue("process_event", event_id, job_id=f"event:{event_id}")
    worker = burst_worker(arq_redis, services)
    await worker.main()  # not worker.close(): the pool is the fixture's to close
    assert (worker.jobs_retried, worker.jobs_failed, worker.jobs_complete) == (2, 0, 1)
    row = await inbox_row(store, event_id)
    assert (row.status, row.attempts) == ("dead", 3)
    assert "gave up after 3 tries" in (row.error or "")
    assert "HTTP 503" in (row.error or "")

    # Salesforce is back: a replay queues the event under the same job id, whose first run's
    # result arq still keeps, and a worker processes it.
    org.faults("salesforce", server_error=0)
    async with begin(store.engine) as conn:
        assert await inbox.replay(conn, ids=[event_id]) == [event_id]
    assert await queue_replayed(queue, [event_id])
    assert await arq_redis.exists(f"arq:result:{event_job_id(event_id)}")
    again = burst_worker(arq_redis, services)
    await again.main()
    assert (again.jobs_failed, again.jobs_complete) == (0, 1)
    assert (await inbox_row(store, event_id)).status == "processed"


def worker_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REVCYCLE_", "STRIPE_"))}
    env.update(
        REVCYCLE_DATABASE_URL=database_url,
        REVCYCLE_REDIS_URL=redis_url,
        REVCYCLE_RELAY_MIN_AGE_SECONDS="0",
        REVCYCLE_SYNC_INTERVAL_MINUTES="0",
        REVCYCLE_LOG_FORMAT="json",
        **extra,
    )
    return env


def worker_process(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "hub.cli_worker", *args]
    return subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE)


async def test_events_stored_while_redis_was_down_are_all_processed_by_a_burst_worker(
    store: Store, store_url: str, redis_server: RedisServer
) -> None:
    redis_server.kill()
    redis = ArqRedis(host="127.0.0.1", port=redis_server.port, socket_connect_timeout=0.2)
    queue = ArqQueue(redis)
    invoice = stripe_fixture("invoice")
    ids = []
    for n in range(6):  # as the gateway would: stored, then the enqueue fails
        event = stripe_event(
            f"evt_down{n}", "invoice.updated", {**invoice, "amount_paid": n}, T0 + n
        )
        event_id = await store_stripe(store, event)
        assert event_id is not None
        with pytest.raises(QueueUnavailable):
            await queue.enqueue("process_event", event_id, job_id=f"event:{event_id}")
        ids.append(event_id)
    await queue.close()
    redis_server.start()
    worker = worker_process(worker_env(store_url, redis_server.url), "--burst")
    _, stderr = await asyncio.to_thread(worker.communicate, timeout=60)
    assert worker.returncode == 0, stderr.decode()[-2000:]
    statuses = [(await inbox_row(store, i)).status for i in ids]
    assert statuses == ["processed"] * 6
    held = await store.get(Invoice, Source.STRIPE, invoice["id"])
    assert held is not None
    assert held.amount_paid is not None
    assert held.amount_paid.minor == 5  # the newest event's state


async def wait_until(predicate: Any, seconds: float) -> None:
    async with asyncio.timeout(seconds):
        while not await predicate():  # noqa: ASYNC110 - polls another process's rows
            await asyncio.sleep(0.05)


async def test_worker_killed_mid_followup_completes_the_job_once_after_restart(
    org: Org,
    sandbox: Sandbox,
    store: Store,
    store_url: str,
    redis_server: RedisServer,
    connectors: dict[Source, Any],
) -> None:
    env = worker_env(store_url, redis_server.url, REVCYCLE_JOB_TIMEOUT_SECONDS="3")
    env.update({k: v for k, v in sandbox.env().items() if not k.startswith("REVCYCLE_")})
    event = stripe_event("evt_kill", "invoice.payment_failed", stripe_invoice("open"), T0)
    event_id = await store_stripe(store, event)
    assert event_id is not None
    org.faults("salesforce", latency_ms=1500)  # the follow-up's Salesforce calls block a while
    first = worker_process(env)

    async def following_up() -> bool:
        rows = await followup_rows(store, "payment_failed_task")
        return any(r.status == "running" for r in rows)

    queue = ArqQueue(await create_pool(RedisSettings.from_dsn(redis_server.url)))
    await queue.enqueue("process_event", event_id, job_id=f"event:{event_id}")
    await queue.close()
    try:
        await wait_until(following_up, 30)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        if first.stderr is not None:
            first.stderr.close()
    org.faults("salesforce", latency_ms=0)
    second = worker_process(env, "--burst")
    _, stderr = await asyncio.to_thread(second.communicate, timeout=60)
    assert second.returncode == 0, stderr.decode()[-2000:]
    assert (await inbox_row(store, event_id)).status == "processed"
    tasks = await asyncio.to_thread(tasks_about, connectors, OPPORTUNITY_ID)
    assert len(tasks) == 1
    rows = await followup_rows(store, "payment_failed_task")
    assert [r.status for r in rows] == ["done"]
