"""The ops routes: each handler behind the token, with store outages as 503 and bad parameters
as 400, plus the public `/ops/openapi.json` that documents them all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from canonical.errors import StoreError
from canonical.store.store import Store
from gateway.auth import ops_denied
from gateway.ops import events
from gateway.ops.openapi import build_document
from jobs.queue import JobQueue

Handler = Callable[[Request], Awaitable[JSONResponse]]
API_VERSION = "1.0.0"


def guarded(handler: Handler, token: str | None) -> Handler:
    async def endpoint(request: Request) -> JSONResponse:
        denied = ops_denied(request, token)
        if denied is not None:
            return denied
        try:
            return await handler(request)
        except events.BadParameter as exc:
            return JSONResponse({"error": "bad_parameter", "detail": str(exc)}, 400)
        except StoreError:
            return JSONResponse({"error": "store_unavailable", "detail": "retry later"}, 503)

    return endpoint


def ops_routes(store: Store, queue: JobQueue, token: str | None) -> list[Route]:
    api = events.EventsApi(store, queue)
    handlers: dict[str, Handler] = {
        "listEvents": api.list_events,
        "getEvent": api.show_event,
        "replayEvent": api.replay_event,
        "replayEvents": api.replay_by_status,
    }
    document = build_document(events.OPERATIONS, events.SCHEMAS, version=API_VERSION)

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(document)

    # Fixed paths before templated ones: /ops/events/replay is not event "replay".
    operations = sorted(events.OPERATIONS, key=lambda op: "{" in op.path)
    routes = [
        Route(
            op.path.replace("{event_id}", "{event_id:int}"),
            guarded(handlers[op.operation_id], token),
            methods=[op.method],
        )
        for op in operations
    ]
    return [Route("/ops/openapi.json", openapi, methods=["GET"]), *routes]
