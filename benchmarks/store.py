"""Benchmark: bulk upsert of invoices (with lines) through `Store.upsert` vs the fastest raw insert.

    python benchmarks/store.py [--quick] [--records N] [--postgres-url URL] [--sqlite-path PATH]

For each backend, on a fresh database: upsert N invoices with 3 lines each in batches through
`Store.upsert` (records in, rows built, hashed, conflict-checked, lines replaced), then insert the
same rows, already built, into plain unindexed tables with the fastest raw path (PostgreSQL `COPY`
through asyncpg's `copy_records_to_table`, SQLite `executemany` on the sqlite3 module). Rows are
invoices plus lines.

Each backend runs `--rounds` rounds (3; 2 with `--quick`), each on a fresh database, and both
sides keep their fastest round: on a shared machine another process only ever slows a round
down, and single rounds of either side were seen to vary by a third.

Progress goes to stderr; the last stdout line is one JSON object whose `ratio` is upsert rows/s
over raw rows/s on the worse backend (the goal is at least 0.5). On PostgreSQL each side's fastest
round also carries the CPU seconds this process and the database's server processes spent on it
(`cpu_s`), read from the operating system when the server runs on this machine: the side whose
CPU is closest to its wall time is the one that bounds it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import asyncpg  # type: ignore[import-untyped]
import psutil
from sqlalchemy.engine import make_url

from canonical.money import Money
from canonical.records import Invoice, InvoiceLine, InvoiceStatus, Source
from canonical.store import Store, UpsertCounts, upgrade_async
from canonical.store.codecs import codec_for

LINES_PER_INVOICE = 3
BATCH = 10_000
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Cpu(NamedTuple):
    """CPU seconds spent on one timed side: this process, and the database's server processes
    (None when they cannot be read: a server on another machine, or another user's)."""

    client: float
    server: float | None

    def figures(self) -> dict[str, float | None]:
        server = None if self.server is None else round(self.server, 3)
        return {"client": round(self.client, 3), "server": server}


class CpuClock:
    """Reads this process's CPU time and that of every server process attached to one
    PostgreSQL database (its backends, and an autovacuum worker while one runs there), so that
    a side's cost can be split between the two. The server's shared processes (WAL writer,
    checkpointer) are not counted."""

    def __init__(self, admin: Any = None, database: str | None = None) -> None:
        self._admin = admin  # an asyncpg connection to another database on the same server
        self._database = database

    async def read(self) -> tuple[float, dict[int, float] | None]:
        return time.process_time(), await self._server_times()

    async def since(self, start: tuple[float, dict[int, float] | None]) -> Cpu:
        client, server = start
        now = await self._server_times()
        spent = None
        if server is not None and now is not None:
            # A process that started meanwhile counts from zero; one that ended is lost, but
            # the timed sides keep their connections open until they are read.
            spent = sum(seconds - server.get(pid, 0.0) for pid, seconds in now.items())
        return Cpu(time.process_time() - client, spent)

    async def _server_times(self) -> dict[int, float] | None:
        if self._admin is None:
            return None
        pids = await self._admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", self._database
        )
        times: dict[int, float] = {}
        try:
            for (pid,) in pids:
                cpu = psutil.Process(pid).cpu_times()
                times[pid] = cpu.user + cpu.system
        except (psutil.AccessDenied, psutil.NoSuchProcess):
            return None  # not this machine's, or not ours to read
        return times


def make_invoices(count: int) -> list[Invoice]:
    """Realistic invoices: every money field set, 3 lines, dates and instants."""
    invoices = []
    for n in range(count):
        lines = tuple(
            InvoiceLine(
                line_id=f"il_{n}_{k}",
                description=f"Plan seat {k}",
                quantity=Decimal(k + 1),
                amount=Money(1000 * (k + 1), "USD"),
                unit_amount=Money(1000, "USD"),
            )
            for k in range(LINES_PER_INVOICE)
        )
        total = sum(line.amount.minor for line in lines)
        created = T0 + timedelta(minutes=n)
        invoices.append(
            Invoice(
                source=Source.STRIPE,
                source_id=f"in_{n:08d}",
                version=created + timedelta(hours=1),
                read_at=created + timedelta(hours=2),
                party_id=f"cus_{n % 5000:05d}",
                status=InvoiceStatus.PAID if n % 3 else InvoiceStatus.OPEN,
                currency="USD",
                total=Money(total, "USD"),
                subtotal=Money(total, "USD"),
                tax=Money(0, "USD"),
                amount_paid=Money(total if n % 3 else 0, "USD"),
                balance=Money(0 if n % 3 else total, "USD"),
                number=f"INV-{n:08d}",
                issued_on=created.date(),
                due_date=created.date() + timedelta(days=30),
                created_at=created,
                finalized_at=created,
                subscription_id=f"sub_{n % 7000:05d}",
                attempt_count=1,
                lines=lines,
            )
        )
    return invoices


def chunks(items: list[Invoice], size: int) -> Iterator[list[Invoice]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Timed(NamedTuple):
    seconds: float
    counts: UpsertCounts
    cpu: Cpu


async def timed_upserts(url: str, invoices: list[Invoice], clock: CpuClock) -> Timed:
    store = Store.from_url(url)
    try:
        # Connect before the clock starts, as the raw path does: a pool's first connection runs
        # the driver's and SQLAlchemy's setup queries, which are no part of the upsert.
        await store.list_checkpoints()
        counts = UpsertCounts()
        cpu = await clock.read()
        started = time.perf_counter()
        for batch in chunks(invoices, BATCH):
            counts += await store.upsert(batch)
        elapsed = time.perf_counter() - started
        spent = await clock.since(cpu)
    finally:
        await store.close()
    return Timed(elapsed, counts, spent)


# --- the raw paths: the same rows, already built, into plain tables -------------------------------


def raw_rows(invoices: list[Invoice]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The store's own rows for these invoices, with ids and `synced_at`, built before timing."""
    codec = codec_for(Invoice)
    now = int(time.time() * 1_000_000)
    invoice_rows, line_rows = [], []
    for number, record in enumerate(invoices, start=1):
        row, lines = codec.encode(record)
        invoice_rows.append((number, *row, now))
        line_rows += [(number, position, *line) for position, line in enumerate(lines)]
    return invoice_rows, line_rows


def _postgres_lines(line_rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    # COPY is binary: the quantity column needs a Decimal, not its text.
    quantity = 4  # invoice_id, position, line_id, description, quantity
    return [(*row[:quantity], Decimal(row[quantity]), *row[quantity + 1 :]) for row in line_rows]


async def postgres_raw(
    url: str, clock: CpuClock, invoice_rows: list[Any], line_rows: list[Any]
) -> tuple[float, Cpu]:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE TABLE raw_invoices (LIKE invoices)")
        await conn.execute("CREATE TABLE raw_invoice_lines (LIKE invoice_lines)")
        codec = codec_for(Invoice)
        invoice_columns = ["id", *codec.columns, "synced_at"]
        line_columns = ["invoice_id", "position", *codec.line_columns]
        lines = _postgres_lines(line_rows)
        cpu = await clock.read()
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table(
                "raw_invoices", records=invoice_rows, columns=invoice_columns
            )
            await conn.copy_records_to_table(
                "raw_invoice_lines", records=lines, columns=line_columns
            )
        elapsed = time.perf_counter() - started
        return elapsed, await clock.since(cpu)
    finally:
        await conn.close()


def sqlite_raw(path: Path, invoice_rows: list[Any], line_rows: list[Any]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE raw_invoices AS SELECT * FROM invoices WHERE 0")
        conn.execute("CREATE TABLE raw_invoice_lines AS SELECT * FROM invoice_lines WHERE 0")
        width = len(invoice_rows[0])
        line_width = len(line_rows[0])
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            f"INSERT INTO raw_invoices VALUES ({', '.join('?' * width)})", invoice_rows
        )
        conn.executemany(
            f"INSERT INTO raw_invoice_lines VALUES ({', '.join('?' * line_width)})",
            line_rows,
        )
        conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


# --- per backend ----------------------------------------------------------------------------------


class Round(NamedTuple):
    upsert_s: float
    counts: UpsertCounts
    again_s: float  # the same batches upserted again: every row unchanged
    again: UpsertCounts
    raw_s: float
    upsert_cpu: Cpu | None = None
    raw_cpu: Cpu | None = None


def figures(rows: int, rounds: list[Round]) -> dict[str, Any]:
    upsert_s = min(r.upsert_s for r in rounds)
    raw_s = min(r.raw_s for r in rounds)
    fastest_upsert = min(rounds, key=lambda r: r.upsert_s).upsert_cpu
    fastest_raw = min(rounds, key=lambda r: r.raw_s).raw_cpu
    cpu = {}
    if fastest_upsert is not None and fastest_raw is not None:
        cpu = {"cpu_s": {"upsert": fastest_upsert.figures(), "raw": fastest_raw.figures()}}
    return {
        "upsert_s": round(upsert_s, 3),
        "reupsert_unchanged_s": round(min(r.again_s for r in rounds), 3),
        "reupsert_unchanged": rounds[0].again.unchanged,
        "raw_s": round(raw_s, 3),
        "upsert_rows_per_s": round(rows / upsert_s),
        "raw_rows_per_s": round(rows / raw_s),
        "ratio": round(raw_s / upsert_s, 3),
        "created": rounds[0].counts.created,
        "rounds": [[round(r.upsert_s, 3), round(r.raw_s, 3)] for r in rounds],
        **cpu,
    }


async def bench_postgres(base_url: str, invoices: list[Invoice], raw: Any) -> Round:
    name = f"revcycle_bench_{uuid.uuid4().hex[:10]}"
    admin = make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    server = await asyncpg.connect(admin)
    await server.execute(f'CREATE DATABASE "{name}"')
    try:
        await upgrade_async(url)
        clock = CpuClock(server, name)
        log(f"postgres: upserting {len(invoices)} invoices…")
        upsert = await timed_upserts(url, invoices, clock)
        log(f"postgres: upsert {upsert.seconds:.2f}s {upsert.counts} {upsert.cpu}; again…")
        again = await timed_upserts(url, invoices, clock)
        log(f"postgres: again {again.seconds:.2f}s {again.counts}; raw COPY…")
        raw_s, raw_cpu = await postgres_raw(url, clock, *raw)
        log(f"postgres: raw {raw_s:.2f}s {raw_cpu}")
    finally:
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.close()
    return Round(
        upsert.seconds, upsert.counts, again.seconds, again.counts, raw_s, upsert.cpu, raw_cpu
    )


async def bench_sqlite(path: Path, invoices: list[Invoice], raw: Any) -> Round:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    await upgrade_async(url)
    log(f"sqlite: upserting {len(invoices)} invoices…")
    upsert = await timed_upserts(url, invoices, CpuClock())
    log(f"sqlite: upsert {upsert.seconds:.2f}s {upsert.counts}; the same again…")
    again = await timed_upserts(url, invoices, CpuClock())
    log(f"sqlite: again {again.seconds:.2f}s {again.counts}; raw executemany…")
    raw_s = await asyncio.to_thread(sqlite_raw, path, *raw)
    log(f"sqlite: raw {raw_s:.2f}s")
    return Round(upsert.seconds, upsert.counts, again.seconds, again.counts, raw_s)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    count = args.records or (20_000 if args.quick else 100_000)
    log(f"building {count} invoices with {LINES_PER_INVOICE} lines each…")
    invoices = make_invoices(count)
    raw = raw_rows(invoices)
    rows = count * (1 + LINES_PER_INVOICE)
    rounds = args.rounds or (2 if args.quick else 3)
    results: dict[str, Any] = {"records": count, "rows": rows, "rounds": rounds}
    postgres = [await bench_postgres(args.postgres_url, invoices, raw) for _ in range(rounds)]
    results["postgres"] = figures(rows, postgres)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(args.sqlite_path) if args.sqlite_path else Path(scratch) / "bench.db"
        sqlite = [await bench_sqlite(path, invoices, raw) for _ in range(rounds)]
        results["sqlite"] = figures(rows, sqlite)
    results["ratio"] = min(results["postgres"]["ratio"], results["sqlite"]["ratio"])
    return results


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="20,000 invoices (under 60 s)")
    parser.add_argument("--records", type=int, help="number of invoices (default 100,000)")
    parser.add_argument("--rounds", type=int, help="rounds per backend, fastest kept (default 3)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("REVCYCLE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="a server where a scratch database may be created and dropped",
    )
    parser.add_argument("--sqlite-path", help="file for the SQLite run (default: a temp dir)")
    return parser.parse_args()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse_args()))))
