"""The relay: whatever the database says is waiting, put on the queue.

The gateway enqueues each new event right after storing it; when Redis was down at that moment the
event stays `received`. The relay (at worker start-up and every few seconds after) enqueues every
event still waiting and older than `relay_min_age_s` (younger ones are the gateway's own, still on
their way), batch by batch, each as its own `process_event` job `event:<id>`, so a job already
queued (by a gateway's batch job fanning out, say) is not queued twice. It does the same for
notifications still pending and for deal checks now due.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog

from canonical.store.engine import begin
from canonical.store.followups import PENDING, SCHEDULED, list_followups
from canonical.store.inbox import pending_ids
from jobs import deals, notify
from jobs.events import fan_out
from jobs.services import Services, services_of

log = structlog.get_logger(__name__)

BATCH = 500


async def relay_pending(ctx: dict[str, Any]) -> int:
    """The job (and the worker's start-up step); returns how many jobs it queued."""
    return await relay(services_of(ctx))


async def relay(services: Services) -> int:
    queued = await relay_events(services)
    queued += await relay_followups(services)
    if queued:
        log.info("relay.queued", jobs=queued)
    return queued


async def relay_events(services: Services) -> int:
    cutoff = services.clock() - timedelta(seconds=services.config.relay_min_age_s)
    queued, after, limit = 0, 0, BATCH
    while True:
        # `pending_ids` pages by count only; ids past the last one queued make the next batch.
        async with begin(services.store.engine, write=False) as conn:
            ids = await pending_ids(conn, received_before=cutoff, limit=limit)
        batch = [event_id for event_id in ids if event_id > after]
        queued += await fan_out(services.queue, batch)
        if len(ids) < limit or not batch:
            return queued
        after, limit = batch[-1], limit + BATCH


async def relay_followups(services: Services) -> int:
    now = services.clock()
    cutoff = now - timedelta(seconds=services.config.relay_min_age_s)
    async with begin(services.store.engine, write=False) as conn:
        waiting = await list_followups(
            conn, kind=notify.KIND, status=PENDING, updated_before=cutoff
        )
        scheduled = await list_followups(conn, kind=deals.KIND, status=SCHEDULED)
    queued = 0
    for row in waiting:
        await notify.enqueue(services, row.idempotency_key)
        queued += 1
    for row in scheduled:
        if deals.is_due(row.request, now):
            job_id = f"followup:{row.idempotency_key}"
            if await services.queue.enqueue("check_unbilled_deal", row.target, job_id=job_id):
                queued += 1
    return queued
