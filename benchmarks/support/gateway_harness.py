"""The gateway benchmark's harness: the wrk load, the scratch database and Redis queue, and the
probe of the disk's flush latency. `benchmarks/gateway.py` runs the phases; see its docstring.

This folder is put on `sys.path` by the benchmark scripts: nothing in it is named like one of the
project's packages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

SECRET = "whsec_benchmark_gateway_secret_0123456789"
QUEUE_NAME = "revcycle:bench:gateway"
LUA = Path(__file__).resolve().parent.parent / "gateway_load.lua"
BODY_PADDING = 1250  # makes each event body about 1.5 KB


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the load -------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: installing it with apt-get")
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and apt-get could not install it")
    return found


def run_wrk(
    wrk: str, url: str, *, seconds: int, connections: int, run: str, delay_ms: int = 0
) -> dict[str, Any]:
    script = string.Template(LUA.read_text()).substitute(
        secret=SECRET, run=run, padding=BODY_PADDING, delay_ms=delay_ms, event_seconds=seconds
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        # One second past the events' deadline for the last answers to come back.
        command = [wrk, "-t1", f"-c{connections}", f"-d{seconds + 1}s", "--timeout", "10s"]
        done = subprocess.run(
            [*command, "-s", handle.name, url], capture_output=True, text=True, check=True
        )
    finally:
        os.unlink(handle.name)
    match = re.search(r"^WRK (\{.*\})$", done.stdout, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no summary:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(match.group(1))
    result["rate"] = (result["requests"] - result["non2xx"]) / seconds
    return result


def answered(result: dict[str, Any]) -> int:
    return max(1, int(result["requests"]) - int(result["non2xx"]))


def half_rate_delay(
    wrk: str, url: str, target: float, connections: int, run: str
) -> tuple[int, dict[str, Any]]:
    """The per-connection pause (ms) that loads the gateway at about `target` events/s.

    A connection's cycle is its pause plus the answer's latency: one short run at the naive pause
    measures that latency, and the pause is corrected by it.
    """
    naive = 1000 * connections / target
    probe = run_wrk(wrk, url, seconds=2, connections=connections, run=run, delay_ms=round(naive))
    latency_ms = 1000 * connections / probe["rate"] - round(naive)
    return max(1, round(naive - latency_ms)), probe


# --- the database ---------------------------------------------------------------------------------


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(dsn(url), timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def fresh_database(base_url: str) -> str:
    from canonical.store import upgrade_async

    name = f"revcycle_bench_{uuid.uuid4().hex[:10]}"
    await admin(base_url, f'CREATE DATABASE "{name}"')
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    await upgrade_async(url)
    return url


async def checkpoint(url: str) -> None:
    """Have PostgreSQL write its dirty pages and flush them to disk now (see the docstring)."""
    try:
        await admin(url, "CHECKPOINT")
    except asyncpg.InsufficientPrivilegeError:  # not a superuser: the phases share the disk
        log("CHECKPOINT refused: later phases may wait behind the writeback of earlier ones")


async def data_directory(url: str) -> str | None:
    conn = await asyncpg.connect(dsn(url), timeout=5)
    try:
        found: str = await conn.fetchval("SHOW data_directory")
        return found if os.access(found, os.W_OK) else None
    except asyncpg.InsufficientPrivilegeError:
        return None
    finally:
        await conn.close()


class FlushProbe:
    """Times a write and flush of 8 KB every 20 ms in `folder`, in a thread, until stopped."""

    def __init__(self, folder: str | None) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(folder,), daemon=True)
        self.seconds: list[float] = []

    def __enter__(self) -> FlushProbe:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self, folder: str | None) -> None:
        with tempfile.NamedTemporaryFile(dir=folder, prefix="revcycle-flush-probe-") as handle:
            block = b"\0" * 8192
            while not self._stop.wait(0.02):
                started = time.perf_counter()
                os.pwrite(handle.fileno(), block, 0)
                os.fdatasync(handle.fileno())
                self.seconds.append(time.perf_counter() - started)

    def figures(self) -> dict[str, float]:
        if not self.seconds:
            return {}
        ordered = sorted(self.seconds)
        at = min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))
        return {
            "p50": round(1000 * statistics.median(ordered), 2),
            "p99": round(1000 * ordered[at], 2),
            "max": round(1000 * ordered[-1], 2),
        }


async def stored_events(url: str) -> int:
    conn = await asyncpg.connect(dsn(url), timeout=5)
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM inbox_events")
        return count
    finally:
        await conn.close()


async def clear_queue(redis_url: str) -> int:
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    try:
        queued: int = await redis.zcard(QUEUE_NAME)
        # `event:<id>` per event and the gateway's `events:<first>-<last>` per batch.
        keys = [key async for key in redis.scan_iter("arq:job:event*", count=5000)]
        for start in range(0, len(keys), 5000):
            await redis.delete(*keys[start : start + 5000])
        await redis.delete(QUEUE_NAME)
        return queued
    finally:
        await redis.aclose()
