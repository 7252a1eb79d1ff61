"""`/healthz` (the process answers) and `/readyz` (the store and the queue answer)."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from canonical.store import inbox
from canonical.store.engine import connect
from canonical.store.store import Store
from jobs.queue import ArqQueue, JobQueue

PROBE_TIMEOUT_S = 2.0


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def store_ready(store: Store) -> bool:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S), connect(store.engine) as conn:
            await inbox.oldest_waiting(conn)  # reads the inbox: reachable and migrated
    except Exception:  # any failure means not ready; the reason is not the prober's business
        return False
    return True


async def queue_ready(queue: JobQueue) -> bool:
    if not isinstance(queue, ArqQueue):
        return True  # the in-process queue lives and dies with this process
    try:
        return bool(await asyncio.wait_for(queue.redis.ping(), PROBE_TIMEOUT_S))
    except Exception:
        return False


async def readiness(store: Store, queue: JobQueue) -> JSONResponse:
    checks: dict[str, Any] = {"store": await store_ready(store), "queue": await queue_ready(queue)}
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )
