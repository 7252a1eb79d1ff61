"""The store down means 503 and nothing acknowledged; Redis down still means 2xx, event kept."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import job_key_prefix
from arq.jobs import deserialize_job

from canonical.store import Store
from canonical.store.inbox import NewEvent
from gateway.errors import StoreDown
from gateway.ingest import Ingestor
from gateway.metrics import GatewayMetrics
from jobs.queue import ArqQueue
from tests.gateway.conftest import (
    REDIS_URL,
    Gateway,
    GatewayFactory,
    RecordingQueue,
    default_config,
    eventually,
    running_gateway,
    stripe_event,
    stripe_signature,
)

CLOSED_POSTGRES = "postgresql://postgres@127.0.0.1:1/nowhere"


def down_stores(tmp_path: Path) -> list[Store]:
    return [
        Store.from_url(CLOSED_POSTGRES),
        Store.from_url(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"),
    ]


async def send(gateway: Gateway, event_id: str) -> int:
    body = stripe_event(event_id)
    response = await gateway.client.post(
        "/webhooks/stripe", content=body, headers={"stripe-signature": stripe_signature(body)}
    )
    return response.status_code


@pytest.mark.parametrize("which", [0, 1], ids=["postgres closed port", "sqlite unreachable"])
async def test_with_the_store_down_deliveries_get_503_and_nothing_is_queued(
    tmp_path: Path, which: int
) -> None:
    queue = RecordingQueue()
    store = down_stores(tmp_path)[which]
    async with running_gateway(default_config(), store=store, queue=queue) as gateway:
        assert await send(gateway, "evt_down") == 503
        ready = await gateway.client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"store": False, "queue": True}
        metrics = (await gateway.client.get("/metrics")).text
    await queue.drain()
    assert queue.processed == []
    assert (
        'revcycle_webhooks_rejected_total{reason="store_unavailable",source="stripe"} 1.0'
        in metrics
    )


@pytest.fixture
async def arq_redis() -> AsyncIterator[ArqRedis]:
    try:
        redis = await create_pool(RedisSettings.from_dsn(REDIS_URL), retry=0)
    except OSError as exc:
        pytest.skip(f"Redis unavailable at {REDIS_URL}: {exc}")
    yield redis
    await redis.aclose()


async def test_with_redis_down_the_event_is_acknowledged_and_stays_received(
    make_gateway: GatewayFactory,
) -> None:
    dead_redis = ArqQueue(ArqRedis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    gateway = await make_gateway(queue=dead_redis)
    assert await send(gateway, "evt_redis_down") == 200
    [stored] = await gateway.events()
    assert stored.status == "received"
    assert (await gateway.client.get("/readyz")).status_code == 503
    metrics: GatewayMetrics = gateway.app.state.metrics
    await eventually(
        lambda: metrics.registry.get_sample_value("revcycle_enqueue_failures_total") == 1
    )
    assert "revcycle_enqueue_failures_total 1.0" in (await gateway.client.get("/metrics")).text


async def test_with_redis_up_the_job_is_written_where_arq_workers_read(
    make_gateway: GatewayFactory, arq_redis: ArqRedis
) -> None:
    queue_name = f"test:gateway:{uuid.uuid4().hex}"
    redis = await create_pool(RedisSettings.from_dsn(REDIS_URL), retry=0)
    gateway = await make_gateway(queue=ArqQueue(redis, queue_name))
    assert await send(gateway, "evt_queued") == 200
    [stored] = await gateway.events()
    job = f"events:{stored.id}-{stored.id}"  # the batch's job, which a worker fans out
    async with asyncio.timeout(5):  # queued just after the answer
        while await arq_redis.zscore(queue_name, job) is None:  # noqa: ASYNC110 - polls Redis
            await asyncio.sleep(0.01)
    record = deserialize_job(await arq_redis.get(job_key_prefix + job))
    assert (record.function, record.args) == ("process_events", ([stored.id],))
    assert (await gateway.client.get("/readyz")).status_code == 200
    await arq_redis.delete(queue_name, job_key_prefix + job)


async def test_readyz_and_healthz_answer_when_all_is_up(gateway: Gateway) -> None:
    assert (await gateway.client.get("/healthz")).json() == {"status": "ok"}
    ready = await gateway.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"store": True, "queue": True}


class SlowWriter:
    """An inbox writer that never finishes: shutdown must still answer its requests."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def insert(self, events: Sequence[NewEvent], *, now: datetime) -> list[int | None]:
        self.started.set()
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def close(self) -> None:
        return None


async def test_shutting_down_mid_commit_answers_503_instead_of_hanging() -> None:
    writer = SlowWriter()
    metrics = GatewayMetrics()
    ingestor = Ingestor(writer, RecordingQueue(), clock=lambda: datetime.now(UTC), metrics=metrics)
    ingestor.start()
    event = NewEvent("stripe", "evt_slow", "invoice.paid", {}, b"{}")
    waiting = asyncio.create_task(ingestor.store([event]))
    await writer.started.wait()
    await ingestor.close()
    with pytest.raises(StoreDown):
        await asyncio.wait_for(waiting, 1)
