"""`revcycle worker [--burst]`: the arq worker that processes webhooks and runs follow-ups.

With `REVCYCLE_REDIS_URL` it is arq's own worker (`jobs.worker.WorkerSettings`) on that Redis: it
relays pending events at start-up, then serves jobs until stopped, or with `--burst` until the
queue is empty. Without Redis there is no queue to serve: jobs run in-process wherever events
arrive (the gateway), so `--burst` alone is allowed and processes whatever is pending in this
process (the relay, then every job it leads to) and exits; a long-running worker refuses.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
from arq.worker import create_worker
from redis.exceptions import RedisError

from canonical.store.migrate import ensure_current
from connectors.errors import network_reason
from hub.logging import configure_logging
from hub.settings import Settings, SettingsError, get_settings
from hub.wiring import build_services, in_process_services, jobs_config, redis_settings
from jobs.queue import ArqQueue, QueueUnavailable
from jobs.relay import relay
from jobs.services import Services
from jobs.worker import FUNCTIONS, OPEN_SERVICES, WorkerSettings, worker_options


def worker_command(
    burst: Annotated[
        bool, typer.Option("--burst", help="Process what is pending and queued, then exit.")
    ] = False,
) -> None:
    """Run the job worker (arq on REVCYCLE_REDIS_URL)."""
    settings = get_settings()
    configure_logging(settings.REVCYCLE_LOG_FORMAT, settings.REVCYCLE_LOG_LEVEL)
    asyncio.run(ensure_current(settings.REVCYCLE_DATABASE_URL))
    if settings.REVCYCLE_REDIS_URL is None:
        if not burst:
            raise SettingsError(
                "REVCYCLE_REDIS_URL is not set: without Redis jobs run in-process in the "
                "gateway, and a long-running worker needs Redis (use --burst to process pending "
                "events once here)"
            )
        processed = asyncio.run(burst_in_process(settings))
        typer.echo(f"processed {processed} pending event(s) in-process")
        return
    try:
        run_arq_worker(settings, burst=burst)
    except (RedisError, OSError) as exc:  # arq gave up connecting, after its own retries
        redis = redis_settings(settings)
        where = f"{redis.host}:{redis.port}/{redis.database}"
        reason = network_reason(exc) or str(exc)
        raise QueueUnavailable(f"cannot reach Redis at {where}: {reason}") from exc


def run_arq_worker(settings: Settings, *, burst: bool) -> None:
    async def open_services(ctx: dict[str, Any]) -> Services:
        return await build_services(settings, ArqQueue(ctx["redis"]))

    # arq's worker runs on the thread's current loop and never closes it; this one is closed
    # however the worker ends (a Redis it could not reach, say), with its sockets.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        worker = create_worker(
            WorkerSettings,  # type: ignore[arg-type]  # arq reads a plain class's attributes
            redis_settings=redis_settings(settings),
            burst=burst,
            ctx={OPEN_SERVICES: open_services},
            **worker_options(jobs_config(settings)),
        )
        worker.run()
    finally:
        asyncio.set_event_loop(None)
        loop.close()


async def burst_in_process(settings: Settings) -> int:
    queue, services = await in_process_services(settings, FUNCTIONS)
    try:
        queued = await relay(services)
        await queue.drain()
    finally:
        await queue.close()
        await services.close()
    return queued


if __name__ == "__main__":  # `python -m hub.cli_worker`, before `revcycle worker` is wired
    typer.run(worker_command)
