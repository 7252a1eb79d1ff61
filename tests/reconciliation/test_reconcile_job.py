"""Through the real store: sync a dataset's records, load the snapshot with the loader, reconcile,
persist, and write the command's JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobs.reconcile import run_history, run_reconcile
from sandbox.dataset import generate
from tests.reconciliation.dataset_helpers import diff, synced, truth_rows

AS_OF = date(2026, 3, 1)
NOW = datetime(2026, 3, 1, 6, tzinfo=UTC)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seed5")
    generate(out, seed=5, customers=120, as_of=AS_OF)
    return out


async def test_store_loaded_snapshot_gives_the_truth_and_a_rerun_changes_nothing(
    dataset: Path, store_url: str
) -> None:
    """Both loaders: whole records on SQLite, the compact path on PostgreSQL."""
    store = await synced(store_url, dataset)
    try:
        first = await run_reconcile(store, as_of=AS_OF, now=NOW)
        second = await run_reconcile(store, as_of=AS_OF, now=NOW)
        runs = await run_history(store)
    finally:
        await store.close()
    found = {
        (
            f.kind.value,
            f.key.source.value,
            f.key.source_id,
            f.amount_at_stake.minor,
            f.amount_at_stake.currency,
        )
        for f in first.result.findings
    }

    assert found == truth_rows(dataset), diff(found, truth_rows(dataset))
    assert first.lifecycle.opened == len(found)
    assert (second.lifecycle.opened, second.lifecycle.resolved) == (0, 0)
    assert [r.open_findings for r in runs] == [len(found), len(found)]


async def seed(url: str, root: Path) -> None:
    store = await synced(url, root)
    await store.close()


def test_reconcile_command_writes_json_and_csv(
    dataset: Path, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from hub.cli_reconcile import reconcile_command
    from hub.settings import get_settings

    with ThreadPoolExecutor(max_workers=1) as pool:  # away from pytest-asyncio's loop
        pool.submit(asyncio.run, seed(sqlite_url, dataset)).result()
    monkeypatch.setenv("REVCYCLE_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    import typer

    app = typer.Typer()
    app.command()(reconcile_command)
    out_json, out_csv = tmp_path / "r.json", tmp_path / "r.csv"

    args = ["--as-of", "2026-03-01", "--json", str(out_json), "--csv", str(out_csv)]
    with ThreadPoolExecutor(max_workers=1) as pool:  # the command's asyncio.run, off this thread
        result = pool.submit(CliRunner().invoke, app, args).result()
    get_settings.cache_clear()

    assert result.exit_code == 0, result.output
    body = json.loads(out_json.read_text())
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    first = body["findings"][0]
    assert set(first) >= {"kind", "fingerprint", "status", "records", "amount_at_stake", "detail"}
    assert "metrics" in body
    assert len(rows) == len(body["findings"]) == len(truth_rows(dataset))
