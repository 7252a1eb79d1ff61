"""`/ops/report` (the reconciliation report, HTML) and `/ops/findings` (list, ack, resolve).

The report is whatever the `ReportLoader` returns (normally the latest reconciliation), with each
finding's status taken from the findings store at request time, so an acknowledgement shows on
the next load even before the next reconciliation. The page's own Acknowledge / Resolve buttons
call the two POST routes here with the token the user types into the page (kept in the tab's
sessionStorage). `gateway.ops.routes` puts every handler behind the ops token.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from canonical.records import FindingKind, FindingStatus, Source
from canonical.store import findings as findings_repo
from canonical.store.engine import begin, connect
from canonical.store.findings import HistoryEntry, StoredFinding
from canonical.store.store import Store
from gateway.ops.answers import BadParameter, error_response
from gateway.ops.openapi import JsonSchema, OpsOperation, path_param, query_param, ref
from reconciliation.model import ReconcileResult, RunSummary
from reconciliation.report import VendorLinks, render_html
from reconciliation.report.json_out import finding_json

LoadedReport = tuple[ReconcileResult, Sequence[RunSummary]]
ReportLoader = Callable[[], Awaitable[LoadedReport | None]]
Clock = Callable[[], datetime]

MAX_LIMIT = 500
MAX_OFFSET = 2**31 - 1
MAX_NOTE = 1000
DEFAULT_NOTE = "by ops"
# Fingerprints are 64 hex digits (`fingerprint_for`); the wider set keeps hand-made ones usable.
# No "." or "/": a path segment of dots would be folded away by clients before it arrives.
FINGERPRINT_PATTERN = "^[A-Za-z0-9_-]{1,128}$"
_FINGERPRINT = re.compile(FINGERPRINT_PATTERN)
_KINDS = [k.value for k in FindingKind]
_STATUSES = [s.value for s in FindingStatus]
_SECURITY_HEADERS = {
    # The page needs its own inline style and script and same-origin fetch, nothing else.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

_SOURCE_REF: JsonSchema = {
    "type": "object",
    "required": ["source", "id"],
    "properties": {
        "source": {"type": "string", "enum": [s.value for s in Source]},
        "id": {"type": "string"},
    },
}
SCHEMAS: dict[str, JsonSchema] = {
    "SourceRef": _SOURCE_REF,
    "Finding": {
        "type": "object",
        "required": [
            "kind",
            "fingerprint",
            "status",
            "records",
            "amount_at_stake",
            "detail",
            "key",
            "party",
            "first_seen",
            "last_seen",
        ],
        "properties": {
            "kind": {"type": "string", "enum": _KINDS},
            "fingerprint": {"type": "string"},
            "status": {"type": "string", "enum": _STATUSES},
            "records": {"type": "array", "items": ref("SourceRef")},
            "amount_at_stake": {
                "type": "object",
                "required": ["minor", "currency"],
                "properties": {
                    "minor": {"type": "integer", "description": "minor units of the currency"},
                    "currency": {"type": "string", "description": "ISO 4217 code"},
                },
            },
            "detail": {"type": "string"},
            "key": ref("SourceRef"),
            "party": {**_SOURCE_REF, "nullable": True},
            "first_seen": {"type": "string", "format": "date-time"},
            "last_seen": {"type": "string", "format": "date-time"},
        },
    },
    "FindingPage": {
        "type": "object",
        "required": ["findings", "next_offset"],
        "properties": {
            "findings": {"type": "array", "items": ref("Finding")},
            "next_offset": {"type": "integer", "nullable": True},
        },
    },
    "FindingChange": {
        "type": "object",
        "required": ["from_status", "to_status", "at", "note"],
        "properties": {
            "from_status": {"type": "string", "enum": _STATUSES, "nullable": True},
            "to_status": {"type": "string", "enum": _STATUSES},
            "at": {"type": "string", "format": "date-time"},
            "note": {"type": "string", "nullable": True},
        },
    },
    "FindingDetail": {
        "allOf": [
            ref("Finding"),
            {
                "type": "object",
                "required": ["history"],
                "properties": {"history": {"type": "array", "items": ref("FindingChange")}},
            },
        ]
    },
    "FindingNote": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "note": {"type": "string", "maxLength": MAX_NOTE, "pattern": "^[^\\u0000]*$"}
        },
    },
}
_BAD = ("Invalid parameter or body", ref("Error"))
_MISSING = ("No finding with that fingerprint", ref("Error"))
_CONFLICT = ("The finding's status does not allow this move", ref("Error"))
_FP = path_param("fingerprint", {"type": "string", "pattern": FINGERPRINT_PATTERN})

OPERATIONS = (
    OpsOperation(
        "/ops/report",
        "GET",
        "getReport",
        "The latest reconciliation report as one self-contained HTML page",
        {
            200: ("The report", {"type": "string"}),
            404: ("No reconciliation has run yet", ref("Error")),
        },
        success_type="text/html",
    ),
    OpsOperation(
        "/ops/findings",
        "GET",
        "listFindings",
        "Findings, oldest first; page with limit and offset",
        {200: ("A page of findings", ref("FindingPage")), 400: _BAD},
        (
            query_param("kind", {"type": "string", "enum": _KINDS}, "finding kind"),
            query_param("status", {"type": "string", "enum": _STATUSES}, "finding status"),
            query_param(
                "party", {"type": "string", "maxLength": 64}, "the party's id in any system"
            ),
            query_param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "size"),
            query_param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}, "skip"),
        ),
    ),
    OpsOperation(
        "/ops/findings/{fingerprint}/ack",
        "POST",
        "acknowledgeFinding",
        "Acknowledge an open finding (acknowledging it again changes nothing)",
        {200: ("The finding", ref("FindingDetail")), 400: _BAD, 404: _MISSING, 409: _CONFLICT},
        (_FP,),
        body=ref("FindingNote"),
    ),
    OpsOperation(
        "/ops/findings/{fingerprint}/resolve",
        "POST",
        "resolveFinding",
        "Resolve an open or acknowledged finding (resolving it again changes nothing)",
        {200: ("The finding", ref("FindingDetail")), 400: _BAD, 404: _MISSING},
        (_FP,),
        body=ref("FindingNote"),
    ),
)


class FindingLifecycle(Protocol):
    """The findings repository's user actions (`canonical.store.findings` provides them).

    Each answers False when the finding's status does not allow the move (or it is unknown)."""

    async def acknowledge(
        self, conn: AsyncConnection, fingerprint: str, *, note: str, now: datetime
    ) -> bool: ...

    async def resolve(
        self, conn: AsyncConnection, fingerprint: str, *, note: str, now: datetime
    ) -> bool: ...


Move = Callable[..., Awaitable[bool]]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def stored_json(stored: StoredFinding) -> dict[str, Any]:
    return {
        **finding_json(stored.finding),
        "first_seen": stored.first_seen.isoformat(),
        "last_seen": stored.last_seen.isoformat(),
    }


def change_json(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "from_status": entry.from_status,
        "to_status": entry.to_status,
        "at": entry.at.isoformat(),
        "note": entry.note,
    }


def _int(raw: str | None, name: str, low: int, high: int) -> int | None:
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise BadParameter(f"{name} must be an integer from {low} to {high}")
    return int(raw)


def _choice(raw: str | None, name: str, allowed: list[str]) -> str | None:
    if raw is not None and raw not in allowed:
        raise BadParameter(f"{name} must be one of {', '.join(allowed)}")
    return raw


def _note(body: bytes) -> str:
    """The note of an optional `{"note": "…"}` body; no body: the default note."""
    if not body.strip():
        return DEFAULT_NOTE
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadParameter('the body must be JSON: {"note": "…"}') from None
    if not isinstance(data, dict) or set(data) - {"note"}:
        raise BadParameter("the body must be an object with at most a note")
    note = data.get("note", DEFAULT_NOTE)
    if not isinstance(note, str) or len(note) > MAX_NOTE or "\x00" in note:
        raise BadParameter(f"note must be text of at most {MAX_NOTE} characters, without NUL")
    try:
        note.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no database could store it
        raise BadParameter("note must be valid Unicode text") from None
    return note


async def _no_report() -> LoadedReport | None:
    return None


class FindingsApi:
    def __init__(
        self,
        store: Store,
        load_report: ReportLoader | None,
        lifecycle: FindingLifecycle,
        *,
        links: VendorLinks | None = None,
        ops_base: str = "/ops",
        clock: Clock = _utc_now,
    ) -> None:
        self._engine = store.engine
        self._load_report = load_report or _no_report
        self._lifecycle = lifecycle
        self._links = links or VendorLinks()
        self._ops_base = ops_base
        self._clock = clock

    def handlers(self) -> dict[str, Callable[[Request], Awaitable[Response]]]:
        """Each operation id of `OPERATIONS` with its handler."""
        return {
            "getReport": self.report,
            "listFindings": self.list,
            "acknowledgeFinding": self.acknowledge,
            "resolveFinding": self.resolve,
        }

    async def report(self, request: Request) -> Response:
        loaded = await self._load_report()
        if loaded is None:
            return error_response(404, "no_report", "no reconciliation has run yet")
        result, history = loaded
        async with connect(self._engine) as conn:
            current = {
                s.finding.fingerprint: s.finding.status
                for s in await findings_repo.list_findings(conn)
            }
        findings = tuple(
            dataclasses.replace(f, status=current.get(f.fingerprint, f.status))
            for f in result.findings
        )
        # A large report takes a while to render: off the loop that acknowledges webhooks.
        page = await asyncio.to_thread(
            render_html,
            dataclasses.replace(result, findings=findings),
            history=history,
            ops_base=self._ops_base,
            links=self._links,
        )
        return HTMLResponse(page, headers=_SECURITY_HEADERS)

    async def list(self, request: Request) -> JSONResponse:
        params = request.query_params
        kind = _choice(params.get("kind"), "kind", _KINDS)
        status = _choice(params.get("status"), "status", _STATUSES)
        limit = _int(params.get("limit"), "limit", 1, MAX_LIMIT) or 100
        offset = _int(params.get("offset"), "offset", 0, MAX_OFFSET) or 0
        party = params.get("party")
        if party is not None and len(party) > 64:
            raise BadParameter("party is at most 64 characters")
        async with connect(self._engine) as conn:
            if party is None:  # one more than asked, to know whether a next page exists
                page = await findings_repo.list_findings(
                    conn, kind=kind, status=status, limit=limit + 1, offset=offset
                )
            else:  # the party's id in any system: the store keys parties by (source, id)
                every = await findings_repo.list_findings(conn, kind=kind, status=status)
                mine = [s for s in every if s.finding.party and s.finding.party.source_id == party]
                page = mine[offset : offset + limit + 1]
        more = len(page) > limit
        return JSONResponse(
            {
                "findings": [stored_json(s) for s in page[:limit]],
                "next_offset": offset + limit if more else None,
            }
        )

    async def acknowledge(self, request: Request) -> JSONResponse:
        return await self._move(request, self._lifecycle.acknowledge, FindingStatus.ACKNOWLEDGED)

    async def resolve(self, request: Request) -> JSONResponse:
        return await self._move(request, self._lifecycle.resolve, FindingStatus.RESOLVED)

    async def _move(self, request: Request, move: Move, to: FindingStatus) -> JSONResponse:
        fingerprint = request.path_params["fingerprint"]
        if not _FINGERPRINT.fullmatch(fingerprint):  # no finding has such a fingerprint
            return _not_found()
        note = _note(await request.body())
        async with begin(self._engine) as conn:
            before = await findings_repo.get_finding(conn, fingerprint)
            if before is None:
                return _not_found()
            moved = await move(conn, fingerprint, note=note, now=self._clock())
            if not moved and before.finding.status is not to:
                return error_response(
                    409, "conflict", f"a {before.finding.status.value} finding cannot be {to.value}"
                )
            after = await findings_repo.get_finding(conn, fingerprint)
            changes = await findings_repo.history(conn, fingerprint)
        assert after is not None  # read in the same transaction that found it
        return JSONResponse({**stored_json(after), "history": [change_json(c) for c in changes]})


def _not_found() -> JSONResponse:
    return error_response(404, "not_found", "no finding with that fingerprint")
