"""Reconciliation runs applied to the stored findings, in bulk.

`apply_run` applies one reconciliation (every transition writes a `finding_history` row, as the
single-finding moves of `canonical.store.findings` do): a new fingerprint opens; an open or
acknowledged one keeps its status, and what describes it (`findings.REFRESHED`) and last_seen
are refreshed; a resolved one that recurs reopens; an open or acknowledged one the run no longer
reports resolves itself ("fixed at source").
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from canonical.records import Finding, FindingStatus
from canonical.store.findings import LIVE_STATUSES, REFRESHED, finding_row
from canonical.store.ops_tables import finding_history, findings
from canonical.store.types import to_micros


@dataclass(frozen=True, slots=True)
class RunOutcome:
    opened: int
    reopened: int
    refreshed: int
    resolved: int
    # Each reported fingerprint's status once the run is applied (open, or acknowledged).
    statuses: Mapping[str, FindingStatus] = field(default_factory=dict, repr=False, compare=False)


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
            change = (
                _NEW if status is None else _REOPEN if status not in LIVE_STATUSES else _REFRESH
            )
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
# A stored finding is refreshed (what describes it, last seen); a resolved one reopens.
_UPSERT = f"""
INSERT INTO findings ({_FINDING_COLUMNS})
SELECT fingerprint, kind, key_source, key_source_id, records::json, amount_minor, amount_currency,
       detail, 'open', party_source, party_source_id, extra::json, $1::bigint, $1, $1
FROM {_RUN_STAGE} ORDER BY position
ON CONFLICT (fingerprint) DO UPDATE SET
    last_seen = EXCLUDED.last_seen, updated_at = EXCLUDED.updated_at,
    {", ".join(f"{name} = EXCLUDED.{name}" for name in REFRESHED)},
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
        await conn.execute(insert(findings), [finding_row(f, now) for f in new])
    await _update_each(conn, plan, _REFRESH, now)
    await _update_each(conn, plan, _REOPEN, now, status="open", resolved_at=None)
    reported = {f.fingerprint for f, _ in plan.changes}
    gone = [(fp, s) for fp, s in plan.stored.items() if s in LIVE_STATUSES and fp not in reported]
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
    rows = [_refresh(f, now) for f, c in plan.changes if c == change]
    if rows:
        values: dict[str, Any] = {name: bindparam(f"b_{name}") for name in REFRESHED}
        statement = update(findings).where(findings.c.fingerprint == bindparam("b_fingerprint"))
        statement = statement.values(**values, last_seen=now, updated_at=now, **also)
        await conn.execute(statement, rows)


def _refresh(finding: Finding, now: datetime) -> dict[str, Any]:
    row = finding_row(finding, now)
    return {"b_fingerprint": finding.fingerprint, **{f"b_{n}": row[n] for n in REFRESHED}}


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
