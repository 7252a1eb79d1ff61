"""`process_event`: one stored webhook, one effect; `process_events`: a batch, fanned out.

Claim the inbox row (a finished one returns at once, so a duplicate job does nothing), apply the
change to the store, do the follow-ups, mark it processed. A transient failure (a retryable
connector error, the store or queue unreachable) raises `arq.Retry` with exponential backoff and
leaves the row `processing`; on the last try the row becomes `dead` with the reason, as does any
permanent failure at once. `revcycle events replay` puts dead rows back.

The gateway queues one `process_events` job per committed batch (one Redis record instead of one
per event on its hot path). That job only fans out: one `process_event` job per event under the
event's own job id `event:<id>`, skipping an id already queued or running (the relay's, say), so
each event keeps its own retries, backoff, `dead` status and job-id idempotency, and events of one
batch are still processed in parallel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import structlog

from canonical.errors import StoreUnavailable
from canonical.records import Record
from canonical.store.engine import begin
from canonical.store.inbox import DEAD, IGNORED, PROCESSED, InboxEvent, claim_event, finish_event
from jobs.apply import apply_quickbooks, apply_salesforce, apply_stripe, stripe_event
from jobs.dispatch import QUICKBOOKS, SALESFORCE, STRIPE, handles
from jobs.followups import run_followups
from jobs.queue import JobQueue, QueueUnavailable
from jobs.services import Services, is_transient, retry_or_give_up, services_of

log = structlog.get_logger(__name__)

PROCESS_EVENT: Final = "process_event"
PROCESS_EVENTS: Final = "process_events"


def event_job_id(event_id: int) -> str:
    """The one job id of an event's `process_event` job: the gateway's, the relay's, a replay's."""
    return f"event:{event_id}"


def batch_job_id(event_ids: Sequence[int]) -> str:
    """Each event id goes in one batch only, so its first and last ids name the batch."""
    return f"events:{event_ids[0]}-{event_ids[-1]}"


async def fan_out(queue: JobQueue, event_ids: Sequence[int]) -> int:
    """Queue a `process_event` job per event unless its job id is queued already."""
    jobs = [(event_job_id(event_id), (event_id,)) for event_id in event_ids]
    return await queue.enqueue_new(PROCESS_EVENT, jobs)


async def queue_replayed(queue: JobQueue, event_ids: Sequence[int]) -> bool:
    """Queue the jobs of events just put back to `received` (a replay), under their one job id:
    a job id that finished is free again (arq deletes its try count when it finishes, and
    `enqueue_many` does not look at its kept result). False when the queue cannot be reached:
    the events wait as received, and the relay queues them."""
    try:
        await queue.enqueue_many(PROCESS_EVENT, [(event_job_id(i), (i,)) for i in event_ids])
    except QueueUnavailable:
        return False
    return True


async def process_events(ctx: dict[str, Any], event_ids: Sequence[int]) -> int:
    """The gateway's batch job; returns how many `process_event` jobs it queued. Redis failing
    here retries the batch with backoff; past the last try the relay still queues the events."""
    services = services_of(ctx)
    try:
        return await fan_out(services.queue, event_ids)
    except QueueUnavailable as exc:
        retry_or_give_up(ctx, services, exc)
        raise


async def process_event(ctx: dict[str, Any], event_id: int) -> str:
    """The arq job; returns the status it left the event in."""
    services = services_of(ctx)
    try:
        async with begin(services.store.engine) as conn:
            event = await claim_event(conn, event_id)
    except StoreUnavailable as exc:
        retry_or_give_up(ctx, services, exc)
        raise  # the last try: the row stays as it was, for the relay to pick up later
    if event is None:
        return "finished already"
    bound = log.bind(event_id=event_id, source=event.source, type=event.event_type)
    if not handles(event.source, event.event_type):
        await _finish(services, event_id, IGNORED)
        return IGNORED
    try:
        await handle(services, event)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        if is_transient(exc):
            bound.warning("event.retry", error=reason, job_try=ctx.get("job_try"))
            retry_or_give_up(ctx, services, exc)  # raises Retry unless this was the last try
            reason = f"gave up after {ctx.get('job_try')} tries: {reason}"
        bound.error("event.dead", error=reason)
        await _finish(services, event_id, DEAD, error=reason)
        return DEAD
    await _finish(services, event_id, PROCESSED)
    bound.info("event.processed")
    return PROCESSED


async def handle(services: Services, event: InboxEvent) -> None:
    """Apply the event to the store, then its follow-ups."""
    payload: Mapping[str, Any] | None = None
    records: list[Record]
    if event.source == STRIPE:
        payload = stripe_event(event)
        records = await apply_stripe(services, payload)
    elif event.source == QUICKBOOKS:
        records = await apply_quickbooks(services, event)
    elif event.source == SALESFORCE:
        records = await apply_salesforce(services, event)
    else:  # handles() said yes, so a source without a branch here is a programming error
        raise NotImplementedError(f"no handler for source {event.source!r}")
    await run_followups(
        services, event.source, event.event_type, event.dedupe_key, payload, records
    )


async def _finish(services: Services, event_id: int, status: str, error: str | None = None) -> None:
    async with begin(services.store.engine) as conn:
        await finish_event(conn, event_id, status, now=services.clock(), error=error)
