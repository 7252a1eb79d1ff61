"""Group commit: concurrent deliveries share one INSERT; their jobs share one queue round trip.

The order each request goes through (a transactional outbox: the inbox row is the outbox):
1. a writer loop commits the request's event in a batch (or fails the whole batch with
   `StoreDown`: each request answers 503);
2. the writer wakes the batch's requests, which answer 2xx: the event is durable from here on;
3. the new `received` events' ids go to the enqueue loop, which waits `enqueue_wait_s` (20 ms),
   then queues whatever accumulated as one `process_events` job (a worker fans it out to one
   `process_event` job per event: see `jobs.events`). If that fails (Redis down, a timeout,
   shutdown), the events stay `received` and the relay (`jobs.relay`) queues them later; a crash
   between 2 and 3 leaves them the same way.

So no acknowledgement waits for Redis, and nothing acknowledged is lost.

`writers` loops (two by default) each take whatever accumulated while they were busy (no timer:
under light load a batch is one request and adds no wait; under heavy load batches grow by
themselves), each on a connection of its own. Two batches in flight let one batch's commit (time
the process would otherwise spend waiting) overlap the parsing and verifying of the next one. A key
sent twice in concurrent batches is still stored once: the second INSERT waits for the first to
commit, then conflicts.

Before taking a batch, a loop lets the event loop run a few rounds (`gather_rounds`) so that
requests already on their way join it.

Under load the requests come in waves: a connection's next request follows its answer, and a whole
batch is answered at once, so its senders' next requests are all read and verified in one pass of
the event loop before a writer loop gets its turn. Each wave then became one batch, and the
process sat idle while it committed. So the request that brings the events waiting to
`lead_events`, with a connection idle, commits them itself, at once: a wave splits into batches
in flight together, one committing while the rest of the wave is verified.

The enqueue loop's wait is there because a queue call costs the gateway far more than it seems:
redis-py's asyncio client spends about 45 µs of CPU on a PING and 95 µs on the enqueue script
(user and system time), and without the wait each call carried one or two batches, about 14
events. Waiting 5 ms made it about 50-70 under load, 20 ms about 150 (about 55 queue calls a
second at 8,500 events/s instead of about 180), and delays nothing a user sees: the answer never
waits for the queue, and arq workers poll the queue every 0.5 s anyway.

Measured with `benchmarks/gateway.py` on two cores: answering before the enqueue took the webhook
route from about 12,000 to 14,000 events/s; a second writer, with one gather round, to about
15,000. One batch's commit takes about 0.8 ms, most of it PostgreSQL inserting the rows (the WAL
flush is about 0.1 ms); splitting a batch over two connections does not shorten it. Leading at 16
events took the route about 14% further in alternating rounds against the same build without it
(the process busy about 0.9 of its time instead of 0.75; batches of about 12 instead of 28).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

import structlog

from canonical.store.inbox import RECEIVED, NewEvent
from canonical.store.inbox_fast import InboxWriter
from gateway.errors import StoreDown
from gateway.metrics import GatewayMetrics
from jobs.events import PROCESS_EVENTS, batch_job_id
from jobs.queue import JobQueue, QueueUnavailable

log = structlog.get_logger(__name__)

ENQUEUE_TIMEOUT_S = 2.0
COMMIT_WAIT_S = 10.0  # the inbox writer's own command timeout

Clock = Callable[[], datetime]
_Waiter = tuple[Sequence[NewEvent], "asyncio.Future[list[int | None]]"]


class Ingestor:
    def __init__(
        self,
        writer: InboxWriter,
        queue: JobQueue,
        *,
        clock: Clock,
        metrics: GatewayMetrics,
        max_batch: int = 512,
        writers: int = 2,
        gather_rounds: int = 6,
        lead_events: int = 16,
        enqueue_wait_s: float = 0.02,
    ) -> None:
        self._writer = writer
        self._queue = queue
        self._clock = clock
        self._metrics = metrics
        self._max_batch = max_batch
        self._writers = writers
        self._gather_rounds = gather_rounds
        self._lead_events = lead_events
        self._enqueue_wait_s = enqueue_wait_s
        self._pending: list[_Waiter] = []
        self._pending_events = 0
        self._idle = writers  # connections not committing a batch
        self._leaders = 0  # requests committing a batch themselves
        self._no_leaders = asyncio.Event()
        self._no_leaders.set()
        self._wake_writers = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._jobs: list[int] = []  # event ids handed over by the writers, not yet taken
        self._in_flight: list[int] = []  # taken by the enqueuer, the queue's answer awaited
        self._wake_enqueuer = asyncio.Event()
        self._enqueuer: asyncio.Task[None] | None = None
        self._closing = False
        self._led: set[asyncio.Task[None]] = set()  # leading requests' commits, referenced
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        if self._tasks:
            return
        self._closing = False
        self._loop = asyncio.get_running_loop()
        self._tasks = [
            asyncio.create_task(self._write_loop(), name=f"revcycle-inbox-writer-{n}")
            for n in range(self._writers)
        ]
        self._enqueuer = asyncio.create_task(self._enqueue_loop(), name="revcycle-enqueuer")

    async def close(self) -> None:
        """Stop accepting; queue what was committed (within `ENQUEUE_TIMEOUT_S`), then stop."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._fail(self._pending, StoreDown("the gateway is shutting down"))
        self._pending, self._pending_events = [], 0
        with contextlib.suppress(TimeoutError):  # a leading request hands its jobs over at its end
            async with asyncio.timeout(COMMIT_WAIT_S):
                await self._no_leaders.wait()
        if self._enqueuer is not None:
            await self._stop_enqueuer(self._enqueuer)
            self._enqueuer = None
        await self._writer.close()

    async def store(self, events: Sequence[NewEvent]) -> list[int | None]:
        """Commit `events`: per event its new id, or None for a duplicate; else `StoreDown`.

        The new events' jobs are queued after this returns (see the module docstring).
        """
        if not events:
            return []
        if not self._tasks or self._loop is None:
            raise StoreDown("the inbox writer is not running")
        future: asyncio.Future[list[int | None]] = self._loop.create_future()
        self._pending.append((events, future))
        self._pending_events += len(events)
        if self._idle and self._pending_events >= self._lead_events:
            self._lead(self._loop)
        else:
            self._wake_writers.set()
        return await future

    def _lead(self, loop: asyncio.AbstractEventLoop) -> None:
        """Commit what is waiting from this request, now (see the module docstring).

        The commit runs as a task of its own, which the leading request does not await (it awaits
        its own answer, like every request of the batch): if it is cancelled (its sender went
        away, say), the other requests of the batch still get their commit and 2xx.
        """
        self._idle -= 1
        self._leaders += 1
        self._no_leaders.clear()
        task = loop.create_task(self._led_commit(self._take()))
        self._led.add(task)
        task.add_done_callback(self._led.discard)

    async def _led_commit(self, batch: list[_Waiter]) -> None:
        try:
            await self._flush(batch)
        finally:
            self._idle += 1
            self._leaders -= 1
            if not self._leaders:
                self._no_leaders.set()
            if self._pending:
                self._wake_writers.set()

    async def _write_loop(self) -> None:
        while True:
            await self._wake_writers.wait()
            self._wake_writers.clear()
            while self._pending and self._idle:
                self._idle -= 1
                try:
                    await self._gather()
                    batch = self._take()
                    if batch:  # another loop or a leading request may have taken it all
                        await self._flush(batch)
                finally:
                    self._idle += 1

    async def _gather(self) -> None:
        """Let the event loop run a few more rounds before committing, so that requests already
        read or being verified join this batch rather than wait a whole commit for the next.

        Each round is one pass of the loop: microseconds when idle. With two writers one round is
        enough: what it leaves behind, the other writer takes while this batch commits.
        """
        for _ in range(self._gather_rounds):
            if len(self._pending) >= self._max_batch:
                return
            await asyncio.sleep(0)

    def _take(self) -> list[_Waiter]:
        taken, size = 0, 0
        for events, _ in self._pending:
            if taken and size + len(events) > self._max_batch:
                break
            taken, size = taken + 1, size + len(events)
        batch, self._pending = self._pending[:taken], self._pending[taken:]
        self._pending_events -= size
        return batch

    async def _flush(self, batch: list[_Waiter]) -> None:
        events = [event for waiting, _ in batch for event in waiting]
        try:
            ids = await self._writer.insert(events, now=self._clock())
        except Exception as exc:  # any failure to commit is a 503, never a hung request
            log.warning("inbox.write_failed", error=str(exc), events=len(events))
            self._fail(batch, StoreDown(str(exc)))
            return
        except asyncio.CancelledError:  # shutting down mid-commit: the senders will retry
            self._fail(batch, StoreDown("the gateway is shutting down"))
            raise
        jobs = self._count(events, ids)  # before the answers: a 2xx's events are counted
        self._answer(batch, ids)
        if jobs:
            self._jobs += jobs
            self._wake_enqueuer.set()
        if log.is_enabled_for(logging.DEBUG):
            log.debug(
                "webhook.stored",
                events=[(e.source, i) for e, i in zip(events, ids, strict=True) if i is not None],
            )

    def _count(self, events: list[NewEvent], ids: list[int | None]) -> list[int]:
        """Count the batch's new events and duplicates, by source, in the metrics; return the ids
        of the new events a job processes."""
        jobs: list[int] = []
        new: dict[str, int] = {}
        duplicates: dict[str, int] = {}
        for event, ident in zip(events, ids, strict=True):
            if ident is None:
                duplicates[event.source] = duplicates.get(event.source, 0) + 1
                continue
            new[event.source] = new.get(event.source, 0) + 1
            if event.status == RECEIVED:
                jobs.append(ident)
        for source in new.keys() | duplicates.keys():
            self._metrics.count_stored(source, new.get(source, 0), duplicates.get(source, 0))
        return jobs

    async def _enqueue_loop(self) -> None:
        while True:
            await self._wake_enqueuer.wait()
            self._wake_enqueuer.clear()
            while self._jobs:
                if self._enqueue_wait_s and not self._closing:
                    await asyncio.sleep(self._enqueue_wait_s)  # let more batches join this job
                self._in_flight, self._jobs = self._jobs, []
                await self._enqueue(self._in_flight)
                self._in_flight = []
            if self._closing:
                return

    async def _stop_enqueuer(self, enqueuer: asyncio.Task[None]) -> None:
        """Give the jobs already handed over one last chance; what remains is the relay's."""
        self._closing = True
        self._wake_enqueuer.set()
        done, _ = await asyncio.wait([enqueuer], timeout=ENQUEUE_TIMEOUT_S)
        if not done:
            enqueuer.cancel()
            await asyncio.gather(enqueuer, return_exceptions=True)
        left = len(self._in_flight) + len(self._jobs)
        if left:
            self._metrics.enqueue_failures.inc(left)
            log.warning("queue.left_to_relay", events=left)
        self._in_flight, self._jobs = [], []

    async def _enqueue(self, event_ids: list[int]) -> None:
        """One job for all of them, named by its first and last event: an event id is handed over
        once, so that name is new."""
        jobs = [(batch_job_id(event_ids), (event_ids,))]
        try:
            async with asyncio.timeout(ENQUEUE_TIMEOUT_S):
                await self._queue.enqueue_many(PROCESS_EVENTS, jobs)
        except (QueueUnavailable, TimeoutError) as exc:
            self._metrics.enqueue_failures.inc(len(event_ids))
            log.warning("queue.unavailable", error=str(exc), events=len(event_ids))
        except Exception:  # the events are stored: the relay still gets them to a worker
            self._metrics.enqueue_failures.inc(len(event_ids))
            log.exception("queue.enqueue_failed", events=len(event_ids))

    @staticmethod
    def _answer(batch: list[_Waiter], ids: list[int | None]) -> None:
        position = 0
        for waiting, future in batch:
            if not future.done():  # the request may have been cancelled by a disconnect
                future.set_result(ids[position : position + len(waiting)])
            position += len(waiting)

    @staticmethod
    def _fail(batch: list[_Waiter], error: StoreDown) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(error)
