"""Doing a follow-up once per idempotency key, with its outcome logged in the `followups` table.

The row is written before the attempt and marked after it, so a rerun finds a finished row and
does nothing; the vendor-side keys (a Task's key marker, QBO's `requestid`) cover a crash between
the vendor call and the mark. A transient failure propagates (the job retries); a permanent one is
recorded on the row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog

from canonical.store.engine import begin
from canonical.store.followups import DONE, FAILED, SKIPPED, begin_followup, finish_followup
from jobs.services import Services, is_transient

log = structlog.get_logger(__name__)


Action = Callable[[], Awaitable[Mapping[str, Any]]]


class Skip(Exception):
    """Nothing to do for this follow-up (the reason is logged on it)."""


async def once(services: Services, kind: str, key: str, target: str, action: Action) -> str:
    """Run `action` unless `key` is already finished; returns the follow-up's final status."""
    async with begin(services.store.engine) as conn:
        row = await begin_followup(
            conn, kind=kind, key=key, target=target, request=None, now=services.clock()
        )
    if row.finished:
        return row.status
    status, response, error = DONE, None, None
    try:
        response = await action()
    except Skip as skip:
        status, error = SKIPPED, str(skip)
    except Exception as exc:
        if is_transient(exc):
            raise
        status, error = FAILED, str(exc) or type(exc).__name__
        log.warning("followup.failed", key=key, error=error)
    async with begin(services.store.engine) as conn:
        await finish_followup(
            conn, key, status, now=services.clock(), response=response, error=error
        )
    return status
