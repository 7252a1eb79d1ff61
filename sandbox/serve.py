"""Running the emulators: one app per uvicorn server, each in a background thread.

`AppServer` serves one ASGI app on a loopback socket (port 0 picks a free one). `Sandbox` serves
Stripe, Salesforce and QuickBooks on `port`, `port + 1` and `port + 2`, waits until all three
answer, and describes them as the hub's settings (`.env()`, `write_env`). `run_forever` is the
CLI's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Self

import httpx
import uvicorn
from starlette.types import ASGIApp

if TYPE_CHECKING:
    from sandbox.emulators.quickbooks import QuickBooksConfig
    from sandbox.emulators.salesforce import SalesforceConfig
    from sandbox.emulators.stripe import StripeConfig

VENDORS = ("stripe", "salesforce", "quickbooks")
_READY_PATH = "/_sandbox/faults"  # every emulator answers it without vendor auth


class SandboxError(RuntimeError):
    """An emulator did not start or did not answer in time."""


class AppServer:
    """One ASGI app served by uvicorn in a daemon thread."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
        except OSError as exc:
            self._socket.close()
            raise SandboxError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", ws="none"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"uvicorn:{self.port}", daemon=True)
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # reported by start(); a thread has nowhere else to raise
            self._error = exc

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise SandboxError(f"server on {self.url} failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                raise SandboxError(f"server on {self.url} did not start in {timeout_s} s")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@dataclass(frozen=True)
class SandboxConfigs:
    """Each emulator's settings; the defaults are the fixed sandbox credentials."""

    stripe: StripeConfig = field(default_factory=lambda: _emulators().stripe.StripeConfig())
    salesforce: SalesforceConfig = field(
        default_factory=lambda: _emulators().salesforce.SalesforceConfig()
    )
    quickbooks: QuickBooksConfig = field(
        default_factory=lambda: _emulators().quickbooks.QuickBooksConfig()
    )


def _emulators() -> ModuleType:
    # Imported when a sandbox is built, so `AppServer` alone does not need every emulator.
    import sandbox.emulators.quickbooks
    import sandbox.emulators.salesforce
    import sandbox.emulators.stripe

    return sandbox.emulators


class Sandbox:
    """The three emulators over one dataset; a context manager, sync or async."""

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        configs: SandboxConfigs | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = port
        self.configs = configs or SandboxConfigs()
        self.servers: dict[str, AppServer] = {}

    @property
    def urls(self) -> dict[str, str]:
        return {vendor: server.url for vendor, server in self.servers.items()}

    def start(self, timeout_s: float = 15.0) -> None:
        apps: dict[str, ASGIApp] = {
            "stripe": _emulators().stripe.build_app(self.data_dir, self.configs.stripe),
            "salesforce": _emulators().salesforce.build_app(self.data_dir, self.configs.salesforce),
            "quickbooks": _emulators().quickbooks.build_app(self.data_dir, self.configs.quickbooks),
        }
        try:
            for offset, vendor in enumerate(VENDORS):
                port = self.port + offset if self.port else 0
                self.servers[vendor] = AppServer(apps[vendor], self.host, port)
                self.servers[vendor].start(timeout_s)
            wait_until_answering(list(self.urls.values()), timeout_s)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()

    def env(self) -> dict[str, str]:
        """The hub's settings that point its connectors at these emulators."""
        if not self.servers:
            raise SandboxError("the sandbox is not running")
        return sandbox_env(self.urls, self.configs)

    def write_env(self, path: Path) -> None:
        write_env_file(path, self.env())

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)


def sandbox_env(urls: dict[str, str], configs: SandboxConfigs) -> dict[str, str]:
    sf, qbo = configs.salesforce, configs.quickbooks
    return {
        "STRIPE_API_KEY": configs.stripe.api_key,
        "STRIPE_API_BASE": urls["stripe"],
        "STRIPE_WEBHOOK_SECRET": configs.stripe.webhook_secret,
        "SALESFORCE_INSTANCE_URL": urls["salesforce"],
        "SALESFORCE_ACCESS_TOKEN": sf.access_token,
        "SALESFORCE_CLIENT_ID": sf.client_id,
        "SALESFORCE_CLIENT_SECRET": sf.client_secret,
        "SALESFORCE_REFRESH_TOKEN": sf.refresh_token,
        "SALESFORCE_ORG_ID": sf.organization_id,
        "SALESFORCE_WEBHOOK_TOKEN": sf.webhook_token,
        "QUICKBOOKS_CLIENT_ID": qbo.client_id,
        "QUICKBOOKS_CLIENT_SECRET": qbo.client_secret,
        "QUICKBOOKS_REFRESH_TOKEN": qbo.refresh_token,
        "QUICKBOOKS_REALM_ID": qbo.realm_id,
        "QUICKBOOKS_ENVIRONMENT": "sandbox",
        # The origin: the API is under `/v3`, the OAuth discovery documents under `/.well-known`.
        "QUICKBOOKS_API_BASE": urls["quickbooks"],
        "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN": qbo.webhook_verifier_token,
    }


def write_env_file(path: Path, env: dict[str, str]) -> None:
    """`NAME=value` lines, written to a temporary file and renamed, so a reader never sees half."""
    text = "".join(f"{name}={value}\n" for name, value in env.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def wait_until_answering(urls: list[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=2.0) as client:
        for url in urls:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(url + _READY_PATH).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise SandboxError(f"{url} did not answer within {timeout_s} s")
                time.sleep(0.05)


def run_forever(
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 12111,
    env_out: Path | None = None,
    on_ready: Callable[[Sandbox], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serve until `stop` is set or the process is interrupted (Ctrl-C, SIGTERM)."""
    stop = stop or threading.Event()
    with _stop_on_sigterm(stop), Sandbox(data_dir, host, port) as sandbox:
        if env_out is not None:
            sandbox.write_env(env_out)
        if on_ready is not None:
            on_ready(sandbox)
        with contextlib.suppress(KeyboardInterrupt):
            while not stop.wait(0.5):
                pass


@contextlib.contextmanager
def _stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
