"""Reconciliation as jobs: on a schedule, and soon after the ledger changes.

`scheduled_reconcile` runs the whole reconciliation as of today and persists findings (new ones
open, fixed ones resolve). `reconcile_soon` is the hook the QuickBooks follow-up calls after an
entity change: it queues one `scheduled_reconcile` under a fixed job id, deferred by the debounce,
so a burst of ledger notifications makes one run that re-checks every affected pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import structlog

from canonical.records import Record
from jobs.queue import QueueUnavailable
from jobs.reconcile import run_reconcile
from jobs.services import Services, services_of

log = structlog.get_logger(__name__)

AFTER_CHANGE_JOB_ID: Final = "reconcile:after-ledger-change"


async def scheduled_reconcile(ctx: dict[str, Any]) -> dict[str, int]:
    services = services_of(ctx)
    now = services.clock()
    outcome = await run_reconcile(
        services.store, as_of=now.date(), now=now, thresholds=services.config.thresholds
    )
    figures = {
        "findings": len(outcome.result.findings),
        "opened": outcome.lifecycle.opened,
        "reopened": outcome.lifecycle.reopened,
        "resolved": outcome.lifecycle.resolved,
    }
    log.info("reconcile.done", run_id=outcome.run_id, **figures)
    return figures


async def reconcile_soon(services: Services, changed: Sequence[Record]) -> None:
    """Queue one debounced reconciliation; a run already queued covers this change too."""
    try:
        await services.queue.enqueue(
            "scheduled_reconcile",
            job_id=AFTER_CHANGE_JOB_ID,
            defer=services.config.reconcile_debounce_s,
        )
    except QueueUnavailable:
        # The scheduled run will see the change; nothing is lost by waiting for it.
        log.warning("reconcile.not_queued", changed=len(changed))
