"""Operator endpoints under `/_sandbox` (no vendor auth): faults, direct entity changes, firing.

Besides the shared faults, `rate_limit_format` ("json", "xml" or "alternate") picks how a
throttled request is answered. Entity changes bump `SyncToken` and `MetaData.LastUpdatedTime`; a
delete removes the entity from queries and shows it in /cdc as `"status": "Deleted"`.
"""

from __future__ import annotations

from typing import Any, get_args

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.quickbooks.config import RateLimitFormat
from sandbox.emulators.quickbooks.responses import JSONResponse
from sandbox.emulators.quickbooks.state import QuickBooksState
from sandbox.emulators.quickbooks.store import NotFoundError
from sandbox.emulators.quickbooks.webhooks import SCENARIOS, FireContext, ScenarioError

_FAULT_TYPES: dict[str, type] = {
    "rate_limit": int,
    "server_error": int,
    "latency_ms": int,
    "expire_tokens": bool,
}


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_body(request: Request) -> Any:
    try:
        return orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError:
        return None


def _faults_view(state: QuickBooksState) -> dict[str, Any]:
    # Not `Faults.as_dict()`: `dataclasses.asdict` deep-copies the Faults lock and fails.
    view = {name: getattr(state.faults, name) for name in _FAULT_TYPES}
    view["rate_limit_format"] = state.config.rate_limit_format
    return view


def _apply_faults(state: QuickBooksState, changes: dict[str, Any]) -> str | None:
    """Apply fault settings; answer why they are malformed instead, changing nothing."""
    fmt = changes.pop("rate_limit_format", state.config.rate_limit_format)
    if fmt not in get_args(RateLimitFormat):
        return f"rate_limit_format must be one of {', '.join(get_args(RateLimitFormat))}"
    for name, value in changes.items():
        expected = _FAULT_TYPES.get(name)
        if expected is None:
            return f"unknown fault {name!r}"
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            return f"fault {name!r} must be {expected.__name__}"
        if isinstance(value, int) and value < 0:
            return f"fault {name!r} must not be negative"
    state.faults.update(changes)
    state.config.rate_limit_format = fmt
    return None


def admin_routes(state: QuickBooksState) -> list[Route]:
    store = state.store

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            changes = await _json_body(request)
            if not isinstance(changes, dict):
                return _problem(400, "expected a JSON object")
            malformed = _apply_faults(state, changes)
            if malformed:
                return _problem(400, malformed)
        return JSONResponse(_faults_view(state))

    async def put_entity(request: Request) -> Response:
        entity = store.entity_name(request.path_params["collection"])
        body = await _json_body(request)
        if entity is None:
            return _problem(404, f"unknown collection {request.path_params['collection']!r}")
        if not isinstance(body, dict):
            return _problem(400, "expected one entity as a JSON object")
        return JSONResponse(store.put(entity, body))

    async def one_entity(request: Request) -> Response:
        entity = store.entity_name(request.path_params["collection"])
        entity_id = request.path_params["entity_id"]
        if entity is None:
            return _problem(404, f"unknown collection {request.path_params['collection']!r}")
        try:
            if request.method == "GET":
                record = store.get(entity, entity_id) or store.tombstones[entity].get(entity_id)
                if record is None:
                    raise NotFoundError(entity_id)
            elif request.method == "DELETE":
                record = store.delete(entity, entity_id)
            else:
                changes = await _json_body(request)
                if not isinstance(changes, dict):
                    return _problem(400, "expected a JSON object of changes")
                record = store.patch(entity, entity_id, changes)
        except NotFoundError:
            return _problem(404, f"no {entity} {entity_id}")
        return JSONResponse(record)

    async def fire(request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("to"), str):
            return _problem(400, 'expected {"to": "<hub base URL>", "scenario": "<name>"}')
        name = body.get("scenario") or "invoice_updated"
        scenario = SCENARIOS.get(name)
        if scenario is None:
            return _problem(400, f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
        async with httpx.AsyncClient(timeout=10) as client:
            try:
                deliveries = await scenario(FireContext(state, client, body["to"].rstrip("/")))
            except ScenarioError as exc:
                return _problem(409, str(exc))
        return JSONResponse({"scenario": name, "deliveries": deliveries})

    return [
        Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
        Route("/_sandbox/objects/{collection}", put_entity, methods=["POST"]),
        Route(
            "/_sandbox/objects/{collection}/{entity_id}",
            one_entity,
            methods=["GET", "PATCH", "DELETE"],
        ),
        Route("/_sandbox/fire", fire, methods=["POST"]),
    ]
