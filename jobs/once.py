"""Doing a follow-up once per idempotency key, with its outcome logged in the `followups` table.

The row is written before the attempt and marked after it, so a rerun finds a finished row and
does nothing; the vendor-side keys (a Task's key marker, QBO's `requestid`) cover a crash between
the vendor call and the mark. A transient failure propagates (the job retries); a permanent one is
recorded on the row. Two jobs racing on one key: one claims the row, the other gets
`FollowupBusy` (transient: its job retries and then finds the row finished).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

import structlog

from canonical.store.engine import begin
from canonical.store.followups import (
    DONE,
    FAILED,
    PENDING,
    SKIPPED,
    begin_followup,
    claim_followup,
    finish_followup,
)
from jobs.services import Services, TransientJobError, is_transient

log = structlog.get_logger(__name__)


Action = Callable[[], Awaitable[Mapping[str, Any]]]


class Skip(Exception):
    """Nothing to do for this follow-up (the reason is logged on it)."""


class FollowupBusy(TransientJobError):
    """Another job holds the follow-up: try again later, by which time it is finished."""


async def once(services: Services, kind: str, key: str, target: str, action: Action) -> str:
    """Run `action` unless `key` is already finished; returns the follow-up's final status."""
    async with begin(services.store.engine) as conn:
        row = await begin_followup(
            conn, kind=kind, key=key, target=target, request=None, now=services.clock()
        )
        if row.finished:
            return row.status
        lease = timedelta(seconds=services.config.job_timeout_s)
        if not await claim_followup(conn, key, now=services.clock(), lease=lease):
            raise FollowupBusy(f"follow-up {key} is being done by another job")
    status, response, error = DONE, None, None
    try:
        response = await action()
    except Skip as skip:
        status, error = SKIPPED, str(skip)
    except Exception as exc:
        status, error = FAILED, str(exc) or type(exc).__name__
        if is_transient(exc):
            await _finish(services, key, PENDING, None, error)  # free for the retry
            raise
        log.warning("followup.failed", key=key, error=error)
    await _finish(services, key, status, response, error)
    return status


async def _finish(
    services: Services,
    key: str,
    status: str,
    response: Mapping[str, Any] | None,
    error: str | None,
) -> None:
    async with begin(services.store.engine) as conn:
        await finish_followup(
            conn, key, status, now=services.clock(), response=response, error=error
        )
