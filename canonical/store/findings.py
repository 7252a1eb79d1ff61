"""Findings: one row per discrepancy, keyed by a stable fingerprint, with a status history.

`record_finding` opens a finding the first time its fingerprint is seen and only refreshes
`last_seen` (and the amount and detail) after that, so rerunning whatever found it does not
duplicate it.

Lifecycle (every transition writes a `finding_history` row):
- `apply_run` applies one reconciliation: a new fingerprint opens; an open or acknowledged one
  stays as it is (amount, detail, last_seen refreshed); a resolved one that recurs reopens; an
  open or acknowledged one the run no longer reports resolves itself ("fixed at source");
- `acknowledge` and `resolve` are the user's actions, each with a note.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from canonical.money import Money
from canonical.records import Finding, FindingKind, FindingStatus, Source, SourceRef
from canonical.store.ops_tables import finding_history, findings
from canonical.store.types import to_micros


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
    row = _row(finding, now)
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
    await conn.execute(
        update(findings)
        .where(findings.c.fingerprint == finding.fingerprint)
        .values(
            last_seen=now,
            updated_at=now,
            detail=finding.detail,
            amount_minor=finding.amount_at_stake.minor,
            amount_currency=finding.amount_at_stake.currency,
        )
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


@dataclass(frozen=True, slots=True)
class RunOutcome:
    opened: int
    reopened: int
    refreshed: int
    resolved: int
    # Each reported fingerprint's status once the run is applied (open, or acknowledged).
    statuses: Mapping[str, FindingStatus] = field(default_factory=dict, repr=False, compare=False)


_LIVE = (FindingStatus.OPEN.value, FindingStatus.ACKNOWLEDGED.value)
_NEW, _REOPEN, _REFRESH = "new", "reopen", "refresh"


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one run does to each reported finding, decided against the stored statuses."""

    changes: list[tuple[Finding, str]]
    stored: dict[str, str]

    @classmethod
    def of(cls, stored: dict[str, str], current: Sequence[Finding]) -> _Plan:
        unique = {finding.fingerprint: finding for finding in current}  # a repeat: last wins
        changes = []
        for fp, finding in unique.items():
            status = stored.get(fp)
            change = _NEW if status is None else _REOPEN if status not in _LIVE else _REFRESH
            changes.append((finding, change))
        return cls(changes, stored)

    def outcome(self, resolved: int) -> RunOutcome:
        counts = Counter(change for _, change in self.changes)
        statuses = {
            f.fingerprint: FindingStatus(self.stored[f.fingerprint])
            if change == _REFRESH
            else FindingStatus.OPEN
            for f, change in self.changes
        }
        return RunOutcome(counts[_NEW], counts[_REOPEN], counts[_REFRESH], resolved, statuses)


async def apply_run(
    conn: AsyncConnection, current: Sequence[Finding], *, now: datetime
) -> RunOutcome:
    """Make the stored findings reflect one full reconciliation run (see the module docstring).

    A run reports tens of thousands of findings, so it is written in bulk: on PostgreSQL, COPY
    into a staging table and a few set-based statements; elsewhere, one executemany per change.
    """
    query = select(findings.c.fingerprint, findings.c.status).order_by(findings.c.id)
    plan = _Plan.of({row.fingerprint: row.status for row in await conn.execute(query)}, current)
    if conn.dialect.name == "postgresql":
        resolved = await _apply_postgres(conn, plan, now)
    else:
        resolved = await _apply_each(conn, plan, now)
    return plan.outcome(resolved)


_RUN_STAGE = "finding_run"
_STAGE_COLUMNS = (
    "position int, change text, fingerprint text, kind text, key_source text, "
    "key_source_id text, records text, amount_minor bigint, amount_currency text, detail text, "
    "party_source text, party_source_id text, extra text"
)
_FINDING_COLUMNS = (
    "fingerprint, kind, key_source, key_source_id, records, amount_minor, amount_currency, "
    "detail, status, party_source, party_source_id, extra, first_seen, last_seen, updated_at"
)
# A stored finding is refreshed (amount, detail, last seen); a resolved one reopens.
_UPSERT = f"""
INSERT INTO findings ({_FINDING_COLUMNS})
SELECT fingerprint, kind, key_source, key_source_id, records::json, amount_minor, amount_currency,
       detail, 'open', party_source, party_source_id, extra::json, $1::bigint, $1, $1
FROM {_RUN_STAGE} ORDER BY position
ON CONFLICT (fingerprint) DO UPDATE SET
    last_seen = EXCLUDED.last_seen, updated_at = EXCLUDED.updated_at, detail = EXCLUDED.detail,
    amount_minor = EXCLUDED.amount_minor, amount_currency = EXCLUDED.amount_currency,
    status = CASE WHEN findings.status IN ('open', 'acknowledged') THEN findings.status
                  ELSE 'open' END,
    resolved_at = CASE WHEN findings.status IN ('open', 'acknowledged') THEN findings.resolved_at
                       END
"""
_OPENED_HISTORY = f"""
INSERT INTO finding_history (fingerprint, at, from_status, to_status, note)
SELECT fingerprint, $1::bigint, CASE WHEN change = '{_REOPEN}' THEN 'resolved' END, 'open',
       CASE WHEN change = '{_NEW}' THEN detail ELSE 'recurred' END
FROM {_RUN_STAGE} WHERE change <> '{_REFRESH}' ORDER BY position
"""
_GONE = (
    "status IN ('open', 'acknowledged') AND NOT EXISTS "
    f"(SELECT 1 FROM {_RUN_STAGE} AS r WHERE r.fingerprint = findings.fingerprint)"
)
_GONE_HISTORY = f"""
INSERT INTO finding_history (fingerprint, at, from_status, to_status, note)
SELECT fingerprint, $1::bigint, status, 'resolved', 'fixed at source'
FROM findings WHERE {_GONE} ORDER BY id
"""
_RESOLVE_GONE = (
    f"UPDATE findings SET status = 'resolved', updated_at = $1::bigint, resolved_at = $1 "
    f"WHERE {_GONE}"
)


async def _apply_postgres(conn: AsyncConnection, plan: _Plan, now: datetime) -> int:
    # The first statement went through SQLAlchemy, so the COPY on the driver connection joins
    # its transaction; the staging table goes with it.
    at = (to_micros(now),)
    await conn.exec_driver_sql(f"CREATE TEMP TABLE {_RUN_STAGE} ({_STAGE_COLUMNS}) ON COMMIT DROP")
    driver: Any = (await conn.get_raw_connection()).driver_connection
    await driver.copy_records_to_table(
        _RUN_STAGE,
        records=[
            _stage_row(position, finding, change)
            for position, (finding, change) in enumerate(plan.changes)
        ],
    )
    await conn.exec_driver_sql(f"ANALYZE {_RUN_STAGE}")
    await conn.exec_driver_sql(_UPSERT, at)
    await conn.exec_driver_sql(_OPENED_HISTORY, at)
    await conn.exec_driver_sql(_GONE_HISTORY, at)
    resolved = await conn.exec_driver_sql(_RESOLVE_GONE, at)
    await conn.exec_driver_sql(f"DROP TABLE {_RUN_STAGE}")
    return int(resolved.rowcount)


def _stage_row(position: int, finding: Finding, change: str) -> tuple[Any, ...]:
    party = finding.party
    return (
        position,
        change,
        finding.fingerprint,
        finding.kind.value,
        finding.key.source.value,
        finding.key.source_id,
        json.dumps([[ref.source.value, ref.source_id] for ref in finding.records]),
        finding.amount_at_stake.minor,
        finding.amount_at_stake.currency,
        finding.detail,
        party.source.value if party else None,
        party.source_id if party else None,
        json.dumps(dict(finding.extra)) if finding.extra else None,
    )


async def _apply_each(conn: AsyncConnection, plan: _Plan, now: datetime) -> int:
    """The same lifecycle as executemany statements (SQLite, one writer at a time)."""
    new = [replace(f, status=FindingStatus.OPEN) for f, change in plan.changes if change == _NEW]
    if new:
        await conn.execute(insert(findings), [_row(f, now) for f in new])
    await _update_each(conn, plan, _REFRESH, now)
    await _update_each(conn, plan, _REOPEN, now, status="open", resolved_at=None)
    reported = {f.fingerprint for f, _ in plan.changes}
    gone = [(fp, s) for fp, s in plan.stored.items() if s in _LIVE and fp not in reported]
    opened = [
        _history(f.fingerprint, None, f.detail, now)
        if change == _NEW
        else _history(f.fingerprint, FindingStatus.RESOLVED.value, "recurred", now)
        for f, change in plan.changes
        if change != _REFRESH
    ]
    closed = [_history(fp, s, "fixed at source", now, FindingStatus.RESOLVED) for fp, s in gone]
    if opened or closed:
        await conn.execute(insert(finding_history), [*opened, *closed])
    if gone:
        resolve_gone = update(findings).where(findings.c.fingerprint == bindparam("b_fingerprint"))
        resolve_gone = resolve_gone.values(
            status=FindingStatus.RESOLVED.value, updated_at=now, resolved_at=now
        )
        await conn.execute(resolve_gone, [{"b_fingerprint": fp} for fp, _ in gone])
    return len(gone)


async def _update_each(
    conn: AsyncConnection, plan: _Plan, change: str, now: datetime, **also: Any
) -> None:
    rows = [_refresh(f) for f, c in plan.changes if c == change]
    if rows:
        values: dict[str, Any] = {name: bindparam(f"b_{name}") for name in _REFRESHED}
        statement = update(findings).where(findings.c.fingerprint == bindparam("b_fingerprint"))
        statement = statement.values(**values, last_seen=now, updated_at=now, **also)
        await conn.execute(statement, rows)


_REFRESHED = ("detail", "amount_minor", "amount_currency")


def _refresh(finding: Finding) -> dict[str, Any]:
    return {
        "b_fingerprint": finding.fingerprint,
        "b_detail": finding.detail,
        "b_amount_minor": finding.amount_at_stake.minor,
        "b_amount_currency": finding.amount_at_stake.currency,
    }


def _history(
    fingerprint: str,
    from_status: str | None,
    note: str,
    now: datetime,
    to: FindingStatus = FindingStatus.OPEN,
) -> dict[str, Any]:
    return {
        "fingerprint": fingerprint,
        "at": now,
        "from_status": from_status,
        "to_status": to.value,
        "note": note,
    }


async def acknowledge(conn: AsyncConnection, fingerprint: str, note: str, *, now: datetime) -> bool:
    """Acknowledge an open finding; False when it is not open (or unknown)."""
    return await _user_move(conn, fingerprint, FindingStatus.ACKNOWLEDGED, note, now)


async def resolve(conn: AsyncConnection, fingerprint: str, note: str, *, now: datetime) -> bool:
    """Resolve an open or acknowledged finding; False when it is already resolved (or unknown)."""
    return await _user_move(conn, fingerprint, FindingStatus.RESOLVED, note, now)


_ALLOWED_FROM = {
    FindingStatus.ACKNOWLEDGED: (FindingStatus.OPEN.value,),
    FindingStatus.RESOLVED: _LIVE,
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


def _row(finding: Finding, now: datetime) -> dict[str, Any]:
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
