"""Group commit: concurrent deliveries share one INSERT and one queue round trip.

A single writer task takes whatever has accumulated while the previous batch was being written,
commits it, queues `process_event` jobs for the new rows, and only then wakes the requests. No
timer: under light load a batch is one request and adds no wait; under heavy load batches grow by
themselves with the write latency.

The order per batch is the gateway's contract: commit (or fail every request of the batch with
`StoreDown`, so each answers 503), then enqueue (a `QueueUnavailable` leaves the events `received`
for the relay), then answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

import structlog

from canonical.store.inbox import RECEIVED, NewEvent
from canonical.store.inbox_fast import InboxWriter
from gateway.errors import StoreDown
from gateway.metrics import GatewayMetrics
from jobs.queue import JobQueue, QueueUnavailable

log = structlog.get_logger(__name__)

PROCESS_EVENT = "process_event"
ENQUEUE_TIMEOUT_S = 2.0

Clock = Callable[[], datetime]
_Waiter = tuple[Sequence[NewEvent], "asyncio.Future[list[int | None]]"]


def job_id(event_id: int) -> str:
    return f"event:{event_id}"


class Ingestor:
    def __init__(
        self,
        writer: InboxWriter,
        queue: JobQueue,
        *,
        clock: Clock,
        metrics: GatewayMetrics,
        max_batch: int = 512,
    ) -> None:
        self._writer = writer
        self._queue = queue
        self._clock = clock
        self._metrics = metrics
        self._max_batch = max_batch
        self._pending: list[_Waiter] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="revcycle-inbox-writer")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._fail(self._pending, StoreDown("the gateway is shutting down"))
        self._pending = []
        await self._writer.close()

    async def store(self, events: Sequence[NewEvent]) -> list[int | None]:
        """Commit `events`: per event its new id, or None for a duplicate; else `StoreDown`."""
        if not events:
            return []
        if self._task is None:
            raise StoreDown("the inbox writer is not running")
        future: asyncio.Future[list[int | None]] = asyncio.get_running_loop().create_future()
        self._pending.append((events, future))
        self._wake.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                await self._flush(self._take())

    def _take(self) -> list[_Waiter]:
        taken, size = 0, 0
        for events, _ in self._pending:
            if taken and size + len(events) > self._max_batch:
                break
            taken, size = taken + 1, size + len(events)
        batch, self._pending = self._pending[:taken], self._pending[taken:]
        return batch

    async def _flush(self, batch: list[_Waiter]) -> None:
        events = [event for waiting, _ in batch for event in waiting]
        try:
            ids = await self._writer.insert(events, now=self._clock())
        except Exception as exc:  # any failure to commit is a 503, never a hung request
            log.warning("inbox.write_failed", error=str(exc), events=len(events))
            self._fail(batch, StoreDown(str(exc)))
            return
        await self._enqueue(
            [
                (job_id(ident), (ident,))
                for event, ident in zip(events, ids, strict=True)
                if ident is not None and event.status == RECEIVED
            ]
        )
        position = 0
        for waiting, future in batch:
            if not future.done():  # the request may have been cancelled by a disconnect
                future.set_result(ids[position : position + len(waiting)])
            position += len(waiting)

    async def _enqueue(self, jobs: list[tuple[str, tuple[int]]]) -> None:
        if not jobs:
            return
        try:
            await asyncio.wait_for(self._queue.enqueue_many(PROCESS_EVENT, jobs), ENQUEUE_TIMEOUT_S)
        except (QueueUnavailable, TimeoutError) as exc:
            self._metrics.enqueue_failures.inc(len(jobs))
            log.warning("queue.unavailable", error=str(exc), events=len(jobs))
        except Exception:  # the events are stored: the relay still gets them to a worker
            self._metrics.enqueue_failures.inc(len(jobs))
            log.exception("queue.enqueue_failed", events=len(jobs))

    @staticmethod
    def _fail(batch: list[_Waiter], error: StoreDown) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(error)
