"""The operator endpoints (`/_sandbox/...`, no vendor auth) the Salesforce and QuickBooks
emulators share: fault settings checked by type, direct object changes, and firing a scenario.

Each emulator supplies what differs: how it names collections, how it reads, patches and deletes
a record, its scenarios and their context. Answers are plain JSON; operator endpoints are not the
vendor's API, so they do not imitate its error format.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.common import Faults, JSONObject

FAULT_TYPES: Final[dict[str, type]] = {
    "rate_limit": int,
    "server_error": int,
    "latency_ms": int,
    "expire_tokens": bool,
}


class AdminJSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def problem(status: int, message: str) -> Response:
    return AdminJSON({"error": message}, status_code=status)


async def json_body(request: Request) -> Any:
    """The request's JSON (an empty body is `{}`), or None when it is not JSON."""
    try:
        return orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError:
        return None


def faults_view(faults: Faults) -> dict[str, Any]:
    return {name: getattr(faults, name) for name in FAULT_TYPES}


def fault_changes_error(changes: Mapping[str, Any]) -> str | None:
    """Why these fault settings are malformed, or None; unknown names are named too."""
    for name, value in changes.items():
        expected = FAULT_TYPES.get(name)
        if expected is None:
            return f"unknown fault {name!r}"
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            return f"fault {name!r} must be {expected.__name__}"
        if isinstance(value, int) and value < 0:
            return f"fault {name!r} must not be negative"
    return None


@dataclass(frozen=True)
class ObjectStore:
    """How one emulator's state reads and changes records, for the object endpoints."""

    collection: Callable[[str], str | None]  # URL collection -> the emulator's object name
    put: Callable[[str, JSONObject], JSONObject]
    get: Callable[[str, str], JSONObject | None]  # deleted records included
    patch: Callable[[str, str, JSONObject], JSONObject]
    delete: Callable[[str, str], JSONObject]
    not_found: type[Exception]


def object_routes(objects: ObjectStore) -> list[Route]:
    """`POST /_sandbox/objects/{collection}` and `GET|PATCH|DELETE …/{collection}/{id}`."""

    def unknown(request: Request) -> Response:
        return problem(404, f"unknown collection {request.path_params['collection']!r}")

    async def put(request: Request) -> Response:
        name = objects.collection(request.path_params["collection"])
        body = await json_body(request)
        if name is None:
            return unknown(request)
        if not isinstance(body, dict):
            return problem(400, "expected one object as a JSON object")
        return AdminJSON(objects.put(name, body))

    async def one(request: Request) -> Response:
        name = objects.collection(request.path_params["collection"])
        record_id = request.path_params["record_id"]
        if name is None:
            return unknown(request)
        try:
            if request.method == "GET":
                record = objects.get(name, record_id)
                if record is None:
                    raise objects.not_found(record_id)
            elif request.method == "DELETE":
                record = objects.delete(name, record_id)
            else:
                changes = await json_body(request)
                if not isinstance(changes, dict):
                    return problem(400, "expected a JSON object of changes")
                record = objects.patch(name, record_id, changes)
        except objects.not_found:
            return problem(404, f"no {name} {record_id}")
        return AdminJSON(record)

    return [
        Route("/_sandbox/objects/{collection}", put, methods=["POST"]),
        Route(
            "/_sandbox/objects/{collection}/{record_id}", one, methods=["GET", "PATCH", "DELETE"]
        ),
    ]


Scenario = Callable[[Any], Awaitable[list[Any]]]


def fire_route(
    scenarios: Mapping[str, Scenario],
    *,
    default: str,
    context: Callable[[Request, httpx.AsyncClient, str], Any],
    refused: type[Exception],
) -> Route:
    """`POST /_sandbox/fire {"to", "scenario"}`: run a scenario, answer its deliveries."""

    async def fire(request: Request) -> Response:
        body = await json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("to"), str):
            return problem(400, 'expected {"to": "<hub base URL>", "scenario": "<name>"}')
        name = body.get("scenario") or default
        scenario = scenarios.get(name)
        if scenario is None:
            return problem(400, f"unknown scenario {name!r}; known: {', '.join(scenarios)}")
        async with httpx.AsyncClient(timeout=10) as client:
            try:
                deliveries = await scenario(context(request, client, body["to"].rstrip("/")))
            except refused as exc:
                return problem(409, str(exc))
        return AdminJSON({"scenario": name, "deliveries": deliveries})

    return Route("/_sandbox/fire", fire, methods=["POST"])
