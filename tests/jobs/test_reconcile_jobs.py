"""Reconciliation as jobs: on the worker's schedule, and once after a burst of ledger changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from canonical.store import Store
from canonical.store.engine import connect
from canonical.store.findings import list_findings
from jobs.reconcile_jobs import AFTER_CHANGE_JOB_ID, reconcile_soon
from jobs.services import JobsConfig
from jobs.worker import worker_options
from sandbox.dataset import generate
from tests.jobs.helpers import in_process
from tests.reconciliation.dataset_helpers import dataset_records, truth_rows

AS_OF = date(2026, 5, 1)


async def test_a_scheduled_reconcile_persists_exactly_the_planted_findings(
    store: Store, tmp_path: Path
) -> None:
    generate(tmp_path, seed=2, customers=60, as_of=AS_OF)
    await store.upsert(list(dataset_records(tmp_path)))
    queue, services = in_process(store)
    services.clock = lambda: datetime(2026, 5, 1, tzinfo=UTC)

    await queue.enqueue("scheduled_reconcile", job_id="reconcile:test")
    await queue.drain()

    assert queue.completed == 1
    async with connect(store.engine) as conn:
        stored = await list_findings(conn)
    keys = {
        (s.finding.kind.value, s.finding.key.source.value, s.finding.key.source_id) for s in stored
    }
    assert keys == {row[:3] for row in truth_rows(tmp_path)}


async def test_a_burst_of_ledger_changes_queues_one_reconcile(store: Store) -> None:
    queue, services = in_process(store, config=JobsConfig(reconcile_debounce_s=60))
    for _ in range(5):
        await reconcile_soon(services, [])
    assert list(queue._running) == [AFTER_CHANGE_JOB_ID]
    await queue.close()


def test_the_worker_schedules_reconcile_unless_switched_off() -> None:
    names = {job.name for job in worker_options(JobsConfig())["cron_jobs"]}
    assert "reconcile" in names
    off = {
        job.name for job in worker_options(JobsConfig(reconcile_interval_minutes=0))["cron_jobs"]
    }
    assert "reconcile" not in off
