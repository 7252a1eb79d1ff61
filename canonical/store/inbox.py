"""The webhook inbox: every accepted delivery, stored raw before the gateway answers 2xx.

`(source, dedupe_key)` is unique, so a redelivery inserts nothing and is reported as a duplicate.
Statuses: received → processing → processed | ignored | dead; `replay` puts dead events back to
received. Jobs claim an event before working on it, which counts the attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from canonical.store.ops_tables import INBOX_STATUSES, inbox_events

RECEIVED, PROCESSING, PROCESSED, IGNORED, DEAD = INBOX_STATUSES


@dataclass(frozen=True, slots=True)
class NewEvent:
    """A verified delivery, as the gateway stores it."""

    source: str
    dedupe_key: str
    event_type: str | None
    headers: Mapping[str, str]
    body: bytes
    status: str = RECEIVED  # IGNORED for event types nothing handles


@dataclass(frozen=True, slots=True)
class InboxEvent:
    id: int
    source: str
    dedupe_key: str
    event_type: str | None
    received_at: datetime
    headers: Mapping[str, str]
    body: bytes
    status: str
    attempts: int
    error: str | None
    processed_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        """The event without its raw body: what the ops API and `revcycle events list` show."""
        return {
            "id": self.id,
            "source": self.source,
            "event_id": self.dedupe_key,
            "type": self.event_type,
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
            "received_at": self.received_at.isoformat(),
            "processed_at": None if self.processed_at is None else self.processed_at.isoformat(),
        }


_COLUMNS = (
    inbox_events.c.id,
    inbox_events.c.source,
    inbox_events.c.dedupe_key,
    inbox_events.c.event_type,
    inbox_events.c.received_at,
    inbox_events.c.headers,
    inbox_events.c.body,
    inbox_events.c.status,
    inbox_events.c.attempts,
    inbox_events.c.error,
    inbox_events.c.processed_at,
)


def _event(row: Any) -> InboxEvent:
    return InboxEvent(
        id=row.id,
        source=row.source,
        dedupe_key=row.dedupe_key,
        event_type=row.event_type,
        received_at=row.received_at,
        headers=row.headers,
        body=bytes(row.body),
        status=row.status,
        attempts=row.attempts,
        error=row.error,
        processed_at=row.processed_at,
    )


async def insert_events(
    conn: AsyncConnection, events: Sequence[NewEvent], *, now: datetime
) -> list[int | None]:
    """Insert a batch; for each event its new id, or None when it was already stored."""
    if not events:
        return []
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    rows = [
        {
            "source": e.source,
            "dedupe_key": e.dedupe_key,
            "event_type": e.event_type,
            "received_at": now,
            "headers": dict(e.headers),
            "body": e.body,
            "status": e.status,
            "attempts": 0,
        }
        for e in events
    ]
    statement = (
        dialect.insert(inbox_events)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["source", "dedupe_key"])
        .returning(inbox_events.c.id, inbox_events.c.source, inbox_events.c.dedupe_key)
    )
    inserted = {(src, key): ident for ident, src, key in await conn.execute(statement)}
    ids: list[int | None] = []
    for e in events:
        # A batch may carry the same delivery twice: only its first occurrence is new.
        ids.append(inserted.pop((e.source, e.dedupe_key), None))
    return ids


async def get_event(conn: AsyncConnection, event_id: int) -> InboxEvent | None:
    row = (await conn.execute(select(*_COLUMNS).where(inbox_events.c.id == event_id))).first()
    return None if row is None else _event(row)


async def claim_event(conn: AsyncConnection, event_id: int) -> InboxEvent | None:
    """Mark a received (or interrupted) event as processing and count the attempt.

    Returns None when the event is already finished (processed, ignored or dead): a job that runs
    twice does its work once.
    """
    t = inbox_events.c
    result = await conn.execute(
        update(inbox_events)
        .where(t.id == event_id, t.status.in_((RECEIVED, PROCESSING)))
        .values(status=PROCESSING, attempts=t.attempts + 1)
    )
    if result.rowcount != 1:
        return None
    return await get_event(conn, event_id)


async def finish_event(
    conn: AsyncConnection,
    event_id: int,
    status: str,
    *,
    now: datetime,
    error: str | None = None,
    event_type: str | None = None,
) -> None:
    """Record the outcome: processed, ignored, dead (with its reason), or received to retry."""
    if status not in INBOX_STATUSES:
        raise ValueError(f"unknown inbox status {status!r}")
    values: dict[str, Any] = {"status": status, "error": error}
    if status in (PROCESSED, IGNORED, DEAD):
        values["processed_at"] = now
    if event_type is not None:
        values["event_type"] = event_type
    await conn.execute(update(inbox_events).where(inbox_events.c.id == event_id).values(**values))


async def list_events(
    conn: AsyncConnection,
    *,
    status: str | None = None,
    source: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[InboxEvent]:
    """Newest first; page with `before_id` (the last id of the previous page)."""
    query = select(*_COLUMNS).order_by(inbox_events.c.id.desc()).limit(limit)
    if status is not None:
        query = query.where(inbox_events.c.status == status)
    if source is not None:
        query = query.where(inbox_events.c.source == source)
    if before_id is not None:
        query = query.where(inbox_events.c.id < before_id)
    return [_event(row) for row in await conn.execute(query)]


async def pending_ids(
    conn: AsyncConnection, *, received_before: datetime, limit: int = 1000
) -> list[int]:
    """Events still waiting for a job (e.g. Redis was down when they arrived), oldest first."""
    t = inbox_events.c
    query = (
        select(t.id)
        .where(t.status.in_((RECEIVED, PROCESSING)), t.received_at < received_before)
        .order_by(t.id)
        .limit(limit)
    )
    return [row[0] for row in await conn.execute(query)]


async def replay(
    conn: AsyncConnection, *, ids: Sequence[int] | None = None, status: str | None = None
) -> list[int]:
    """Put finished events back to received, with a fresh attempt count; returns their ids."""
    t = inbox_events.c
    query = update(inbox_events).values(status=RECEIVED, attempts=0, error=None, processed_at=None)
    if ids is not None:
        query = query.where(t.id.in_(list(ids)), t.status != PROCESSING)
    elif status is not None:
        query = query.where(t.status == status)
    else:
        raise ValueError("replay needs ids or a status")
    result = await conn.execute(query.returning(t.id))
    return sorted(row[0] for row in result)


async def status_counts(conn: AsyncConnection) -> dict[str, int]:
    t = inbox_events.c
    rows = await conn.execute(select(t.status, func.count()).group_by(t.status))
    counts = dict.fromkeys(INBOX_STATUSES, 0)
    counts.update({status: n for status, n in rows})
    return counts


async def oldest_waiting(conn: AsyncConnection) -> datetime | None:
    """When the oldest event still waiting arrived: the queue lag is now minus this."""
    t = inbox_events.c
    row = (await conn.execute(select(func.min(t.received_at)).where(t.status == RECEIVED))).first()
    if row is None or row[0] is None:
        return None
    value: datetime = row[0]
    return value
