"""The demo's own servers: uvicorn on this event loop, and a receiver for notifications.

The embedded gateway runs on the demo's event loop (not in a thread) so that its in-process job
queue, its store pool and the demo's `drain()` all share one loop, as in `revcycle gateway`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from types import TracebackType
from typing import Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from sandbox.serve import AppServer


class LoopServer:
    """uvicorn serving `app` (lifespan on) as a task on the running loop, on a loopback port."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = host, int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="on", ws="none"
        )
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self, timeout_s: float = 15.0) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not self._server.started:
            if self._task.done() or loop.time() > deadline:
                await self.stop()
                raise RuntimeError(f"the gateway on {self.url} did not start")
            await asyncio.sleep(0.01)

    async def wait(self) -> None:
        """Until the server stops (Ctrl-C: uvicorn handles the signal)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
        self._socket.close()


class NotificationReceiver:
    """A loopback endpoint standing for the team's chat/webhook: counts what it is sent."""

    PATH = "/notify"

    def __init__(self) -> None:
        self.received = 0
        self._lock = threading.Lock()
        app = Starlette(routes=[Route(self.PATH, self._receive, methods=["POST"])])
        self._server = AppServer(app)

    async def _receive(self, request: Request) -> Response:
        await request.body()
        with self._lock:
            self.received += 1
        return Response(status_code=204)

    @property
    def url(self) -> str:
        return self._server.url + self.PATH

    def __enter__(self) -> Self:
        self._server.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.stop()
