"""The arq worker: its job functions, start-up, schedule and retry settings.

`revcycle worker [--burst]` runs `WorkerSettings` with `worker_options(config)` (the schedule and
limits from settings) and the context key `OPEN_SERVICES`: a coroutine the hub supplies that builds
the `Services` (store, connectors, queue) for this process — jobs never read settings. On start-up
the worker runs the relay once, so a burst worker relays whatever is pending, processes everything
queued, and exits.

Scheduled: the relay every `relay_interval_s`, and a sync of every configured connector every
`sync_interval_minutes`, and a reconciliation every `reconcile_interval_minutes` (plus one soon
after ledger changes: `jobs.reconcile_jobs`).

`FUNCTIONS` are the same job functions by name, for `jobs.queue.InProcessQueue` (no Redis).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import structlog
from arq.cron import CronJob, cron

from canonical.records import Source
from jobs.deals import check_unbilled_deal
from jobs.events import process_event, process_events
from jobs.notify import run_followup
from jobs.queue import JobFunction
from jobs.reconcile_jobs import scheduled_reconcile
from jobs.relay import relay, relay_pending
from jobs.services import SERVICES, JobsConfig, Services, services_of
from jobs.sync import sync_source

log = structlog.get_logger(__name__)

OPEN_SERVICES: Final = "revcycle_open_services"
ServicesFactory = Callable[[dict[str, Any]], Awaitable[Services]]
KEEP_RESULT_S: Final = 60  # short: replays and the relay may reuse `event:<id>` soon after


async def scheduled_sync(ctx: dict[str, Any]) -> dict[str, bool]:
    """Sync every configured connector from its checkpoints; per source, whether it all went."""
    services = services_of(ctx)
    outcome: dict[str, bool] = {}
    for source, connector in services.connectors.items():
        report = await sync_source(connector, services.store)
        outcome[Source(source).value] = report.ok
    log.info("sync.scheduled", outcome=outcome)
    return outcome


FUNCTIONS: Final[Mapping[str, JobFunction]] = {
    "process_event": process_event,
    "process_events": process_events,
    "relay_pending": relay_pending,
    "run_followup": run_followup,
    "check_unbilled_deal": check_unbilled_deal,
    "scheduled_sync": scheduled_sync,
    "scheduled_reconcile": scheduled_reconcile,
}


async def startup(ctx: dict[str, Any]) -> None:
    if SERVICES not in ctx:
        factory: ServicesFactory = ctx[OPEN_SERVICES]
        ctx[SERVICES] = await factory(ctx)
        ctx["revcycle_owns_services"] = True
    queued = await relay(services_of(ctx))
    log.info("worker.started", relayed=queued)


async def shutdown(ctx: dict[str, Any]) -> None:
    if ctx.pop("revcycle_owns_services", False):
        await services_of(ctx).close()


class WorkerSettings:
    """arq's settings class; `worker_options` adds the configured schedule and limits."""

    functions = [*FUNCTIONS.values()]
    on_startup = startup
    on_shutdown = shutdown
    max_tries = JobsConfig().max_tries
    job_timeout = JobsConfig().job_timeout_s
    keep_result = KEEP_RESULT_S


def worker_options(config: JobsConfig) -> dict[str, Any]:
    """Keyword arguments for `arq.Worker` / `run_worker` on top of `WorkerSettings`."""
    crons = [
        cron(relay_pending, name="relay", **every_seconds(config.relay_interval_s), unique=True)
    ]
    if config.sync_interval_minutes > 0:
        schedule = every_minutes(config.sync_interval_minutes)
        crons.append(cron(scheduled_sync, name="sync", unique=True, **schedule))
    if config.reconcile_interval_minutes > 0:
        schedule = every_minutes(config.reconcile_interval_minutes)
        crons.append(cron(scheduled_reconcile, name="reconcile", unique=True, **schedule))
    return {
        "cron_jobs": crons,
        "max_tries": config.max_tries,
        "job_timeout": config.job_timeout_s,
        "keep_result": KEEP_RESULT_S,
    }


def every_seconds(interval: int) -> dict[str, Any]:
    """arq cron fields for "every `interval` seconds" (cron granularity: divisors of a minute
    are exact, others are approximate; a minute or more goes to `every_minutes`)."""
    if interval >= 60:
        return every_minutes(interval // 60)
    return {"second": set(range(0, 60, max(interval, 1)))}


def every_minutes(interval: int) -> dict[str, Any]:
    if interval < 60:
        return {"minute": set(range(0, 60, max(interval, 1))), "second": 0}
    return {"hour": set(range(0, 24, max(interval // 60, 1))), "minute": 0, "second": 0}


__all__ = [
    "FUNCTIONS",
    "OPEN_SERVICES",
    "CronJob",
    "WorkerSettings",
    "every_minutes",
    "every_seconds",
    "worker_options",
]
