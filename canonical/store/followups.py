"""The follow-up log: every side effect a job causes (CRM task, ledger payment, notification,
scheduled check), keyed by its idempotency key.

A job records the follow-up before doing it (`begin_followup`, which returns the row already
there on a rerun) and marks it `done` with the vendor's answer afterwards, so a rerun of the same
event finds the row and does nothing. Statuses: pending → running → done | failed | skipped; a
scheduled check waits as `scheduled` until it is claimed.

`claim_followup` makes one job the doer: two jobs for the same event (a redelivery racing the
relay, say) cannot both create a Task. A claim is a lease: a worker killed mid-follow-up leaves it
`running`, and once the lease has expired the next job may claim it again (the vendor-side key
then finds what the killed one may already have done).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from canonical.store.ops_tables import followups

PENDING, RUNNING, DONE, FAILED, SKIPPED = "pending", "running", "done", "failed", "skipped"
SCHEDULED = "scheduled"
FINISHED = (DONE, FAILED, SKIPPED)


@dataclass(frozen=True, slots=True)
class Followup:
    id: int
    kind: str
    idempotency_key: str
    target: str
    status: str
    request: Mapping[str, Any] | None
    response: Mapping[str, Any] | None
    error: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


_COLUMNS = (
    followups.c.id,
    followups.c.kind,
    followups.c.idempotency_key,
    followups.c.target,
    followups.c.status,
    followups.c.request,
    followups.c.response,
    followups.c.error,
    followups.c.created_at,
    followups.c.updated_at,
)


def _followup(row: Any) -> Followup:
    return Followup(*row)


async def get_followup(conn: AsyncConnection, key: str) -> Followup | None:
    query = select(*_COLUMNS).where(followups.c.idempotency_key == key)
    row = (await conn.execute(query)).first()
    return None if row is None else _followup(row)


async def begin_followup(
    conn: AsyncConnection,
    *,
    kind: str,
    key: str,
    target: str,
    request: Mapping[str, Any] | None,
    now: datetime,
    status: str = PENDING,
) -> Followup:
    """Record the follow-up under `key` unless it is there; the stored row either way."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    values = {
        "kind": kind,
        "idempotency_key": key,
        "target": target,
        "status": status,
        "request": dict(request) if request is not None else None,
        "created_at": now,
        "updated_at": now,
    }
    await conn.execute(
        dialect.insert(followups)
        .values(values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    found = await get_followup(conn, key)
    if found is None:  # inserted or already there: it must exist now
        raise RuntimeError(f"follow-up {key!r} vanished after its insert")
    return found


async def claim_followup(
    conn: AsyncConnection, key: str, *, now: datetime, lease: timedelta
) -> bool:
    """Take the follow-up for this job: True unless it is finished or another job holds it."""
    t = followups.c
    claimable = or_(
        t.status.in_((PENDING, SCHEDULED)),
        and_(t.status == RUNNING, t.updated_at < now - lease),
    )
    result = await conn.execute(
        update(followups)
        .where(t.idempotency_key == key, claimable)
        .values(status=RUNNING, updated_at=now)
    )
    return result.rowcount == 1


async def finish_followup(
    conn: AsyncConnection,
    key: str,
    status: str,
    *,
    now: datetime,
    response: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> None:
    await conn.execute(
        update(followups)
        .where(followups.c.idempotency_key == key)
        .values(
            status=status,
            response=dict(response) if response is not None else None,
            error=error,
            updated_at=now,
        )
    )


async def list_followups(
    conn: AsyncConnection,
    *,
    kind: str | None = None,
    status: str | None = None,
    updated_before: datetime | None = None,
    limit: int = 1000,
) -> list[Followup]:
    """Oldest first."""
    t = followups.c
    query = select(*_COLUMNS).order_by(t.id).limit(limit)
    if kind is not None:
        query = query.where(t.kind == kind)
    if status is not None:
        query = query.where(t.status == status)
    if updated_before is not None:
        query = query.where(t.updated_at < updated_before)
    return [_followup(row) for row in await conn.execute(query)]
