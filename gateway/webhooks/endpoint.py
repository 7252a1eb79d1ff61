"""One raw ASGI endpoint for every webhook source: read (413), verify (401/400/404), store (503),
enqueue, answer. Each source only supplies a `Verifier`: raw delivery in, events to store out."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

import orjson
import structlog
from starlette.types import Receive, Scope, Send

from canonical.store.inbox import NewEvent
from gateway.errors import Rejected, StoreDown
from gateway.ingest import Ingestor
from gateway.metrics import GatewayMetrics
from gateway.webhooks.asgi import JSON, ClientGone, Delivery, read_delivery, respond

log = structlog.get_logger(__name__)


class Reply(NamedTuple):
    body: bytes
    content_type: bytes = JSON
    status: int = 200


class Verified(NamedTuple):
    """Built once per delivery: a named tuple costs a third of a frozen dataclass to build."""

    source: str
    events: Sequence[NewEvent]
    reply: Reply | None = None  # None: the default JSON summary


class Verifier(Protocol):
    """Checks one delivery; raises `Rejected`. `source` labels metrics before anything is read:
    it depends on the route alone (a generic source's name is in its path)."""

    def source(self, path_params: Mapping[str, Any]) -> str: ...

    def verify(self, delivery: Delivery) -> Verified: ...


def error_body(reason: str, detail: str) -> bytes:
    return orjson.dumps({"error": reason, "detail": detail})


@functools.lru_cache(maxsize=256)
def summary(received: int, duplicates: int) -> bytes:
    """The default answer's body; nearly every delivery gets one of a few."""
    return orjson.dumps({"received": received, "duplicates": duplicates})


class WebhookEndpoint:
    def __init__(
        self,
        verifier: Verifier,
        ingestor: Callable[[], Ingestor],
        metrics: GatewayMetrics,
        *,
        max_body_bytes: int,
    ) -> None:
        self._verifier = verifier
        self._ingestor = ingestor  # looked up per call: the lifespan creates it after routing
        self._metrics = metrics
        self._limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        source = self._verifier.source(scope.get("path_params", {}))
        try:
            delivery = await read_delivery(scope, receive, self._limit)
            verified = self._verifier.verify(delivery)
            ids = await self._ingestor().store(verified.events)
        except ClientGone:
            return
        except Rejected as rejected:
            self._metrics.rejected.labels(source, rejected.reason).inc()
            log.info("webhook.rejected", source=source, reason=rejected.reason)
            await respond(send, rejected.status, error_body(rejected.reason, str(rejected)))
            return
        except StoreDown:
            self._metrics.rejected.labels(source, "store_unavailable").inc()
            await respond(send, 503, error_body("store_unavailable", "retry later"))
            return
        duplicates = ids.count(None)  # the ingestor counted them in the metrics as it committed
        reply = verified.reply
        if reply is None:
            await respond(send, 200, summary(len(ids), duplicates))
        else:
            await respond(send, reply.status, reply.body, reply.content_type)
