"""How fast the Stripe emulator serves a sync: list N invoices through the real SDK, 100 a page.

    .venv/bin/python benchmarks/sandbox.py            # 100,000 invoices
    .venv/bin/python benchmarks/sandbox.py --quick    # 20,000 invoices, well under a minute

Progress goes to stderr; the last stdout line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and this module, also named
# `sandbox`, would shadow the sandbox package it measures.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import httpx  # noqa: E402
import orjson  # noqa: E402
import stripe  # noqa: E402

from sandbox.emulators.stripe import StripeConfig, build_app, objects  # noqa: E402
from sandbox.serve import AppServer  # noqa: E402

PAGE = 100
CURRENCIES = ("usd", "eur", "gbp", "jpy")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def synthesize(data_dir: Path, invoices: int, customers: int) -> None:
    """Invoices spread over a year, a few per second, as a generated dataset would have them."""
    started = time.monotonic()
    people = [
        objects.customer(email=f"c{i}@example.com", name=f"Customer {i}") for i in range(customers)
    ]
    first = int(time.time()) - 365 * 86400
    step = max(365 * 86400 // invoices, 1)
    items = [
        objects.invoice(
            customer_id=people[i % customers]["id"],
            amount=1_000 + (i * 37) % 250_000,
            currency=CURRENCIES[i % len(CURRENCIES)],
            status="paid" if i % 4 else "open",
            number=f"SBX-{i:07d}",
            created=first + i * step,
        )
        for i in range(invoices)
    ]
    (data_dir / "stripe").mkdir(parents=True)
    (data_dir / "stripe" / "customers.json").write_bytes(orjson.dumps(people))
    (data_dir / "stripe" / "invoices.json").write_bytes(orjson.dumps(items))
    log(f"synthesized {invoices:,} invoices in {time.monotonic() - started:.1f} s")


def list_all(url: str, config: StripeConfig, expected: int) -> tuple[int, int, float]:
    transport = stripe.HTTPXClient(allow_sync_methods=True)
    client = stripe.StripeClient(config.api_key, base_addresses={"api": url}, http_client=transport)
    records = pages = 0
    started = time.monotonic()
    page = client.v1.invoices.list({"limit": PAGE})
    while True:
        pages += 1
        records += len(page.data)
        if pages % 100 == 0:
            rate = records / (time.monotonic() - started)
            log(f"  {records:,}/{expected:,} invoices, {rate:,.0f}/s")
        if not page.has_more:
            break
        page = client.v1.invoices.list({"limit": PAGE, "starting_after": page.data[-1].id})
    seconds = time.monotonic() - started
    transport.close()  # type: ignore[no-untyped-call]
    return records, pages, seconds


def list_raw(url: str, config: StripeConfig) -> tuple[int, float]:
    """The same walk over plain HTTP, parsing with orjson: the emulator's own ceiling, without
    the SDK's per-field object construction (which dominates the SDK figure)."""
    headers = {"Authorization": f"Bearer {config.api_key}"}
    records = 0
    after: str | None = None
    started = time.monotonic()
    with httpx.Client(base_url=url, headers=headers) as client:
        while True:
            params: dict[str, str | int] = {"limit": PAGE}
            if after is not None:
                params["starting_after"] = after
            page = orjson.loads(client.get("/v1/invoices", params=params).content)
            records += len(page["data"])
            if not page["has_more"]:
                break
            after = page["data"][-1]["id"]
    return records, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="20,000 invoices instead of 100,000")
    parser.add_argument("--invoices", type=int, help="how many invoices (overrides --quick)")
    args = parser.parse_args()
    invoices = args.invoices or (20_000 if args.quick else 100_000)
    config = StripeConfig()
    with tempfile.TemporaryDirectory(prefix="revcycle-bench-") as tmp:
        synthesize(Path(tmp), invoices, customers=max(invoices // 10, 1))
        loaded = time.monotonic()
        app = build_app(Path(tmp), config)
        log(f"emulator loaded the dataset in {time.monotonic() - loaded:.1f} s")
        with AppServer(app) as server:
            log("listing through the stripe SDK")
            records, pages, seconds = list_all(server.url, config, invoices)
            log("listing over plain HTTP")
            raw_records, raw_seconds = list_raw(server.url, config)
    if records != invoices:
        raise SystemExit(f"listed {records} invoices, expected {invoices}")
    figures = {
        "records": records,
        "pages": pages,
        "seconds": round(seconds, 3),
        "records_per_s": round(records / seconds, 1),
        "pages_per_s": round(pages / seconds, 1),
        "emulator_records_per_s": round(raw_records / raw_seconds, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
