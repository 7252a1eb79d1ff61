"""Operator endpoints under `/_sandbox` (no vendor auth): faults, direct record changes, firing.

Record changes stamp `SystemModstamp` and `LastModifiedDate` like any change in the org; a delete
sets `IsDeleted`, which `query` hides and `queryAll` shows.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.common import Faults
from sandbox.emulators.salesforce.responses import JSONResponse
from sandbox.emulators.salesforce.scenarios import SCENARIOS, FireContext, ScenarioError
from sandbox.emulators.salesforce.state import SalesforceState
from sandbox.emulators.salesforce.store import NotFoundError

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


def faults_dict(faults: Faults) -> dict[str, Any]:
    # Not `Faults.as_dict()`: `dataclasses.asdict` deep-copies the Faults lock and fails.
    return {name: getattr(faults, name) for name in _FAULT_TYPES}


def fault_changes_error(changes: dict[str, Any]) -> str | None:
    """Why these fault settings are malformed (Faults.update checks names, not types), or None."""
    for name, value in changes.items():
        expected = _FAULT_TYPES.get(name)
        if expected is None:
            continue  # Faults.update names unknown keys itself
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            return f"fault {name!r} must be {expected.__name__}"
        if isinstance(value, int) and value < 0:
            return f"fault {name!r} must not be negative"
    return None


def admin_routes(state: SalesforceState) -> list[Route]:
    store = state.store

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            changes = await _json_body(request)
            if not isinstance(changes, dict):
                return _problem(400, "expected a JSON object")
            malformed = fault_changes_error(changes)
            if malformed:
                return _problem(400, malformed)
            try:
                state.faults.update(changes)
            except ValueError as exc:
                return _problem(400, str(exc))
        return JSONResponse(faults_dict(state.faults))

    async def put_object(request: Request) -> Response:
        sobject = store.sobject_name(request.path_params["collection"])
        body = await _json_body(request)
        if sobject is None:
            return _problem(404, f"unknown collection {request.path_params['collection']!r}")
        if not isinstance(body, dict):
            return _problem(400, "expected one record as a JSON object")
        return JSONResponse(store.put(sobject, body))

    async def one_object(request: Request) -> Response:
        sobject = store.sobject_name(request.path_params["collection"])
        record_id = request.path_params["record_id"]
        if sobject is None:
            return _problem(404, f"unknown collection {request.path_params['collection']!r}")
        try:
            if request.method == "GET":
                record = store.get(sobject, record_id, include_deleted=True)
                if record is None:
                    raise NotFoundError(record_id)
            elif request.method == "DELETE":
                record = store.delete(sobject, record_id)
            else:
                changes = await _json_body(request)
                if not isinstance(changes, dict):
                    return _problem(400, "expected a JSON object of changes")
                record = store.patch(sobject, record_id, changes)
        except NotFoundError:
            return _problem(404, f"no {sobject} {record_id}")
        return JSONResponse(record)

    async def fire(request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("to"), str):
            return _problem(400, 'expected {"to": "<hub base URL>", "scenario": "<name>"}')
        name = body.get("scenario") or "opportunity_won"
        scenario = SCENARIOS.get(name)
        if scenario is None:
            return _problem(400, f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
        async with httpx.AsyncClient(timeout=10) as client:
            ctx = FireContext(
                state, client, body["to"].rstrip("/"), str(request.base_url).rstrip("/")
            )
            try:
                deliveries = await scenario(ctx)
            except ScenarioError as exc:
                return _problem(409, str(exc))
        return JSONResponse({"scenario": name, "deliveries": deliveries})

    return [
        Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
        Route("/_sandbox/objects/{collection}", put_object, methods=["POST"]),
        Route(
            "/_sandbox/objects/{collection}/{record_id}",
            one_object,
            methods=["GET", "PATCH", "DELETE"],
        ),
        Route("/_sandbox/fire", fire, methods=["POST"]),
    ]
