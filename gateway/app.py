"""The gateway's Starlette app: pure wiring of a config, a store and a queue.

`create_app` is what tests build; `hub.gateway_app.create_app_from_env` builds the same from
the environment for uvicorn. The lifespan starts the group-commit writer and closes the writer,
the queue and the store on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from datetime import datetime
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from canonical.store import findings as findings_repo
from canonical.store.inbox_fast import InboxWriter, inbox_writer
from canonical.store.store import Store
from gateway.config import GatewayConfig
from gateway.errors import StoreDown
from gateway.health import healthz, readiness
from gateway.ingest import Ingestor
from gateway.metrics import CONTENT_TYPE, GatewayMetrics
from gateway.ops.answers import error_response
from gateway.ops.findings import FindingsApi, ReportLoader
from gateway.ops.routes import ops_routes
from gateway.webhooks.endpoint import Verifier, WebhookEndpoint
from gateway.webhooks.events import utc_now
from gateway.webhooks.generic import GenericVerifier
from gateway.webhooks.quickbooks import QuickBooksVerifier
from gateway.webhooks.salesforce import SalesforceVerifier
from gateway.webhooks.stripe import StripeVerifier
from jobs.queue import JobQueue
from reconciliation.report import VendorLinks

Clock = Callable[[], datetime]
log = structlog.get_logger(__name__)


class _Running:
    """What the lifespan creates; routes built earlier find it here."""

    def __init__(self) -> None:
        self.ingestor: Ingestor | None = None

    def get_ingestor(self) -> Ingestor:
        if self.ingestor is None:
            raise StoreDown("the gateway has not started")
        return self.ingestor


@asynccontextmanager
async def _accepting(running: _Running, queue: JobQueue, ingestor: Ingestor) -> AsyncIterator[None]:
    ingestor.start()
    running.ingestor = ingestor
    try:
        yield
    finally:
        running.ingestor = None
        await ingestor.close()
        await queue.close()


class GatewayApp(Starlette):
    """Starlette, with the vendors' webhook routes answered before its middleware and router.

    Those routes are raw ASGI endpoints that need neither, and at thousands of deliveries per
    second the error middleware, the exception middleware and the route scan cost about a tenth of
    the process's time. Everything else, and any other method on those paths, goes through
    Starlette as usual (their `Route`s stay registered for that).
    """

    def __init__(self, fast_paths: Mapping[str, ASGIApp], **options: Any) -> None:
        super().__init__(**options)
        self._fast_paths = dict(fast_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = self._fast_paths.get(scope["path"])
            if endpoint is not None:
                await endpoint(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(
    config: GatewayConfig,
    *,
    store: Store,
    queue: JobQueue,
    clock: Clock = utc_now,
    writer: InboxWriter | None = None,
    resources: Sequence[Callable[[], AbstractAsyncContextManager[object]]] = (),
    report_loader: ReportLoader | None = None,
    links: VendorLinks | None = None,
) -> Starlette:
    """The app. `resources` are entered at start-up before anything is accepted and left at
    shutdown after the queue stops (the in-process queue's job services, for one).

    `/ops/report` serves what `report_loader` returns (404 while it returns None, or without
    one), its records linked into the vendors' UIs by `links`; `/ops/findings` works either way.
    """
    metrics = GatewayMetrics()
    running = _Running()

    def webhook(verifier: Verifier) -> WebhookEndpoint:
        return WebhookEndpoint(
            verifier, running.get_ingestor, metrics, max_body_bytes=config.max_body_bytes
        )

    def ingestor() -> Ingestor:
        return _ingestor(config, store, queue, writer, clock, metrics)

    vendors = {path: webhook(v) for path, v in _vendor_verifiers(config, clock).items()}
    generic = GenericVerifier(
        config.generic_sources, tolerance=config.signature_tolerance_s, clock=clock
    )
    findings = FindingsApi(store, report_loader, findings_repo, links=links, clock=clock)
    routes: list[BaseRoute] = [
        *(Route(path, endpoint, methods=["POST"]) for path, endpoint in vendors.items()),
        Route("/webhooks/{name}", webhook(generic), methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", _ready(store, queue), methods=["GET"]),
        Route("/metrics", _metrics_page(metrics, store, clock), methods=["GET"]),
        *ops_routes(store, queue, config.ops_token, findings=findings),
    ]
    lifespan = _lifespan(store, queue, running, resources, ingestor)
    handlers = {404: _no_route, 405: _no_route}
    app = GatewayApp(vendors, routes=routes, lifespan=lifespan, exception_handlers=handlers)
    app.state.metrics = metrics
    return app


async def _no_route(request: Request, exc: Exception) -> Response:
    """An unknown path or method answers in the one JSON error shape every route uses, rather
    than Starlette's plain text; a 405 keeps its `Allow` header."""
    if not isinstance(exc, HTTPException):  # pragma: no cover - registered for these two only
        raise exc
    path = request.url.path
    if exc.status_code == 405:
        # Starlette lists the methods from a set, in any order: sorted, the answer is stable.
        listed = (exc.headers or {}).get("Allow", "").split(",")
        allowed = ", ".join(sorted(method.strip() for method in listed if method.strip()))
        detail = f"{path} does not take {request.method}; it takes {allowed}"
        return error_response(405, "method_not_allowed", detail, headers={"Allow": allowed})
    return error_response(404, "not_found", f"nothing at {path}")


def _vendor_verifiers(config: GatewayConfig, clock: Clock) -> dict[str, Verifier]:
    """Each vendor's webhook path and its verifier."""
    tolerance = config.signature_tolerance_s
    salesforce = SalesforceVerifier(config.salesforce_token, config.salesforce_org_id)
    return {
        "/webhooks/stripe": StripeVerifier(config.stripe_secret, tolerance=tolerance, clock=clock),
        "/webhooks/quickbooks": QuickBooksVerifier(config.quickbooks_verifier_token),
        "/webhooks/salesforce": salesforce,
    }


def _ingestor(
    config: GatewayConfig,
    store: Store,
    queue: JobQueue,
    writer: InboxWriter | None,
    clock: Clock,
    metrics: GatewayMetrics,
) -> Ingestor:
    return Ingestor(
        writer or inbox_writer(store.engine, connections=config.inbox_writers),
        queue,
        clock=clock,
        metrics=metrics,
        max_batch=config.batch_max_events,
        writers=config.inbox_writers,
        gather_rounds=config.batch_gather_rounds,
        lead_events=config.batch_lead_events,
        enqueue_wait_s=config.enqueue_wait_s,
    )


def _lifespan(
    store: Store,
    queue: JobQueue,
    running: _Running,
    resources: Sequence[Callable[[], AbstractAsyncContextManager[object]]],
    ingestor: Callable[[], Ingestor],
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Start-up: the resources, then the ingestor; shutdown in reverse, the store closed last."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            async with AsyncExitStack() as opened:
                for resource in resources:
                    await opened.enter_async_context(resource())
                async with _accepting(running, queue, ingestor()):
                    yield
        finally:
            await store.close()

    return lifespan


def _ready(store: Store, queue: JobQueue) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def ready(request: Request) -> JSONResponse:
        return await readiness(store, queue)

    return ready


def _metrics_page(
    metrics: GatewayMetrics, store: Store, clock: Clock
) -> Callable[[Request], Awaitable[Response]]:
    async def metrics_page(request: Request) -> Response:
        try:
            await metrics.refresh(store, clock())
        except Exception as exc:  # still serve the process's counters; gauges keep their last value
            log.warning("metrics.store_unavailable", error=type(exc).__name__)
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    return metrics_page
