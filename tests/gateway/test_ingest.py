"""The group commit's order: commit, answer, then enqueue; and what happens when the queue fails.

Every test runs the `Ingestor` on the real store (SQLite and PostgreSQL) with its real writer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from canonical.errors import StoreUnavailable
from canonical.store import Store
from canonical.store import inbox as repo
from canonical.store.engine import connect
from canonical.store.inbox import NewEvent
from canonical.store.inbox_fast import InboxWriter, inbox_writer
from gateway import ingest
from gateway.errors import StoreDown
from gateway.ingest import Ingestor
from gateway.metrics import GatewayMetrics
from jobs.events import PROCESS_EVENTS
from jobs.queue import QueueUnavailable
from jobs.relay import relay_events
from jobs.services import JobsConfig, Services
from tests.gateway.conftest import RecordingQueue, eventually


class GatedQueue(RecordingQueue):
    """Records the gateway's `enqueue_many` calls (per call, its jobs' ids and the event ids they
    carry), and holds every call until `opened` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.opened = asyncio.Event()
        self.calls: list[list[int]] = []
        self.job_ids: list[str] = []

    async def enqueue_many(
        self, function: str, jobs: Sequence[tuple[str, tuple[Any, ...]]]
    ) -> None:
        await self.opened.wait()
        assert function == PROCESS_EVENTS
        self.job_ids += [job for job, _ in jobs]
        self.calls.append([event_id for _, (event_ids,) in jobs for event_id in event_ids])
        await super().enqueue_many(function, jobs)


class DownQueue(RecordingQueue):
    """Redis down: every `enqueue_many` fails as `ArqQueue`'s does."""

    async def enqueue_many(
        self, function: str, jobs: Sequence[tuple[str, tuple[Any, ...]]]
    ) -> None:
        raise QueueUnavailable("cannot reach Redis: ConnectionRefusedError")


def event(key: str) -> NewEvent:
    return NewEvent("stripe", key, "invoice.paid", {"content-type": "application/json"}, b"{}")


@asynccontextmanager
async def running(
    store: Store, queue: RecordingQueue, **options: Any
) -> AsyncIterator[tuple[Ingestor, GatewayMetrics]]:
    metrics = GatewayMetrics()
    writers = options.get("writers", 2)
    ingestor = Ingestor(
        inbox_writer(store.engine, connections=writers),
        queue,
        clock=lambda: datetime.now(UTC),
        metrics=metrics,
        **options,
    )
    ingestor.start()
    try:
        yield ingestor, metrics
    finally:
        await ingestor.close()


async def stored(store: Store) -> list[repo.InboxEvent]:
    async with connect(store.engine) as conn:
        return await repo.list_events(conn, limit=1000)


def failures(metrics: GatewayMetrics) -> float:
    value = metrics.registry.get_sample_value("revcycle_enqueue_failures_total")
    return 0.0 if value is None else value


async def test_the_answer_comes_after_the_commit_without_waiting_for_the_queue(
    store: Store,
) -> None:
    queue = GatedQueue()
    async with running(store, queue) as (ingestor, _):
        [ident] = await asyncio.wait_for(ingestor.store([event("evt_fast")]), 5)
        assert ident is not None
        assert [e.id for e in await stored(store)] == [ident]  # committed before the answer
        assert queue.calls == []  # the queue has not been reached yet
        queue.opened.set()
        await eventually(lambda: queue.calls == [[ident]])
        await queue.drain()
    assert queue.processed == [ident]


async def test_events_committed_while_the_queue_is_busy_go_in_one_job(store: Store) -> None:
    queue = GatedQueue()
    async with running(store, queue) as (ingestor, _):
        first = await ingestor.store([event("evt_a")])
        await asyncio.sleep(0.05)  # the enqueue loop now holds evt_a's job, waiting on the queue
        second = await ingestor.store([event("evt_b")])
        third = await ingestor.store([event("evt_c")])
        queue.opened.set()
        await eventually(lambda: len(queue.calls) == 2)
        await queue.drain()
    assert queue.calls == [[first[0]], [second[0], third[0]]]
    assert queue.job_ids == [f"events:{first[0]}-{first[0]}", f"events:{second[0]}-{third[0]}"]
    assert sorted(queue.processed) == [first[0], second[0], third[0]]  # fanned out, one job each


async def test_batches_committed_within_the_enqueue_wait_go_in_one_job(store: Store) -> None:
    queue = GatedQueue()
    queue.opened.set()
    async with running(store, queue, enqueue_wait_s=0.5) as (ingestor, _):
        first = await ingestor.store([event("evt_wait_a")])  # one commit
        second = await ingestor.store([event("evt_wait_b")])  # another, within the wait
        await eventually(lambda: len(queue.calls) == 1)
        await queue.drain()
    assert queue.calls == [[first[0], second[0]]]


async def test_with_the_queue_failing_after_the_answer_the_event_stays_received_for_the_relay(
    store: Store,
) -> None:
    async with running(store, DownQueue()) as (ingestor, metrics):
        [ident] = await ingestor.store([event("evt_lost_queue")])
        await eventually(lambda: failures(metrics) == 1)
    [kept] = await stored(store)
    assert (kept.id, kept.status) == (ident, "received")

    relay_queue = RecordingQueue()
    services = Services(
        store=store, queue=relay_queue, config=JobsConfig(relay_min_age_s=0), connectors={}
    )
    assert await relay_events(services) == 1
    await relay_queue.drain()
    assert relay_queue.processed == [ident]


async def test_closing_queues_the_jobs_already_handed_over(store: Store) -> None:
    queue = GatedQueue()
    async with running(store, queue) as (ingestor, _):
        ids = [(await ingestor.store([event(f"evt_close_{n}")]))[0] for n in range(3)]
        asyncio.get_running_loop().call_later(0.05, queue.opened.set)
    assert sorted(event_id for call in queue.calls for event_id in call) == sorted(ids)


async def test_closing_with_the_queue_hanging_leaves_the_jobs_to_the_relay(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "ENQUEUE_TIMEOUT_S", 0.1)
    queue = GatedQueue()  # never opened
    async with asyncio.timeout(5):
        async with running(store, queue) as (ingestor, metrics):
            await ingestor.store([event("evt_hung_queue")])
    assert failures(metrics) == 1
    [kept] = await stored(store)
    assert kept.status == "received"


async def test_concurrent_batches_store_a_key_sent_many_times_once(store: Store) -> None:
    queue = RecordingQueue()
    async with running(store, queue, writers=3, max_batch=1, gather_rounds=0) as (ingestor, _):
        answers = await asyncio.gather(*(ingestor.store([event("evt_twice")]) for _ in range(30)))
    await queue.drain()  # closing handed the job over
    new = [ids[0] for ids in answers if ids[0] is not None]
    assert len(new) == 1
    assert [e.id for e in await stored(store)] == new
    assert queue.processed == new


class CountingWriter:
    """The real inbox writer, recording the size of each batch it commits."""

    def __init__(self, store: Store, connections: int) -> None:
        self._writer = inbox_writer(store.engine, connections=connections)
        self.sizes: list[int] = []

    async def insert(self, events: Sequence[NewEvent], *, now: datetime) -> list[int | None]:
        self.sizes.append(len(events))
        return await self._writer.insert(events, now=now)

    async def close(self) -> None:
        await self._writer.close()


class FailingWriter:
    async def insert(self, events: Sequence[NewEvent], *, now: datetime) -> list[int | None]:
        raise StoreUnavailable("cannot reach the store: ConnectionRefusedError")

    async def close(self) -> None:
        return None


def ingestor_over(writer: InboxWriter, queue: RecordingQueue, **options: Any) -> Ingestor:
    return Ingestor(
        writer, queue, clock=lambda: datetime.now(UTC), metrics=GatewayMetrics(), **options
    )


async def test_the_request_that_completes_lead_events_commits_them_while_the_rest_wait(
    store: Store,
) -> None:
    writer, queue = CountingWriter(store, connections=2), RecordingQueue()
    ingestor = ingestor_over(writer, queue, writers=2, lead_events=2)
    ingestor.start()
    try:  # one pass of the event loop reads the whole wave, as under load
        answers = await asyncio.gather(*(ingestor.store([event(f"evt_w{n}")]) for n in range(5)))
    finally:
        await ingestor.close()
    assert writer.sizes == [2, 2, 1]  # two led at once, on both connections; a writer took the last
    ids = [ids[0] for ids in answers]
    assert sorted(e.id for e in await stored(store)) == sorted(ids)
    await queue.drain()
    assert sorted(queue.processed) == sorted(ids)


async def test_a_leading_request_whose_commit_fails_answers_store_down(store: Store) -> None:
    ingestor = ingestor_over(FailingWriter(), RecordingQueue(), writers=2, lead_events=1)
    ingestor.start()
    try:
        with pytest.raises(StoreDown):
            await ingestor.store([event("evt_lead_down")])
        with pytest.raises(StoreDown):  # the connection is free again for the next one
            await ingestor.store([event("evt_lead_down_2")])
    finally:
        await ingestor.close()


class SlowWriter(CountingWriter):
    """The real writer, each commit held until `opened` is set."""

    def __init__(self, store: Store, connections: int) -> None:
        super().__init__(store, connections)
        self.opened = asyncio.Event()

    async def insert(self, events: Sequence[NewEvent], *, now: datetime) -> list[int | None]:
        await self.opened.wait()
        return await super().insert(events, now=now)


async def test_a_leading_request_cancelled_mid_commit_still_commits_and_answers_the_others(
    store: Store,
) -> None:
    writer = SlowWriter(store, connections=2)
    ingestor = ingestor_over(writer, RecordingQueue(), writers=2, lead_events=2)
    ingestor.start()
    try:
        # Both arrive in one pass of the event loop: the second completes lead_events and leads.
        other = asyncio.ensure_future(ingestor.store([event("evt_follower")]))
        leader = asyncio.ensure_future(ingestor.store([event("evt_leader")]))
        await asyncio.sleep(0.05)  # the leader has taken both events and waits on the commit
        leader.cancel()
        writer.opened.set()
        answer = await other
    finally:
        await ingestor.close()
    assert leader.cancelled()
    assert writer.sizes == [2]
    keys = sorted(str(e.dedupe_key) for e in await stored(store))
    assert keys == ["evt_follower", "evt_leader"]
    assert answer[0] is not None


def counted(metrics: GatewayMetrics, name: str, source: str) -> float:
    value = metrics.registry.get_sample_value(f"revcycle_webhooks_{name}_total", {"source": source})
    return 0.0 if value is None else value


async def test_a_batch_is_counted_by_source_before_its_requests_are_answered(store: Store) -> None:
    seen: list[tuple[float, float]] = []
    async with running(store, RecordingQueue(), max_batch=512) as (ingestor, metrics):

        async def send(source: str, key: str) -> list[int | None]:
            ids = await ingestor.store([NewEvent(source, key, None, {}, b"{}")])
            seen.append((counted(metrics, "received", "stripe"), counted(metrics, "received", "x")))
            return ids

        await ingestor.store([event("evt_known")])
        await asyncio.gather(
            send("stripe", "evt_known"), send("stripe", "evt_a"), send("x", "evt_a")
        )
    assert counted(metrics, "received", "stripe") == 2
    assert counted(metrics, "duplicates", "stripe") == 1
    assert counted(metrics, "received", "x") == 1
    assert counted(metrics, "duplicates", "x") == 0
    assert seen == [(2.0, 1.0)] * 3  # one batch: all of it counted before any answer
