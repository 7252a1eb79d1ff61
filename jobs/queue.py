"""Where jobs go: arq on Redis in production, or the same job functions in-process.

Both implement `JobQueue`. The in-process queue is the embedded default (no `REVCYCLE_REDIS_URL`):
it runs the very functions the arq worker runs, with arq's retry semantics — only `arq.Retry`
re-runs a job (after its `defer`), up to `max_tries`; any other exception fails it at once — and a
`job_id` that is already queued or running is not queued again.

Redis errors never leave this module: they become `QueueUnavailable`, which the gateway treats as
"leave the event `received`; the relay will enqueue it later".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Protocol
from uuid import uuid4

import structlog
from arq import Retry
from arq.connections import ArqRedis
from arq.constants import default_queue_name, expires_extra_ms, job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

JobFunction = Callable[..., Awaitable[Any]]

# One EVALSHA per batch instead of two commands per job: Redis-side, what `enqueue_job` writes
# (PSETEX of the job record, ZADD to the queue). ARGV: key prefix, expiry ms, score, then
# job id and serialized job for each job.
_ENQUEUE_MANY = """
local prefix, expires, score = ARGV[1], ARGV[2], ARGV[3]
for i = 4, #ARGV, 2 do
  redis.call('psetex', prefix .. ARGV[i], expires, ARGV[i + 1])
  redis.call('zadd', KEYS[1], score, ARGV[i])
end
return (#ARGV - 3) / 2
"""

# The same, but like `enqueue_job` a job id that is queued, running or has a kept result is
# skipped (ARGV[2] is the result key prefix here). Returns how many jobs were queued.
_ENQUEUE_NEW = """
local prefix, results, expires, score = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local queued = 0
for i = 5, #ARGV, 2 do
  if redis.call('exists', prefix .. ARGV[i], results .. ARGV[i]) == 0 then
    redis.call('psetex', prefix .. ARGV[i], expires, ARGV[i + 1])
    redis.call('zadd', KEYS[1], score, ARGV[i])
    queued = queued + 1
  end
end
return queued
"""


class QueueUnavailable(Exception):
    """The queue cannot take jobs right now (Redis down); the caller keeps its own record."""


class JobQueue(Protocol):
    async def enqueue(
        self, function: str, *args: Any, job_id: str | None = None, defer: float = 0
    ) -> bool:
        """Queue one job; False when a job with this id is already queued."""
        ...

    async def enqueue_many(
        self, function: str, jobs: Sequence[tuple[str, tuple[Any, ...]]]
    ) -> None:
        """Queue many `(job_id, args)` jobs of one function in one round trip."""
        ...

    async def enqueue_new(self, function: str, jobs: Sequence[tuple[str, tuple[Any, ...]]]) -> int:
        """Like `enqueue_many`, but skip any job id already queued or running (as `enqueue`
        does); returns how many were queued."""
        ...

    async def close(self) -> None: ...


class ArqQueue:
    """arq on Redis. `enqueue_many` writes arq's own job records in one round trip."""

    def __init__(self, redis: ArqRedis, queue_name: str = default_queue_name) -> None:
        self.redis = redis
        self.queue_name = queue_name
        self._enqueue_script = redis.register_script(_ENQUEUE_MANY)
        self._enqueue_new_script = redis.register_script(_ENQUEUE_NEW)

    async def enqueue(
        self, function: str, *args: Any, job_id: str | None = None, defer: float = 0
    ) -> bool:
        try:
            job = await self.redis.enqueue_job(
                function,
                *args,
                _job_id=job_id,
                _queue_name=self.queue_name,
                _defer_by=timedelta(seconds=defer) if defer else None,
            )
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(f"cannot reach Redis: {type(exc).__name__}") from exc
        return job is not None

    async def enqueue_many(
        self, function: str, jobs: Sequence[tuple[str, tuple[Any, ...]]]
    ) -> None:
        """One script call for a batch (the gateway's group commit): per job, arq's own record
        (`arq:job:<id>`, `serialize_job` bytes, arq's expiry) and its entry in the queue.

        Unlike `enqueue_job`, this skips the WATCH/EXISTS check: a job id that is queued twice runs
        twice, and the inbox's claim makes the second run a no-op.
        """
        if jobs:
            await self._run(self._enqueue_script, [job_key_prefix], function, jobs)

    async def enqueue_new(self, function: str, jobs: Sequence[tuple[str, tuple[Any, ...]]]) -> int:
        """One script call that checks each job id as `enqueue_job` does (job and result keys),
        atomically: a job already queued, running or just finished is not queued again."""
        if not jobs:
            return 0
        prefixes = [job_key_prefix, result_key_prefix]
        return int(await self._run(self._enqueue_new_script, prefixes, function, jobs))

    async def _run(
        self,
        script: Any,
        prefixes: list[str],
        function: str,
        jobs: Sequence[tuple[str, tuple[Any, ...]]],
    ) -> Any:
        now = timestamp_ms()
        args: list[bytes | str | int] = [*prefixes, expires_extra_ms, now]
        for job_id, job_args in jobs:
            args += (job_id, serialize_job(function, job_args, {}, None, now))
        try:
            return await script(keys=[self.queue_name], args=args)
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(f"cannot reach Redis: {type(exc).__name__}") from exc

    async def job_exists(self, job_id: str) -> bool:
        try:
            return bool(
                await self.redis.exists(job_key_prefix + job_id, result_key_prefix + job_id)
            )
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(f"cannot reach Redis: {type(exc).__name__}") from exc

    async def close(self) -> None:
        await self.redis.aclose()


class InProcessQueue:
    """Runs job functions as tasks on the current event loop, with arq's retry semantics."""

    def __init__(
        self,
        functions: Mapping[str, JobFunction],
        *,
        ctx: dict[str, Any] | None = None,
        max_tries: int = 5,
    ) -> None:
        self.functions = dict(functions)
        self.ctx: dict[str, Any] = ctx if ctx is not None else {}
        self.max_tries = max_tries
        self._running: dict[str, asyncio.Task[Any]] = {}
        self.completed = 0
        self.failed = 0
        self.retried = 0

    async def enqueue(
        self, function: str, *args: Any, job_id: str | None = None, defer: float = 0
    ) -> bool:
        if function not in self.functions:
            raise KeyError(f"no job function {function!r}")
        key = job_id or uuid4().hex
        if key in self._running:
            return False
        self._running[key] = asyncio.create_task(self._run(key, function, args, defer))
        return True

    async def enqueue_many(
        self, function: str, jobs: Sequence[tuple[str, tuple[Any, ...]]]
    ) -> None:
        for job_id, args in jobs:
            await self.enqueue(function, *args, job_id=job_id)

    async def enqueue_new(self, function: str, jobs: Sequence[tuple[str, tuple[Any, ...]]]) -> int:
        queued = 0
        for job_id, args in jobs:
            queued += await self.enqueue(function, *args, job_id=job_id)
        return queued

    async def _run(self, key: str, function: str, args: tuple[Any, ...], defer: float) -> None:
        try:
            if defer:
                await asyncio.sleep(defer)
            for job_try in range(1, self.max_tries + 1):
                ctx = {**self.ctx, "job_id": key, "job_try": job_try, "max_tries": self.max_tries}
                try:
                    await self.functions[function](ctx, *args)
                except Retry as retry:
                    if job_try == self.max_tries:
                        self.failed += 1
                        log.error("job.failed", job_id=key, function=function, reason="max tries")
                        return
                    self.retried += 1
                    await asyncio.sleep(_seconds(retry.defer_score))
                    continue
                except Exception:
                    self.failed += 1
                    log.exception("job.failed", job_id=key, function=function)
                    return
                self.completed += 1
                return
        finally:
            self._running.pop(key, None)

    async def drain(self) -> None:
        """Wait until every queued job, and every job those jobs queue, has finished."""
        while self._running:
            await asyncio.gather(*list(self._running.values()), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._running.values()):
            task.cancel()
        await asyncio.gather(*list(self._running.values()), return_exceptions=True)


def _seconds(defer_ms: int | None) -> float:
    return 0.0 if not defer_ms else defer_ms / 1000
