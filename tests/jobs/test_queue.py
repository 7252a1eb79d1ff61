from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from arq import Retry, Worker
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import deserialize_job
from arq.worker import func

from canonical.store import Store
from jobs.events import process_events
from jobs.queue import ArqQueue, InProcessQueue, QueueUnavailable
from jobs.services import SERVICES, JobsConfig, Services
from jobs.worker import KEEP_RESULT_S

REDIS_URL = os.environ.get("REVCYCLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def test_in_process_queue_retries_only_on_retry_and_stops_at_max_tries() -> None:
    tries: list[int] = []

    async def flaky(ctx: dict[str, Any], fail_times: int) -> None:
        tries.append(ctx["job_try"])
        if ctx["job_try"] <= fail_times:
            raise Retry(defer=0.001)

    async def broken(ctx: dict[str, Any]) -> None:
        raise ValueError("permanent")

    queue = InProcessQueue({"flaky": flaky, "broken": broken}, max_tries=3)
    await queue.enqueue("flaky", 2, job_id="a")
    await queue.enqueue("broken", job_id="b")
    await queue.drain()
    assert tries == [1, 2, 3]
    assert (queue.completed, queue.failed, queue.retried) == (1, 1, 2)

    tries.clear()
    await queue.enqueue("flaky", 5, job_id="c")
    await queue.drain()
    assert tries == [1, 2, 3]
    assert queue.failed == 2


async def test_in_process_queue_does_not_queue_a_running_job_id_twice() -> None:
    runs: list[str] = []

    async def job(ctx: dict[str, Any]) -> None:
        runs.append(ctx["job_id"])

    queue = InProcessQueue({"job": job})
    assert await queue.enqueue("job", job_id="x")
    assert not await queue.enqueue("job", job_id="x")
    assert await queue.enqueue_new("job", [("x", ()), ("y", ())]) == 1
    await queue.drain()
    assert sorted(runs) == ["x", "y"]


@pytest.fixture
async def arq_redis() -> AsyncIterator[ArqRedis]:
    try:
        redis = await create_pool(RedisSettings.from_dsn(REDIS_URL), retry=0)
    except OSError as exc:
        pytest.skip(f"Redis unavailable at {REDIS_URL}: {exc}")
    yield redis
    await redis.aclose()


async def test_enqueue_many_writes_jobs_a_burst_worker_runs(arq_redis: ArqRedis) -> None:
    seen: list[int] = []

    async def process(ctx: dict[str, Any], event_id: int) -> None:
        seen.append(event_id)

    queue_name = f"test:queue:{uuid.uuid4().hex}"
    queue = ArqQueue(arq_redis, queue_name)
    await queue.enqueue_many("process", [(f"event:{i}", (i,)) for i in range(5)])
    worker = Worker(
        functions=[func(process, name="process")],
        redis_pool=arq_redis,
        queue_name=queue_name,
        burst=True,
        poll_delay=0.01,
        handle_signals=False,
    )
    await worker.main()
    assert sorted(seen) == [0, 1, 2, 3, 4]
    assert worker.jobs_complete == 5


async def test_redis_down_is_queue_unavailable() -> None:
    redis = ArqRedis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    queue = ArqQueue(redis)
    with pytest.raises(QueueUnavailable):
        await queue.enqueue_many("process", [("event:1", (1,))])
    with pytest.raises(QueueUnavailable):
        await queue.enqueue("process", 1, job_id="event:1")
    await queue.close()


async def test_enqueue_new_skips_job_ids_queued_or_with_a_kept_result(arq_redis: ArqRedis) -> None:
    queue_name = f"test:queue:{uuid.uuid4().hex}"
    queue = ArqQueue(arq_redis, queue_name)
    tag = uuid.uuid4().hex
    queued, finished, fresh = f"q:{tag}", f"f:{tag}", f"n:{tag}"
    assert await queue.enqueue("process", 1, job_id=queued)
    await arq_redis.set(result_key_prefix + finished, b"kept")
    try:
        assert (
            await queue.enqueue_new("process", [(queued, (1,)), (finished, (2,)), (fresh, (3,))])
            == 1
        )
        assert set(await arq_redis.zrange(queue_name, 0, -1)) == {queued.encode(), fresh.encode()}
        record = deserialize_job(await arq_redis.get(job_key_prefix + fresh))
        assert (record.function, record.args) == ("process", (3,))
    finally:
        keys = [job_key_prefix + queued, job_key_prefix + fresh, result_key_prefix + finished]
        await arq_redis.delete(queue_name, *keys)


async def test_a_batch_job_fans_out_one_job_per_event_and_skips_one_the_relay_queued(
    arq_redis: ArqRedis, store: Store
) -> None:
    seen: list[int] = []

    async def process_event(ctx: dict[str, Any], event_id: int) -> None:
        seen.append(event_id)

    queue_name = f"test:queue:{uuid.uuid4().hex}"
    queue = ArqQueue(arq_redis, queue_name)
    first = 1_000_000 + secrets.randbelow(10**9)  # job ids are global in this Redis database
    ids = [first, first + 1, first + 2]
    assert await queue.enqueue("process_event", ids[1], job_id=f"event:{ids[1]}")  # the relay's
    await queue.enqueue_many("process_events", [(f"events:{ids[0]}-{ids[-1]}", (ids,))])
    worker = Worker(
        functions=[func(process_event, name="process_event"), func(process_events)],
        redis_pool=arq_redis,
        queue_name=queue_name,
        burst=True,
        poll_delay=0.01,
        handle_signals=False,
        keep_result=KEEP_RESULT_S,  # the relay's job may finish first: its result is kept
        ctx={SERVICES: Services(store, queue, JobsConfig())},
    )
    try:
        await worker.main()
    finally:
        job_ids = [f"events:{ids[0]}-{ids[-1]}", *(f"event:{i}" for i in ids)]
        await arq_redis.delete(*(result_key_prefix + job for job in job_ids))
    assert sorted(seen) == ids  # each once, the relay's job included
    assert worker.jobs_complete == 4
