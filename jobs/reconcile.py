"""The reconcile service: load the snapshot, reconcile (pure), persist findings and the run.

outcome = await run_reconcile(store, as_of=date.today(), now=datetime.now(UTC))
"""

from __future__ import annotations

import asyncio
import gc
import time
from array import array
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import insert, select

from canonical.jsonable import to_jsonable
from canonical.money import Money
from canonical.records import Finding, FindingStatus
from canonical.store import Store
from canonical.store.engine import begin, connect
from canonical.store.finding_runs import RunOutcome, apply_run
from canonical.store.recon_tables import reconcile_runs
from canonical.store.snapshot_loader import (
    stream_compact,
    stream_for_reconciliation,
    supports_compact,
)
from reconciliation.metrics.common import per_currency
from reconciliation.model import ReconcileResult, RunSummary
from reconciliation.reconcile import reconcile
from reconciliation.snapshot import Snapshot, SnapshotBuilder
from reconciliation.snapshot_rows import CompactBuilder
from reconciliation.thresholds import Thresholds


@dataclass(frozen=True, slots=True)
class ReconcileOutcome:
    result: ReconcileResult  # findings carry their stored status
    lifecycle: RunOutcome
    run_id: int
    records_read: int


async def run_reconcile(
    store: Store,
    *,
    as_of: date,
    now: datetime,
    thresholds: Thresholds | None = None,
    phases: dict[str, float] | None = None,
) -> ReconcileOutcome:
    """Load, reconcile, persist; `phases`, when given, receives each phase's seconds."""
    clock = _PhaseClock(phases)
    with _collector_paused():
        snapshot, read = await load_snapshot(store)
        clock.lap("load")
        result = reconcile(snapshot, as_of=as_of, thresholds=thresholds)
        clock.lap("reconcile")
        # Freeing a million-row snapshot is seconds of work: it is done in slices while the
        # findings are written, in the time this process would spend waiting for the database.
        releasing = asyncio.create_task(_release(snapshot))
        del snapshot
        try:
            async with begin(store.engine) as conn:
                lifecycle = await apply_run(conn, result.findings, now=now)
                statuses = lifecycle.statuses
                findings = tuple(
                    f
                    if (status := statuses.get(f.fingerprint, FindingStatus.OPEN)) is f.status
                    else replace(f, status=status)
                    for f in result.findings
                )
                result = replace(result, findings=findings)
                run_id = await _record_run(conn, result, started=now)
        finally:
            await releasing
    clock.lap("persist")
    return ReconcileOutcome(result, lifecycle, run_id, read)


RELEASE_STEP: Final = 20_000  # rows freed between two turns of the event loop: a few ms


async def _release(snapshot: Snapshot) -> None:
    """Empty the snapshot's containers a slice at a time, letting the event loop run between
    slices. Nothing else holds them: the result of `reconcile` keeps rows and values, never a
    snapshot's list or map."""
    containers: list[Any] = [getattr(snapshot, f.name) for f in fields(snapshot)]
    if snapshot.paired is not None:
        containers += [getattr(snapshot.paired, f.name) for f in fields(snapshot.paired)]
    del snapshot
    for items in containers:
        if isinstance(items, dict):
            while items:
                for _ in range(min(RELEASE_STEP, len(items))):
                    items.popitem()
                await asyncio.sleep(0)
        elif isinstance(items, list | array):
            while items:
                del items[-RELEASE_STEP:]
                await asyncio.sleep(0)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of snapshot tuples are made, read and
    freed.

    The tuples hold no cycles (reference counting frees them), but each generation-2 pass
    rescans every one of them, which made the run super-linear (a third of it at 300k).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _PhaseClock:
    """Seconds per phase into an optional dict (for benchmarks), nothing when none is given."""

    def __init__(self, phases: dict[str, float] | None) -> None:
        self._phases = phases
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self._phases is not None:
            self._phases[name] = now - self._last
        self._last = now


async def load_snapshot(store: Store) -> tuple[Snapshot, int]:
    """The compact snapshot and the number of rows read: PostgreSQL selects just the columns
    the rules read and pairs what equal identifiers pair (see `stream_compact`); other stores
    stream whole records."""
    if supports_compact(store):
        compact = CompactBuilder(paired=True)
        read = await stream_compact(store, compact.add, paired=True)
        return compact.snapshot, read
    builder = SnapshotBuilder()
    read = await stream_for_reconciliation(store, builder.add)
    return builder.snapshot, read


async def _record_run(conn: Any, result: ReconcileResult, *, started: datetime) -> int:
    live = [f for f in result.findings if f.status is not FindingStatus.RESOLVED]
    row = await conn.execute(
        insert(reconcile_runs)
        .values(
            as_of=result.as_of,
            started_at=started,
            finished_at=started,
            open_findings=len(live),
            counts_by_kind=dict(Counter(f.kind.value for f in live)),
            amounts_by_kind=to_jsonable(_amounts_by_kind(live)),
            metrics=to_jsonable(result.metrics),
        )
        .returning(reconcile_runs.c.id)
    )
    return int(row.scalar_one())


def _amounts_by_kind(findings: list[Finding]) -> dict[str, Any]:
    kinds = sorted({f.kind.value for f in findings})
    return {
        kind: per_currency(
            (f.amount_at_stake.currency, f.amount_at_stake.minor)
            for f in findings
            if f.kind.value == kind
        )
        for kind in kinds
    }


async def run_history(store: Store, *, limit: int = 50) -> list[RunSummary]:
    """The latest runs, oldest first, for the trend across runs."""
    t = reconcile_runs.c
    query = select(reconcile_runs).order_by(t.id.desc()).limit(limit)
    async with connect(store.engine) as conn:
        rows = list(await conn.execute(query))
    return [_summary(row) for row in reversed(rows)]


def _summary(row: Any) -> RunSummary:
    amounts = {
        kind: tuple(Money(m["minor"], m["currency"]) for m in values)
        for kind, values in (row.amounts_by_kind or {}).items()
    }
    return RunSummary(
        run_id=row.id,
        as_of=row.as_of,
        started_at=row.started_at,
        finished_at=row.finished_at,
        counts_by_kind=dict(row.counts_by_kind or {}),
        amounts_by_kind=amounts,
        open_findings=row.open_findings,
    )


def thresholds_from(settings: Any) -> Thresholds:
    """The limits configured in `hub.settings.Settings`."""
    return Thresholds(
        ledger_grace_days=settings.REVCYCLE_LEDGER_GRACE_DAYS,
        deal_grace_days=settings.REVCYCLE_DEAL_GRACE_DAYS,
        underbilled_percent=settings.REVCYCLE_UNDERBILLED_PERCENT,
        discount_percent=settings.REVCYCLE_DISCOUNT_PERCENT,
        unrecovered_grace_days=settings.REVCYCLE_UNRECOVERED_GRACE_DAYS,
        payout_window_days=settings.REVCYCLE_PAYOUT_WINDOW_DAYS,
    )
