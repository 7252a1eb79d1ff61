"""The ops routes: each handler behind the token, with store outages as 503 and bad parameters
as 400, plus the public `/ops/openapi.json` that documents them all.

Two families: the inbox events (`gateway.ops.events`) and, when a `FindingsApi` is given, the
findings and the report (`gateway.ops.findings`). Each declares its operations and schemas; a
route is mounted for every operation declared, so the document and the routes cannot drift.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from canonical.errors import StoreError
from canonical.store.store import Store
from gateway.auth import ops_denied
from gateway.ops import events
from gateway.ops import findings as findings_ops
from gateway.ops.answers import BadParameter, error_response
from gateway.ops.findings import FindingsApi
from gateway.ops.openapi import JsonSchema, OpsOperation, build_document
from jobs.queue import JobQueue

Handler = Callable[[Request], Awaitable[Response]]
API_VERSION = "1.1.0"
# Path templates whose parameter needs a Starlette convertor (the default matches one segment).
_CONVERTORS = {"{event_id}": "{event_id:int}"}


def guarded(handler: Handler, token: str | None) -> Handler:
    async def endpoint(request: Request) -> Response:
        denied = ops_denied(request, token)
        if denied is not None:
            return denied
        try:
            return await handler(request)
        except BadParameter as exc:
            return error_response(400, "bad_parameter", str(exc))
        except StoreError:
            return error_response(503, "store_unavailable", "retry later")

    return endpoint


def _route_path(path: str) -> str:
    for template, typed in _CONVERTORS.items():
        path = path.replace(template, typed)
    return path


def ops_routes(
    store: Store,
    queue: JobQueue,
    token: str | None,
    *,
    findings: FindingsApi | None = None,
) -> list[Route]:
    events_api = events.EventsApi(store, queue)
    handlers: dict[str, Handler] = {
        "listEvents": events_api.list_events,
        "getEvent": events_api.show_event,
        "replayEvent": events_api.replay_event,
        "replayEvents": events_api.replay_by_status,
    }
    operations: list[OpsOperation] = list(events.OPERATIONS)
    schemas: dict[str, JsonSchema] = dict(events.SCHEMAS)
    if findings is not None:
        handlers.update(findings.handlers())
        operations.extend(findings_ops.OPERATIONS)
        schemas.update(findings_ops.SCHEMAS)
    return [_openapi_route(operations, schemas), *_mounted(operations, handlers, token)]


def _openapi_route(operations: Sequence[OpsOperation], schemas: Mapping[str, JsonSchema]) -> Route:
    document = build_document(operations, schemas, version=API_VERSION)

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(document)

    return Route("/ops/openapi.json", openapi, methods=["GET"])


def _mounted(
    operations: Sequence[OpsOperation], handlers: Mapping[str, Handler], token: str | None
) -> list[Route]:
    # Fixed paths before templated ones: /ops/events/replay is not event "replay".
    ordered = sorted(operations, key=lambda op: "{" in op.path)
    return [
        Route(
            _route_path(op.path),
            guarded(handlers[op.operation_id], token),
            methods=[op.method],
        )
        for op in ordered
    ]
