"""A gateway app per test, wired to the real store (SQLite and PostgreSQL) and a recording queue.

`gateway` builds the app with `create_app`, runs its lifespan, and hands back an httpx client on
ASGITransport plus what the test needs to look behind it (store, queue, app).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from starlette.applications import Starlette

from canonical.store import Store
from canonical.store import inbox as repo
from canonical.store.engine import connect
from gateway.app import create_app
from gateway.config import GatewayConfig, StandardSource
from gateway.ops.findings import ReportLoader
from jobs.events import PROCESS_EVENT, PROCESS_EVENTS, fan_out
from jobs.queue import InProcessQueue, JobQueue

REDIS_URL = os.environ.get("REVCYCLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
STRIPE_SECRET = "whsec_test_gateway_secret"
QBO_TOKEN = "qbo-verifier-token-1234"
SF_TOKEN = "sf-shared-secret-5678"
SF_ORG = "00D000000000001AAA"
OPS_TOKEN = "ops-token-abcdef123456"
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def default_config(**overrides: Any) -> GatewayConfig:
    values: dict[str, Any] = {
        "stripe_secret": STRIPE_SECRET,
        "quickbooks_verifier_token": QBO_TOKEN,
        "salesforce_token": SF_TOKEN,
        "salesforce_org_id": SF_ORG,
        "generic_sources": {"acme": StandardSource(STANDARD_SECRET)},
        "ops_token": OPS_TOKEN,
        "max_body_bytes": 64 * 1024,
    }
    values.update(overrides)
    return GatewayConfig(**values)


def stripe_event(event_id: str = "evt_1", event_type: str = "invoice.paid") -> bytes:
    return orjson.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": 1_700_000_000,
            "data": {"object": {"id": "in_1", "object": "invoice"}},
        }
    )


def stripe_signature(body: bytes, *, secret: str = STRIPE_SECRET, at: int | None = None) -> str:
    timestamp = int(time.time()) if at is None else at
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


async def eventually(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait for `condition`: jobs are queued just after the answer, not before it."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - polls state other tasks change
            await asyncio.sleep(0.01)


class RecordingQueue(InProcessQueue):
    """The in-process queue over a `process_event` that only records the ids it was given, and
    the real fan-out of the gateway's batch job into it."""

    def __init__(self) -> None:
        self.processed: list[int] = []

        async def process_event(ctx: dict[str, Any], event_id: int) -> None:
            self.processed.append(event_id)

        async def process_events(ctx: dict[str, Any], event_ids: Sequence[int]) -> int:
            return await fan_out(self, event_ids)

        super().__init__({PROCESS_EVENT: process_event, PROCESS_EVENTS: process_events})


@dataclass
class Gateway:
    client: httpx.AsyncClient
    store: Store
    queue: JobQueue
    app: Starlette
    extra: dict[str, Any] = field(default_factory=dict)

    async def events(self) -> list[repo.InboxEvent]:
        async with connect(self.store.engine) as conn:
            return list(reversed(await repo.list_events(conn, limit=1000)))


GatewayFactory = Callable[..., Awaitable[Gateway]]


@asynccontextmanager
async def running_gateway(
    config: GatewayConfig, *, store: Store, queue: JobQueue
) -> AsyncIterator[Gateway]:
    """An app with its lifespan entered, and a client on it; for stores the fixture does not own."""
    app = create_app(config, store=store, queue=queue)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as client,
    ):
        yield Gateway(client, store, queue, app)


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """`app` under a real uvicorn on a loopback port, on this event loop; yields its base URL.

    Clients that block (schemathesis, raw sockets) must run in a thread meanwhile.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="on", log_level="warning", ws="none", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def make_gateway(store: Store) -> AsyncIterator[GatewayFactory]:
    """Build and start an app; every one started is stopped at the end of the test."""
    stack: list[Any] = []

    async def build(
        config: GatewayConfig | None = None,
        *,
        queue: JobQueue | None = None,
        app_store: Store | None = None,
        clock: Callable[[], datetime] | None = None,
        report_loader: ReportLoader | None = None,
    ) -> Gateway:
        chosen_queue = queue if queue is not None else RecordingQueue()
        chosen_store = app_store if app_store is not None else Store(store.engine)
        app = create_app(
            config or default_config(),
            store=chosen_store,
            queue=chosen_queue,
            clock=clock or (lambda: datetime.now(UTC)),
            report_loader=report_loader,
        )
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        stack.append(lifespan)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        )
        stack.append(client)
        return Gateway(client, store, chosen_queue, app)

    yield build
    for item in reversed(stack):
        if isinstance(item, httpx.AsyncClient):
            await item.aclose()
        else:
            await item.__aexit__(None, None, None)


@pytest.fixture
async def gateway(make_gateway: GatewayFactory) -> Gateway:
    return await make_gateway()
