"""Reconciliation at scale: the product's full run against a bulk read plus one DuckDB join.

    .venv/bin/python benchmarks/reconcile.py            # 1,000,000 invoices and payments a side
    .venv/bin/python benchmarks/reconcile.py --quick    # 100,000, under a minute

A fresh PostgreSQL database is migrated and seeded by COPY (`canonical.store.bulk_seed`): N Stripe
invoices with their charges and invoice payments, their QuickBooks invoices and payments linked by
DocNumber / PrivateNote / PaymentRefNum, and a few percent of planted discrepancies. Then, in the
same run:
- ours, in a child process (so its peak RSS is its own): the product's
  `jobs.reconcile.run_reconcile` (the compact loader, the pure `reconcile`, persisting the findings
  and the run); its findings by kind must equal what the seed planted;
- the baseline reads the same rows (the loader's own queries) with `COPY … TO STDOUT` into
  temporary CSV files and does one DuckDB hash join per pair family on the same keys (invoice
  number, charge id in the payment reference), counting the unmatched and the differing amounts.

Progress goes to stderr; the last stdout line is JSON: `ratio` (our seconds ÷ baseline seconds),
`peak_rss_mb`, `records`, `seconds`, `baseline_seconds` and the phases. Goals: ratio <= 3,
peak_rss_mb <= 2048.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path; keep it from shadowing packages.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
import duckdb  # noqa: E402

from canonical.store import Store, upgrade_async  # noqa: E402
from canonical.store.bulk_seed import seed_reconciliation_rows  # noqa: E402
from canonical.store.snapshot_loader import COMPACT_QUERIES  # noqa: E402
from jobs.reconcile import run_reconcile  # noqa: E402

DEFAULT_POSTGRES = os.environ.get(
    "REVCYCLE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
AS_OF = date(2026, 3, 1)
NOW = datetime(2026, 3, 1, 6, tzinfo=UTC)
BASELINE_FAMILIES = ("invoices", "ledger_invoices", "charges", "ledger_payments", "invoice_links")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- ours (child process) ----------------------------------------------------------------------


async def ours(url: str) -> dict[str, Any]:
    store = Store.from_url(url)
    phases: dict[str, float] = {}
    try:
        started = time.perf_counter()
        outcome = await run_reconcile(store, as_of=AS_OF, now=NOW, phases=phases)
        finished = time.perf_counter()
    finally:
        await store.close()
    log(
        f"ours: {outcome.records_read} rows, {len(outcome.result.findings)} findings "
        f"({outcome.lifecycle}) in {finished - started:.2f}s: "
        + ", ".join(f"{name} {seconds:.2f}s" for name, seconds in phases.items())
    )
    kinds: dict[str, int] = {}
    for finding in outcome.result.findings:
        kinds[finding.kind.value] = kinds.get(finding.kind.value, 0) + 1
    return {
        "records": outcome.records_read,
        "seconds": finished - started,
        **{f"{name}_seconds": seconds for name, seconds in phases.items()},
        "findings": kinds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_ours_in_child(url: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child-url", url],
        stdout=subprocess.PIPE,
        check=True,
        text=True,
    )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


# --- the baseline ------------------------------------------------------------------------------


async def copy_out(url: str, folder: Path) -> dict[str, Path]:
    conn = await asyncpg.connect(url)
    paths = {}
    try:
        for family in BASELINE_FAMILIES:
            path = paths[family] = folder / f"{family}.csv"
            await conn.copy_from_query(COMPACT_QUERIES[family], output=str(path), format="csv")
    finally:
        await conn.close()
    return paths


# Columns are c0, c1, … in the loader's order: Stripe invoice total c4, number c9; QuickBooks
# invoice total c3, number c5; charge id c0, amount c4; QuickBooks payment amount c2, reference c3.
JOINS = """
SELECT 'invoices', count(*) FILTER (WHERE q.c0 IS NULL), count(*) FILTER (WHERE q.c3 <> s.c4)
FROM invoices AS s LEFT JOIN ledger_invoices AS q ON q.c5 = s.c9
UNION ALL
SELECT 'payments', count(*) FILTER (WHERE q.c0 IS NULL), count(*) FILTER (WHERE q.c2 <> c.c4)
FROM charges AS c LEFT JOIN ledger_payments AS q ON q.c3 = c.c0
"""


def duckdb_joins(paths: dict[str, Path]) -> tuple[Any, ...]:
    with duckdb.connect() as db:
        for family, path in paths.items():
            with path.open() as first:
                width = len(next(csv.reader(first)))
            db.execute(
                f"CREATE TABLE {family} AS SELECT * FROM read_csv(?, header = false, names = ?)",
                [str(path), [f"c{i}" for i in range(width)]],
            )
        rows = db.execute(JOINS).fetchall()
    return tuple(rows)


async def baseline(url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="revcycle-recon-") as folder:
        started = time.perf_counter()
        paths = await copy_out(url, Path(folder))
        copied = time.perf_counter()
        joined = duckdb_joins(paths)
        finished = time.perf_counter()
    log(f"baseline: COPY out {copied - started:.2f}s, DuckDB joins {finished - copied:.2f}s")
    return {
        "seconds": finished - started,
        "copy_seconds": copied - started,
        "join_seconds": finished - copied,
        "unmatched_and_differing": joined,
    }


# --- the run -----------------------------------------------------------------------------------


async def seed(url: str, invoices: int) -> dict[str, Any]:
    await upgrade_async(url)
    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        planted = await seed_reconciliation_rows(conn, invoices=invoices, as_of=AS_OF)
    finally:
        await conn.close()
    log(f"seeded {dict(planted.rows)} in {time.perf_counter() - started:.1f}s")
    return {"planted": dict(planted.findings), "rows": dict(planted.rows)}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    invoices = args.invoices or (100_000 if args.quick else 1_000_000)
    name = f"revcycle_recon_{uuid.uuid4().hex[:10]}"
    server = await asyncpg.connect(args.postgres_url)
    await server.execute(f'CREATE DATABASE "{name}"')
    url = args.postgres_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        seeded = await seed(url, invoices)
        base = await baseline(url)
        mine = await asyncio.to_thread(run_ours_in_child, url)
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.close()
    if mine["findings"] != seeded["planted"]:
        raise SystemExit(f"findings {mine['findings']} differ from planted {seeded['planted']}")
    return {
        "ratio": round(mine["seconds"] / base["seconds"], 3),
        "peak_rss_mb": round(mine["peak_rss_mb"], 1),
        "records": mine["records"],
        "seconds": round(mine["seconds"], 3),
        "baseline_seconds": round(base["seconds"], 3),
        "invoices_per_side": invoices,
        "ours": {k: round(v, 3) for k, v in mine.items() if k.endswith("_seconds")},
        "baseline": {k: round(v, 3) for k, v in base.items() if k.endswith("_seconds")},
        "findings": mine["findings"],
        "rows": seeded["rows"],
    }


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 invoices per side")
    parser.add_argument("--invoices", type=int, help="Stripe invoices (and payments) per side")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--child-url", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    if arguments.child_url:
        print(json.dumps(asyncio.run(ours(arguments.child_url))))
    else:
        print(json.dumps(asyncio.run(main(arguments))))
