"""`/ops/events…`: list, show and replay inbox events."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from canonical.store import inbox
from canonical.store.engine import begin, connect
from canonical.store.inbox import InboxEvent
from canonical.store.ops_tables import INBOX_STATUSES
from canonical.store.store import Store
from gateway.ops.answers import BadParameter, error_response
from gateway.ops.openapi import JsonSchema, OpsOperation, path_param, query_param, ref
from jobs.events import queue_replayed
from jobs.queue import JobQueue

MAX_ID = 2**63 - 1  # a bigint: larger ids exist nowhere and must not reach the driver
MAX_LIMIT = 500

EVENT_SCHEMA: JsonSchema = {
    "type": "object",
    "required": ["id", "source", "event_id", "type", "status", "attempts", "error"],
    "properties": {
        "id": {"type": "integer"},
        "source": {"type": "string"},
        "event_id": {"type": "string", "description": "the vendor's event id (dedupe key)"},
        "type": {"type": "string", "nullable": True},
        "status": {"type": "string", "enum": list(INBOX_STATUSES)},
        "attempts": {"type": "integer"},
        "error": {"type": "string", "nullable": True},
        "received_at": {"type": "string", "format": "date-time"},
        "processed_at": {"type": "string", "format": "date-time", "nullable": True},
    },
}
SCHEMAS: dict[str, JsonSchema] = {
    "Event": EVENT_SCHEMA,
    "EventDetail": {
        "allOf": [
            ref("Event"),
            {
                "type": "object",
                "required": ["headers", "body"],
                "properties": {
                    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                    "body": {"type": "string", "description": "the raw body, as UTF-8 text"},
                },
            },
        ]
    },
    "EventPage": {
        "type": "object",
        "required": ["events", "next_before_id"],
        "properties": {
            "events": {"type": "array", "items": ref("Event")},
            "next_before_id": {"type": "integer", "nullable": True},
        },
    },
    "Replayed": {
        "type": "object",
        "required": ["replayed", "queued"],
        "properties": {
            "replayed": {"type": "array", "items": {"type": "integer"}},
            "queued": {"type": "boolean", "description": "false: the relay will queue them"},
        },
    },
}
_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
# PostgreSQL text cannot hold NUL: such a source names nothing and is refused before the query.
_SOURCE = {"type": "string", "maxLength": 32, "pattern": "^[^\\u0000]*$"}
_BAD = ("Invalid parameter", ref("Error"))
_MISSING = ("No such event", ref("Error"))

OPERATIONS = (
    OpsOperation(
        "/ops/events",
        "GET",
        "listEvents",
        "Inbox events, newest first; page with before_id",
        {200: ("A page of events", ref("EventPage")), 400: _BAD},
        (
            query_param("status", {"type": "string", "enum": list(INBOX_STATUSES)}, "status"),
            query_param("source", _SOURCE, "source"),
            query_param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "size"),
            query_param("before_id", _ID, "the last id of the previous page"),
        ),
    ),
    OpsOperation(
        "/ops/events/{event_id}",
        "GET",
        "getEvent",
        "One event with its stored headers and body",
        {200: ("The event", ref("EventDetail")), 404: _MISSING},
        (path_param("event_id", _ID),),
    ),
    OpsOperation(
        "/ops/events/{event_id}/replay",
        "POST",
        "replayEvent",
        "Put one finished event back to received and queue it",
        {200: ("Replayed", ref("Replayed")), 404: _MISSING},
        (path_param("event_id", _ID),),
    ),
    OpsOperation(
        "/ops/events/replay",
        "POST",
        "replayEvents",
        "Put every event of a status (e.g. dead) back to received and queue them",
        {200: ("Replayed", ref("Replayed")), 400: _BAD},
        (
            {
                "name": "status",
                "in": "query",
                "required": True,
                "schema": {"type": "string", "enum": list(INBOX_STATUSES)},
            },
        ),
    ),
)


def event_json(event: InboxEvent) -> dict[str, Any]:
    return event.as_json()


def _int(raw: str | None, name: str, low: int, high: int) -> int | None:
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise BadParameter(f"{name} must be an integer from {low} to {high}")
    return int(raw)


def _status(raw: str | None, *, required: bool = False) -> str | None:
    if raw is None and not required:
        return None
    if raw not in INBOX_STATUSES:
        raise BadParameter(f"status must be one of {', '.join(INBOX_STATUSES)}")
    return raw


def _path_id(request: Request) -> int | None:
    value = int(request.path_params["event_id"])
    return value if 1 <= value <= MAX_ID else None


def not_found() -> JSONResponse:
    return error_response(404, "not_found", "no event with that id")


class EventsApi:
    def __init__(self, store: Store, queue: JobQueue) -> None:
        self._engine = store.engine
        self._queue = queue

    async def list_events(self, request: Request) -> JSONResponse:
        params = request.query_params
        status = _status(params.get("status"))
        limit = _int(params.get("limit"), "limit", 1, MAX_LIMIT) or 100
        before = _int(params.get("before_id"), "before_id", 1, MAX_ID)
        source = params.get("source")
        if source is not None and (len(source) > 32 or "\x00" in source):
            raise BadParameter("source is at most 32 characters, none of them NUL")
        async with connect(self._engine) as conn:
            events = await inbox.list_events(
                conn, status=status, source=source, limit=limit, before_id=before
            )
        more = len(events) == limit and events
        return JSONResponse(
            {
                "events": [event_json(e) for e in events],
                "next_before_id": events[-1].id if more else None,
            }
        )

    async def show_event(self, request: Request) -> JSONResponse:
        ident = _path_id(request)
        if ident is None:
            return not_found()
        async with connect(self._engine) as conn:
            event = await inbox.get_event(conn, ident)
        if event is None:
            return not_found()
        detail = event_json(event)
        detail["headers"] = dict(event.headers)
        detail["body"] = event.body.decode("utf-8", errors="replace")
        return JSONResponse(detail)

    async def replay_event(self, request: Request) -> JSONResponse:
        ident = _path_id(request)
        if ident is None:
            return not_found()
        async with begin(self._engine) as conn:
            if await inbox.get_event(conn, ident) is None:
                return not_found()
            replayed = await inbox.replay(conn, ids=[ident])
        return await self._queued(replayed)

    async def replay_by_status(self, request: Request) -> JSONResponse:
        status = _status(request.query_params.get("status"), required=True)
        async with begin(self._engine) as conn:
            replayed = await inbox.replay(conn, status=status)
        return await self._queued(replayed)

    async def _queued(self, replayed: list[int]) -> JSONResponse:
        queued = await queue_replayed(self._queue, replayed)
        return JSONResponse({"replayed": replayed, "queued": queued})
