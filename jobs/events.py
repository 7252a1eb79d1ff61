"""`process_event`: one stored webhook, one effect.

Claim the inbox row (a finished one returns at once, so a duplicate job does nothing), apply the
change to the store, do the follow-ups, mark it processed. A transient failure (a retryable
connector error, the store or queue unreachable) raises `arq.Retry` with exponential backoff and
leaves the row `processing`; on the last try the row becomes `dead` with the reason, as does any
permanent failure at once. `revcycle events replay` puts dead rows back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from canonical.errors import StoreUnavailable
from canonical.records import Record
from canonical.store.engine import begin
from canonical.store.inbox import DEAD, IGNORED, PROCESSED, InboxEvent, claim_event, finish_event
from jobs.apply import apply_quickbooks, apply_salesforce, apply_stripe, stripe_event
from jobs.dispatch import QUICKBOOKS, SALESFORCE, STRIPE, handles
from jobs.followups import run_followups
from jobs.services import Services, is_transient, retry_or_give_up, services_of

log = structlog.get_logger(__name__)


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
