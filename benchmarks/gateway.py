"""Benchmark: the webhook route against a bare Starlette endpoint, same uvicorn, same load.

    python benchmarks/gateway.py [--quick] [--seconds S] [--connections C[,C…]]
                                 [--postgres-url URL] [--redis-url URL]

Two uvicorn processes with the same settings (one worker, uvloop, httptools, no access log):
- bare: Starlette, `POST /webhooks/stripe` answering 200 without reading anything;
- gateway: `gateway.app.create_app` on a fresh PostgreSQL database and Redis (a Redis database of
  its own), so each request is verified and committed (group commit) before its 200, and its
  batch's job queued right after (`queued` counts those jobs in Redis at the end: one per batch,
  which a worker would fan out into one job per event).

One load generator, wrk, drives both with the same Lua script (benchmarks/gateway_load.lua): every
request is a distinct Stripe event of about 1.5 KB, signed on the fly. Phases:
- calibration: each target for 2 s at every connection count of `--connections` (32 and 64),
  twice over in turn (once with `--quick`); each keeps the count at which it answered most on
  average. A maximum rate is the rate with enough requests
  in flight: the bare route is CPU-bound at 32, while the gateway's answers wait on commits, so
  it needs more requests in flight to keep its core busy (Little's law).
- rounds: max rate on bare, then on the gateway, alternately, each at its own count;
- the gateway at half its max rate, for the latency percentiles.
Before each gateway phase PostgreSQL runs a CHECKPOINT, so the data the previous phases wrote is
on disk: otherwise the kernel writes it back 30 s later (`vm.dirty_expire_centisecs`), in the
middle of a later phase, and the commits of that phase wait behind it (WAL flushes of 100-700 ms
were seen then, against 0.1 ms otherwise).
Afterwards every event wrk sent must be in the inbox (`sent` == `stored`).

Every answer waits for a WAL flush, so the latency percentiles can be no better than the disk's
flushes: during the half-rate phase a thread writes and flushes 8 KB every 20 ms on the disk that
holds PostgreSQL's data (or the temp directory's, if the server will not say where that is) and
`disk_flush_ms` reports those flushes' p50, p99 and max. On a virtual disk that throttles, flushes
of 100-450 ms were seen while the gateway wrote (and a p99 of 300-700 ms with them), against
p99 flushes of a few ms otherwise.

Progress goes to stderr; the last stdout line is JSON: `ratio` (gateway events/s over bare
requests/s), `p50_ms`/`p99_ms` (at half the gateway's max rate), `sent`, `stored`, and the rest.
Among the rest, `busy` gives the share of each max-rate phase that each server process spent on
the CPU: near 1.0 its own CPU bounds the rate, and then `cpu_ratio` (CPU per answer, bare over
gateway) is what `ratio` follows.
`--serve bare|gateway` is the server side, started by the benchmark itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import psutil
from sqlalchemy.engine import make_url

# Run as a script, this file's folder comes first on sys.path, and this file's name would shadow
# the `gateway` package; its helpers come from `support/`, where nothing shadows a package.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.append(str(HERE / "support"))

from gateway_harness import (  # noqa: E402 - needs the path set above
    BODY_PADDING,
    QUEUE_NAME,
    SECRET,
    FlushProbe,
    admin,
    answered,
    checkpoint,
    clear_queue,
    data_directory,
    ensure_wrk,
    fresh_database,
    half_rate_delay,
    log,
    run_wrk,
    stored_events,
)

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"  # a database of its own: arq job keys are global


# --- the servers ----------------------------------------------------------------------------------


def bare_app() -> Any:
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def ok(request: Any) -> Response:
        return Response(b'{"received":1,"duplicates":0}', media_type="application/json")

    return Starlette(routes=[Route("/webhooks/stripe", ok, methods=["POST"])])


def gateway_app(database_url: str, redis_url: str) -> Any:
    from arq.connections import ArqRedis

    from canonical.store import Store
    from gateway.app import create_app
    from gateway.config import GatewayConfig
    from hub.collector import serving_collector
    from hub.logging import configure_logging
    from jobs.queue import ArqQueue

    configure_logging("json", "warning")  # no per-request logging, as in production at info
    return create_app(
        GatewayConfig(stripe_secret=SECRET),
        store=Store.from_url(database_url),
        queue=ArqQueue(ArqRedis.from_url(redis_url), QUEUE_NAME),
        resources=[serving_collector],  # as `revcycle gateway` runs it (hub.gateway_app)
    )


def serve(kind: str, port: int, database_url: str, redis_url: str) -> None:
    import uvicorn

    app = bare_app() if kind == "bare" else gateway_app(database_url, redis_url)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        ws="none",
        access_log=False,
        log_level="warning",
        lifespan="on",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    def __init__(self, kind: str, database_url: str, redis_url: str) -> None:
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/webhooks/stripe"
        command = [sys.executable, __file__, "--serve", kind, "--port", str(self.port)]
        command += ["--postgres-url", database_url, "--redis-url", redis_url]
        self.process = subprocess.Popen(command)

    def wait_ready(self) -> None:
        for _ in range(200):
            try:
                httpx.post(self.url, content=b"{}", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"the {self.kind} server did not start")

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.process.pid).cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


# --- the run --------------------------------------------------------------------------------------


def calibrate(
    wrk: str, server: Server, levels: list[int], run: str, before: Any, passes: int
) -> tuple[int, dict[int, float], list[dict[str, Any]]]:
    """The connection count of `levels` at which `server` answers most: each level runs 2 s per
    pass, the passes going over the levels in turn, and its rate is its mean. Returns the count,
    each level's rate, and wrk's results. Also the warm-up of both processes.

    One 2 s sample per level cannot tell levels apart whose rates differ by less than this
    machine's noise, which is how a run could settle on a count that answered a fifth less over
    its rounds."""
    samples: dict[int, list[float]] = {level: [] for level in levels}
    results = []
    for n in range(passes):
        for level in levels:
            before()
            result = run_wrk(wrk, server.url, seconds=2, connections=level, run=f"{run}{n}c{level}")
            samples[level].append(result["rate"])
            results.append(result)
    rates = {level: statistics.fmean(found) for level, found in samples.items()}
    return max(rates, key=lambda level: rates[level]), rates, results


class MaxRate:
    """One target's rounds at its maximum rate: answers per second, and its server process's CPU
    per answer and share of the phase it was busy (near 1.0: bound by its own CPU; lower: its
    answers waited on something else)."""

    def __init__(self, server: Server, connections: int) -> None:
        self.server = server
        self.connections = connections
        self.rates: list[float] = []
        self.cpu: list[float] = []  # CPU seconds per answer
        self.busy: list[float] = []
        self.runs: list[dict[str, Any]] = []

    def run(self, wrk: str, seconds: int, run: str) -> None:
        before = self.server.cpu_seconds()
        result = run_wrk(
            wrk, self.server.url, seconds=seconds, connections=self.connections, run=run
        )
        spent = self.server.cpu_seconds() - before
        self.cpu.append(spent / answered(result))
        self.busy.append(spent / seconds)
        self.rates.append(result["rate"])
        self.runs.append(result)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    wrk = ensure_wrk()
    seconds = 4 if args.quick else args.seconds
    rounds = 2 if args.quick else args.rounds
    levels = sorted(set(args.connections))
    database_url = asyncio.run(fresh_database(args.postgres_url))
    asyncio.run(clear_queue(args.redis_url))
    run = uuid.uuid4().hex[:8]

    def settle() -> None:  # before each gateway phase: see the module docstring
        asyncio.run(checkpoint(database_url))

    bare = Server("bare", database_url, args.redis_url)
    hook = Server("gateway", database_url, args.redis_url)
    try:
        bare.wait_ready()
        hook.wait_ready()
        passes = 1 if args.quick else 2
        bare_c, bare_levels, _ = calibrate(wrk, bare, levels, f"{run}wb", lambda: None, passes)
        hook_c, hook_levels, calibration = calibrate(wrk, hook, levels, f"{run}wh", settle, passes)
        log(f"connections: bare {bare_c} {bare_levels}, gateway {hook_c} {hook_levels}")
        plain, peak = MaxRate(bare, bare_c), MaxRate(hook, hook_c)
        # Alternate the targets so that both see the same background load on a shared machine.
        for n in range(rounds):
            plain.run(wrk, seconds, f"{run}b{n}")
            settle()
            peak.run(wrk, seconds, f"{run}p{n}")
            log(f"round {n + 1}: bare {plain.rates[-1]:.0f}/s, gateway {peak.rates[-1]:.0f}/s")
        half = half_rate(wrk, peak, seconds, f"{run}h", database_url, settle)
        time.sleep(0.5)
    finally:
        bare.stop()
        hook.stop()
    try:
        stored = asyncio.run(stored_events(database_url))  # the readiness probe is refused: 401
    finally:
        queued = asyncio.run(clear_queue(args.redis_url))
        if not args.keep_database:
            name = make_url(database_url).database
            asyncio.run(admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    event_runs = [*calibration, *peak.runs, half.probe, half.run]
    return {
        **figures(plain, peak, half),
        "sent": sum(r["sent"] for r in event_runs),
        "stored": stored,
        "acknowledged": sum(r["requests"] - r["non2xx"] for r in event_runs),
        "queued": queued,
        "non2xx": sum(r["non2xx"] for r in event_runs),
        "socket_errors": sum(r["socket_errors"] for r in event_runs),
        "calibration_rps": {
            "bare": {str(c): round(r) for c, r in bare_levels.items()},
            "gateway": {str(c): round(r) for c, r in hook_levels.items()},
        },
        "seconds_per_phase": seconds,
        "body_bytes_approx": BODY_PADDING + 190,
        "load_generator": "wrk -t1, Lua signing each distinct event (OpenSSL HMAC over FFI)",
    }


class HalfRate(NamedTuple):
    delay_ms: int  # each connection's pause between requests
    probe: dict[str, Any]  # the short run that set the pause
    run: dict[str, Any]  # the measured run
    flushes: FlushProbe  # the disk's flushes during it


def half_rate(
    wrk: str, peak: MaxRate, seconds: int, run: str, database_url: str, settle: Any
) -> HalfRate:
    """The gateway at half its median maximum rate, the disk's flushes probed meanwhile."""
    settle()
    target = statistics.median(peak.rates) / 2
    delay_ms, probe = half_rate_delay(wrk, peak.server.url, target, peak.connections, f"{run}c")
    settle()
    with FlushProbe(asyncio.run(data_directory(database_url))) as flushes:
        half = run_wrk(
            wrk, peak.server.url, seconds=seconds + 1, connections=peak.connections, run=run,
            delay_ms=delay_ms,
        )  # fmt: skip
    log(f"half rate: {half['rate']:.0f}/s, p50 {half['p50_us']} µs, p99 {half['p99_us']} µs")
    log(f"disk flushes meanwhile (ms): {flushes.figures()}")
    return HalfRate(delay_ms, probe, half, flushes)


def figures(plain: MaxRate, peak: MaxRate, half: HalfRate) -> dict[str, Any]:
    """The rates, latencies and CPU figures of the JSON line."""
    ratios = [h / b for h, b in zip(peak.rates, plain.rates, strict=True)]
    median = statistics.median
    return {
        "ratio": round(median(ratios), 3),
        "p50_ms": round(half.run["p50_us"] / 1000, 2),
        "p99_ms": round(half.run["p99_us"] / 1000, 2),
        "round_ratios": [round(r, 3) for r in ratios],
        # The same ratio from CPU time per answer of each server process: what it would be with a
        # core each, whatever else the machine runs meanwhile (PostgreSQL and Redis not counted).
        "cpu_ratio": round(median(plain.cpu) / median(peak.cpu), 3),
        "bare_cpu_us_per_request": round(1e6 * median(plain.cpu), 1),
        "gateway_cpu_us_per_event": round(1e6 * median(peak.cpu), 1),
        # How much of each phase the server process was busy: near 1.0, its own CPU bounds it.
        "busy": {"bare": round(median(plain.busy), 2), "gateway": round(median(peak.busy), 2)},
        "bare_rps": [round(r) for r in plain.rates],
        "gateway_eps": [round(r) for r in peak.rates],
        "half_rate_eps": round(half.run["rate"]),
        "half_rate_delay_ms": half.delay_ms,
        "disk_flush_ms": half.flushes.figures(),
        "gateway_p99_ms_at_max": round(max(r["p99_us"] for r in peak.runs) / 1000, 2),
        "connections": {"bare": plain.connections, "gateway": peak.connections},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 4 s: under 60 s")
    parser.add_argument("--seconds", type=int, default=10, help="per phase")
    parser.add_argument("--rounds", type=int, default=3, help="bare/gateway alternations")
    parser.add_argument(
        "--connections",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[32, 64],
        help="connection counts to calibrate each target at, comma-separated (default 32,64)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("REVCYCLE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--serve", choices=["bare", "gateway"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.postgres_url, args.redis_url)
        return
    started = time.monotonic()
    figures = measure(args)
    figures["wall_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
