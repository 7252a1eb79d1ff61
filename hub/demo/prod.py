"""The demo on the production parts: PostgreSQL, Redis, `revcycle gateway --workers 2` and two
`revcycle worker` processes. The flow is `run.run_flow`'s; only where webhooks land and jobs run
differs.

Where it points: `REVCYCLE_DATABASE_URL` names the PostgreSQL *server* (a fresh database
`revcycle_demo_<random>` is created on it for the run and dropped afterwards; default the local
test server), `REVCYCLE_REDIS_URL` the Redis (default redis://127.0.0.1:6379/0). The workers serve
arq's default queue there, so use a Redis (or a database number, `/5`) that no other revcycle
worker serves. The emulators stay in this process: they stand for vendors on the internet.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import IO

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy.engine import make_url

from hub.demo import steps
from hub.demo.run import DemoOptions, OnSummary, Runtime, RuntimeFactory, run_flow
from hub.demo.summary import DemoSummary
from hub.settings import Settings
from reconciliation.model import ReconcileResult, RunSummary

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
GATEWAY_WORKERS = 2
JOB_WORKERS = 2
START_TIMEOUT_S = 30.0
BURST_TIMEOUT_S = 120.0


def revcycle_command() -> list[str]:
    """The `revcycle` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("revcycle")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from hub.cli import main; main()"]


def child_env(settings: Settings) -> dict[str, str]:
    """This process's environment without any revcycle setting, plus the demo's settings."""
    ours = set(Settings.model_fields)
    env = {name: value for name, value in os.environ.items() if name not in ours}
    env.update(steps.settings_env(settings))
    env["REVCYCLE_LOG_FORMAT"] = "json"
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ProdRuntime:
    def __init__(self, url: str, env: dict[str, str], logs: Path) -> None:
        self.url = url
        self._env = env
        self._logs = logs

    def spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log: IO[bytes] = (self._logs / f"{name}.log").open("ab")
        with log:
            return subprocess.Popen(
                [*revcycle_command(), *args], env=self._env, stdout=log, stderr=log
            )

    async def drain(self) -> None:
        """Two burst workers: each relays what is pending, serves the queue until it is empty
        (the jobs' own follow-ups included), and exits."""
        workers = [self.spawn(f"worker-{i}", "worker", "--burst") for i in range(JOB_WORKERS)]
        try:
            codes = [await asyncio.to_thread(w.wait, BURST_TIMEOUT_S) for w in workers]
        finally:
            _stop(workers)
        if any(codes):
            raise RuntimeError(f"a worker failed (exit codes {codes}); see {self._logs}")

    def gateway_duplicates(self) -> int | None:
        return None  # counted per process; the store-side figures are in the summary

    def show_report(self, result: ReconcileResult, history: Sequence[RunSummary]) -> None:
        """Nothing to hand over: the gateway serves `/ops/report` from the latest run."""

    async def serve_forever(self) -> None:
        workers = [self.spawn(f"worker-{i}", "worker") for i in range(JOB_WORKERS)]
        try:
            await asyncio.to_thread(workers[0].wait)  # Ctrl-C reaches them all
        finally:
            _stop(workers)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prod_runtime_for(logs: Path) -> RuntimeFactory:
    @asynccontextmanager
    async def prod_runtime(settings: Settings) -> AsyncIterator[Runtime]:
        port = free_port()
        runtime = ProdRuntime(f"http://127.0.0.1:{port}", child_env(settings), logs)
        args = ("gateway", "--port", str(port), "--workers", str(GATEWAY_WORKERS))
        gateway = runtime.spawn("gateway", *args)
        try:
            await _wait_healthy(runtime.url, gateway, logs)
            yield runtime
        finally:
            _stop([gateway])

    return prod_runtime


async def _wait_healthy(url: str, process: subprocess.Popen[bytes], logs: Path) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT_S
    async with httpx.AsyncClient(timeout=2.0) as client:
        while loop.time() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the gateway exited at start-up; see {logs / 'gateway.log'}")
            try:
                if (await client.get(url + "/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the gateway did not answer on {url} in {START_TIMEOUT_S} s")


# --- a fresh database per run ------------------------------------------------------------------


def _admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(_admin_dsn(url), timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """A new database on the server `server_url` names, dropped on exit."""
    name = f"revcycle_demo_{uuid.uuid4().hex[:12]}"
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _logs_dir(out: Path) -> Iterator[Path]:
    logs = out / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    yield logs


async def run_demo_prod(
    options: DemoOptions,
    on_summary: OnSummary,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
) -> DemoSummary:
    server = database_url or os.environ.get("REVCYCLE_DATABASE_URL") or DEFAULT_DATABASE_URL
    if not server.startswith("postgres"):
        raise ValueError(f"the production demo needs PostgreSQL; REVCYCLE_DATABASE_URL={server}")
    redis = redis_url or os.environ.get("REVCYCLE_REDIS_URL") or DEFAULT_REDIS_URL
    options.out.mkdir(parents=True, exist_ok=True)
    with _logs_dir(options.out) as logs:
        async with fresh_database(server) as url:
            return await run_flow(
                options,
                mode="production parts",
                database_url=url,
                redis_url=redis,
                runtime=prod_runtime_for(logs),
                on_summary=on_summary,
            )
