"""Findings: one row per discrepancy, keyed by a stable fingerprint, with a status history.

This module is the repository of single findings: record, read, list, and the user's moves.
`record_finding` opens a finding the first time its fingerprint is seen and only refreshes
`last_seen` (and the amount and detail) after that, so rerunning whatever found it does not
duplicate it.

Lifecycle (every transition writes a `finding_history` row):
- a reconciliation run opens, refreshes, reopens and resolves findings in bulk:
  `canonical.store.finding_runs.apply_run`, whose module docstring gives the rules;
- `acknowledge` and `resolve` are the user's actions, each with a note.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from canonical.money import Money
from canonical.records import Finding, FindingKind, FindingStatus, Source, SourceRef
from canonical.store.ops_tables import finding_history, findings


def fingerprint_for(kind: FindingKind | str, key: SourceRef) -> str:
    """The stable fingerprint of "this kind of discrepancy on this record" (64 hex digits)."""
    text = f"{FindingKind(kind).value}\x1f{key.source.value}\x1f{key.source_id}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredFinding:
    finding: Finding
    first_seen: datetime
    last_seen: datetime


async def record_finding(conn: AsyncConnection, finding: Finding, *, now: datetime) -> bool:
    """Open `finding`, or refresh the one with its fingerprint; True when it is new."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    row = finding_row(finding, now)
    inserted = await conn.execute(
        dialect.insert(findings)
        .values(row)
        .on_conflict_do_nothing(index_elements=["fingerprint"])
        .returning(findings.c.id)
    )
    if inserted.first() is not None:
        await conn.execute(
            insert(finding_history).values(
                fingerprint=finding.fingerprint,
                at=now,
                from_status=None,
                to_status=finding.status.value,
                note=finding.detail,
            )
        )
        return True
    refreshed = {name: row[name] for name in REFRESHED}
    await conn.execute(
        update(findings)
        .where(findings.c.fingerprint == finding.fingerprint)
        .values(last_seen=now, updated_at=now, **refreshed)
    )
    return False


async def get_finding(conn: AsyncConnection, fingerprint: str) -> StoredFinding | None:
    row = (
        await conn.execute(select(findings).where(findings.c.fingerprint == fingerprint))
    ).first()
    return None if row is None else _stored(row)


async def list_findings(
    conn: AsyncConnection,
    *,
    kind: str | None = None,
    status: str | None = None,
    party: SourceRef | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[StoredFinding]:
    query = select(findings).order_by(findings.c.id).offset(offset)
    if kind is not None:
        query = query.where(findings.c.kind == kind)
    if status is not None:
        query = query.where(findings.c.status == status)
    if party is not None:
        query = query.where(
            findings.c.party_source == party.source.value,
            findings.c.party_source_id == party.source_id,
        )
    if limit is not None:
        query = query.limit(limit)
    return [_stored(row) for row in await conn.execute(query)]


async def finding_history_of(
    conn: AsyncConnection, fingerprint: str
) -> list[tuple[str | None, str]]:
    """(from status, to status) transitions, oldest first."""
    t = finding_history.c
    query = select(t.from_status, t.to_status).where(t.fingerprint == fingerprint).order_by(t.id)
    return [(row[0], row[1]) for row in await conn.execute(query)]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    from_status: str | None
    to_status: str
    note: str | None


async def history(conn: AsyncConnection, fingerprint: str) -> list[HistoryEntry]:
    """Every transition of one finding, oldest first, with its time and note."""
    t = finding_history.c
    query = (
        select(t.at, t.from_status, t.to_status, t.note)
        .where(t.fingerprint == fingerprint)
        .order_by(t.id)
    )
    return [HistoryEntry(*row) for row in await conn.execute(query)]


async def acknowledge(conn: AsyncConnection, fingerprint: str, note: str, *, now: datetime) -> bool:
    """Acknowledge an open finding; False when it is not open (or unknown)."""
    return await _user_move(conn, fingerprint, FindingStatus.ACKNOWLEDGED, note, now)


async def resolve(conn: AsyncConnection, fingerprint: str, note: str, *, now: datetime) -> bool:
    """Resolve an open or acknowledged finding; False when it is already resolved (or unknown)."""
    return await _user_move(conn, fingerprint, FindingStatus.RESOLVED, note, now)


# A finding still to act on: a run refreshes it, or resolves it once no longer reported.
LIVE_STATUSES = (FindingStatus.OPEN.value, FindingStatus.ACKNOWLEDGED.value)

_ALLOWED_FROM = {
    FindingStatus.ACKNOWLEDGED: (FindingStatus.OPEN.value,),
    FindingStatus.RESOLVED: LIVE_STATUSES,
}


async def _user_move(
    conn: AsyncConnection, fingerprint: str, to: FindingStatus, note: str, now: datetime
) -> bool:
    row = (
        await conn.execute(select(findings.c.status).where(findings.c.fingerprint == fingerprint))
    ).first()
    if row is None or row.status not in _ALLOWED_FROM[to]:
        return False
    await _move(conn, fingerprint, row.status, to, note, now)
    return True


async def _move(
    conn: AsyncConnection,
    fingerprint: str,
    from_status: str,
    to: FindingStatus,
    note: str,
    now: datetime,
) -> None:
    resolved_at = now if to is FindingStatus.RESOLVED else None
    await conn.execute(
        update(findings)
        .where(findings.c.fingerprint == fingerprint)
        .values(status=to.value, updated_at=now, resolved_at=resolved_at)
    )
    await conn.execute(
        insert(finding_history).values(
            fingerprint=fingerprint, at=now, from_status=from_status, to_status=to.value, note=note
        )
    )


# What a finding seen again takes from its latest sighting: everything that describes it. Its
# identity (fingerprint, kind, key), status and first sighting stay. The customer, say, may be
# known only from a later run (an invoice stored from a webhook before its customer was synced).
REFRESHED: Final = (
    "records",
    "amount_minor",
    "amount_currency",
    "detail",
    "party_source",
    "party_source_id",
    "extra",
)


def finding_row(finding: Finding, now: datetime) -> dict[str, Any]:
    """The `findings` row of a finding opened at `now`."""
    return {
        "fingerprint": finding.fingerprint,
        "kind": finding.kind.value,
        "key_source": finding.key.source.value,
        "key_source_id": finding.key.source_id,
        "records": [[ref.source.value, ref.source_id] for ref in finding.records],
        "amount_minor": finding.amount_at_stake.minor,
        "amount_currency": finding.amount_at_stake.currency,
        "detail": finding.detail,
        "status": finding.status.value,
        "party_source": finding.party.source.value if finding.party else None,
        "party_source_id": finding.party.source_id if finding.party else None,
        "extra": dict(finding.extra) or None,
        "first_seen": now,
        "last_seen": now,
        "updated_at": now,
    }


def _stored(row: Any) -> StoredFinding:
    party = SourceRef(Source(row.party_source), row.party_source_id) if row.party_source else None
    finding = Finding(
        kind=FindingKind(row.kind),
        key=SourceRef(Source(row.key_source), row.key_source_id),
        records=tuple(SourceRef(Source(src), ident) for src, ident in row.records),
        amount_at_stake=Money(row.amount_minor, row.amount_currency),
        detail=row.detail,
        fingerprint=row.fingerprint,
        status=FindingStatus(row.status),
        party=party,
        extra=dict(row.extra or {}),
    )
    return StoredFinding(finding, row.first_seen, row.last_seen)
