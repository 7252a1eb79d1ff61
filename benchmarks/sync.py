"""What a full Stripe sync costs over merely reading the pages: invoices and their charges.

    .venv/bin/python benchmarks/sync.py            # 100,000 invoices + 100,000 charges
    .venv/bin/python benchmarks/sync.py --quick    # 20,000 + 20,000, under a minute

The Stripe emulator serves a synthesized dataset from its own process (the other core). In the
same run, each in its own process:
- the baseline (the issue's definition: "fetches and parses the same pages with the same SDK and
  does nothing else") pages through invoices and charges as a user of stripe-python writes it:
  `StripeClient(...).v1.invoices.list(params)` / `.v1.charges.list(...)` with `starting_after`,
  over the same httpx client kind and page size, which builds the SDK's `StripeObject`s;
- the raw read, a stricter baseline: every page through the connector's own read path
  (`StripeConnector` streams: the SDK's requestor `request_raw` and orjson, no `StripeObject`s);
- the sync reads the same pages as the raw read and maps, upserts and checkpoints them into a
  fresh PostgreSQL database (`jobs.sync.sync_source`), at N and at N/10 records, so that peak RSS
  is measured per size.

Progress goes to stderr; the last stdout line is one JSON object: `ratio` (sync records/s ÷ SDK
baseline records/s), `ratio_vs_raw_read` (sync records/s ÷ raw read records/s), `rss_ratio` (peak
RSS at N ÷ peak RSS at N/10) and the figures behind them. Peak RSS is the process's own high-water
mark (`VmHWM`): `ru_maxrss` would also count the parent it was spawned from.
Goals: ratio >= 0.7, rss_ratio <= 1.3.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path; keep it from shadowing packages.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
import orjson  # noqa: E402

DEFAULT_POSTGRES = os.environ.get(
    "REVCYCLE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
OBJECTS = ("invoices", "charges")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def synthesize(data_dir: Path, invoices: int) -> None:
    """N paid invoices, each with one succeeded charge, spread over the last 20 days."""
    from sandbox.emulators.stripe import objects, payments

    customers = [
        objects.customer(email=f"c{i}@example.com", name=f"Customer {i}")
        for i in range(max(invoices // 10, 1))
    ]
    start = int(time.time()) - 20 * 86_400
    step = max(20 * 86_400 // invoices, 1)
    currencies = ("usd", "eur", "gbp", "jpy")
    bills, charges = [], []
    for i in range(invoices):
        customer = customers[i % len(customers)]["id"]
        amount, currency = 1_000 + (i * 37) % 250_000, currencies[i % len(currencies)]
        bill = objects.invoice(
            customer_id=customer,
            amount=amount,
            currency=currency,
            status="paid",
            number=f"BENCH-{i:07d}",
            created=start + i * step,
        )
        charge = payments.charge(
            customer_id=customer, amount=amount, currency=currency, payment_intent_id=None
        )
        charge["created"] = start + i * step
        bills.append(bill)
        charges.append(charge)
    folder = data_dir / "stripe"
    folder.mkdir(parents=True)
    (folder / "customers.json").write_bytes(orjson.dumps(customers))
    (folder / "invoices.json").write_bytes(orjson.dumps(bills))
    (folder / "charges.json").write_bytes(orjson.dumps(charges))


def serve(data_dir: Path, env_file: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-c",
        "from hub.cli import main; main()",
        "sandbox",
        "serve",
        "--data",
        str(data_dir),
        "--port",
        "0",
        "--env-out",
        str(env_file),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not env_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the sandbox did not start")
        time.sleep(0.2)
    return process


def read_env(env_file: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    return {key: value for key, value in pairs}


# --- the measured work, one process each ----------------------------------------------------------


def _connector(env: dict[str, str]) -> Any:
    from connectors.stripe import StripeConfig, StripeConnector

    config = StripeConfig(
        api_key=env["STRIPE_API_KEY"], api_base=env["STRIPE_API_BASE"], rate_limit=None
    )
    return StripeConnector(config)


def child_baseline(env: dict[str, str]) -> dict[str, Any]:
    """Every page through the SDK's public list API, as `StripeObject`s, and nothing else."""
    import stripe

    config = _connector(env).config  # the connector's page size and timeout, nothing of its code
    base = config.api_base.rstrip("/")
    client = stripe.StripeClient(
        config.api_key,
        base_addresses={"api": base, "files": base, "connect": base},
        http_client=stripe.HTTPXClient(timeout=config.timeout_s, allow_sync_methods=True),
        max_network_retries=0,
    )
    services: dict[str, Any] = {"invoices": client.v1.invoices, "charges": client.v1.charges}
    records = 0
    started = time.perf_counter()
    for name in OBJECTS:
        params: dict[str, Any] = {"limit": config.page_size}
        while True:
            page = services[name].list(params)
            records += len(page.data)
            if not page.has_more or not page.data:
                break
            params = {"limit": config.page_size, "starting_after": page.data[-1].id}
    return {"records": records, "seconds": time.perf_counter() - started}


def child_raw_read(env: dict[str, str]) -> dict[str, Any]:
    """Every page through the connector's read path (what the sync reads), and nothing else."""
    connector = _connector(env)
    records = 0
    started = time.perf_counter()
    for stream in connector.streams(list(OBJECTS)):
        for page in stream.read(None):
            records += len(page.items)
    return {"records": records, "seconds": time.perf_counter() - started}


async def _sync(env: dict[str, str], database_url: str) -> dict[str, Any]:
    from canonical.store import Store, upgrade_async
    from jobs.sync import sync_source

    await upgrade_async(database_url)
    store = Store.from_url(database_url)
    connector = _connector(env)
    started = time.perf_counter()
    report = await sync_source(connector, store, objects=list(OBJECTS))
    seconds = time.perf_counter() - started
    await store.close()
    if report.errors:
        raise SystemExit(f"sync failed: {report.errors}")
    records = sum(counts.read for counts in report.objects.values())
    created = sum(counts.created for counts in report.objects.values())
    return {"records": records, "created": created, "seconds": seconds}


def child_sync(env: dict[str, str], database_url: str) -> dict[str, Any]:
    return asyncio.run(_sync(env, database_url))


CHILDREN = {"baseline": child_baseline, "raw_read": child_raw_read}


def peak_rss_mb() -> float:
    """This process's peak resident set since it started (Linux `VmHWM`).

    `ru_maxrss` is no good here: Linux carries it across `exec`, so a child would report at least
    the parent's size when it was spawned (the synthesized dataset), whatever it used itself.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM in /proc/self/status: peak RSS is measured on Linux only")


def run_child(kind: str, env_file: Path, database_url: str = "") -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, "--env", str(env_file)]
    command += ["--database-url", database_url]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- PostgreSQL databases for each sync run ------------------------------------------------------


async def _admin(statement: str) -> None:
    conn = await asyncpg.connect(DEFAULT_POSTGRES)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def fresh_database() -> tuple[str, str]:
    name = f"revcycle_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    base, _, _ = DEFAULT_POSTGRES.rpartition("/")
    return name, f"{base}/{name}"


def drop_database(name: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def measure_sync(env_file: Path) -> dict[str, Any]:
    """A full sync of the sandbox behind `env_file` into a new database."""
    name, url = fresh_database()
    try:
        return run_child("sync", env_file, url)
    finally:
        drop_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 invoices instead of 100,000")
    parser.add_argument("--invoices", type=int, help="how many invoices (overrides --quick)")
    parser.add_argument("--child", choices=(*CHILDREN, "sync"), help=argparse.SUPPRESS)
    parser.add_argument("--env", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        env = read_env(args.env)
        if args.child == "sync":
            work = child_sync(env, args.database_url)
        else:
            work = CHILDREN[args.child](env)
        work["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(work))
        return

    invoices = args.invoices or (20_000 if args.quick else 100_000)
    small = max(invoices // 10, 100)
    with tempfile.TemporaryDirectory(prefix="revcycle-sync-bench-") as tmp:
        root = Path(tmp)
        servers = []
        try:
            for size in (invoices, small):
                log(f"synthesizing {size:,} invoices and charges")
                synthesize(root / f"data-{size}", size)
                env_file = root / f"env-{size}"
                servers.append(serve(root / f"data-{size}", env_file))
            main_env = root / f"env-{invoices}"
            log("baseline: every page through the SDK's list API, doing nothing else")
            baseline = run_child("baseline", main_env)
            log(f"  {baseline['records']:,} records in {baseline['seconds']:.1f} s")
            log("raw read: every page through the connector's read path, doing nothing else")
            raw = run_child("raw_read", main_env)
            log(f"  {raw['records']:,} records in {raw['seconds']:.1f} s")
            log(f"sync of {invoices:,} invoices + charges into PostgreSQL")
            big = measure_sync(main_env)
            log(f"  {big['records']:,} records in {big['seconds']:.1f} s")
            log(f"sync of {small:,} invoices + charges, for the memory comparison")
            little = measure_sync(root / f"env-{small}")
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
    expected = 2 * invoices
    if not baseline["records"] == raw["records"] == big["records"] == big["created"] == expected:
        raise SystemExit(f"records differ: expected {expected}, got {baseline}, {raw}, {big}")
    baseline_rps = baseline["records"] / baseline["seconds"]
    raw_rps = raw["records"] / raw["seconds"]
    sync_rps = big["records"] / big["seconds"]
    figures = {
        "records": big["records"],
        "sync_records_per_s": round(sync_rps, 1),
        "baseline_records_per_s": round(baseline_rps, 1),
        "raw_read_records_per_s": round(raw_rps, 1),
        "ratio": round(sync_rps / baseline_rps, 3),
        "ratio_vs_raw_read": round(sync_rps / raw_rps, 3),
        "peak_rss_mb": round(big["peak_rss_mb"], 1),
        "peak_rss_mb_small": round(little["peak_rss_mb"], 1),
        "rss_ratio": round(big["peak_rss_mb"] / little["peak_rss_mb"], 3),
        "small_records": little["records"],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
