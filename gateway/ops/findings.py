"""`/ops/report` (the reconciliation report, HTML) and `/ops/findings` (list, ack, resolve).

Both sit behind the ops bearer token. The report is whatever `load_report` returns (normally the
latest reconciliation), with each finding's status taken from the findings store at request time,
so an acknowledgement shows on the next load even before the next reconciliation. The page's own
Acknowledge / Resolve buttons call the two POST routes here with the token the user types into the
page (kept in the tab's sessionStorage).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from canonical.errors import StoreError
from canonical.records import FindingKind, FindingStatus
from canonical.store import findings as findings_repo
from canonical.store.engine import begin, connect
from canonical.store.findings import StoredFinding
from canonical.store.store import Store
from gateway.auth import ops_denied
from reconciliation.model import ReconcileResult, RunSummary
from reconciliation.report import VendorLinks, render_html
from reconciliation.report.json_out import finding_json

ReportLoader = Callable[[], Awaitable[tuple[ReconcileResult, Sequence[RunSummary]] | None]]
Clock = Callable[[], datetime]
_KINDS = {k.value for k in FindingKind}
_STATUSES = {s.value for s in FindingStatus}
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


class FindingLifecycle(Protocol):
    """The findings repository's user actions (`canonical.store.findings` provides them)."""

    async def acknowledge(
        self, conn: AsyncConnection, fingerprint: str, *, note: str, now: datetime
    ) -> object: ...

    async def resolve(
        self, conn: AsyncConnection, fingerprint: str, *, note: str, now: datetime
    ) -> object: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


def stored_json(stored: StoredFinding) -> dict[str, Any]:
    return {
        **finding_json(stored.finding),
        "first_seen": stored.first_seen.isoformat(),
        "last_seen": stored.last_seen.isoformat(),
    }


def _error(status: int, error: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status)


class FindingsApi:
    def __init__(
        self,
        store: Store,
        load_report: ReportLoader,
        lifecycle: FindingLifecycle,
        *,
        links: VendorLinks | None = None,
        ops_base: str = "/ops",
        clock: Clock = _utc_now,
    ) -> None:
        self._engine = store.engine
        self._load_report = load_report
        self._lifecycle = lifecycle
        self._links = links or VendorLinks()
        self._ops_base = ops_base
        self._clock = clock

    async def report(self, request: Request) -> Response:
        loaded = await self._load_report()
        if loaded is None:
            return _error(404, "no_report", "no reconciliation has run yet")
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
        page = render_html(
            dataclasses.replace(result, findings=findings),
            history=history,
            ops_base=self._ops_base,
            links=self._links,
        )
        return HTMLResponse(page, headers=_SECURITY_HEADERS)

    async def list(self, request: Request) -> JSONResponse:
        params = request.query_params
        kind, status, party = params.get("kind"), params.get("status"), params.get("party")
        if kind is not None and kind not in _KINDS:
            return _error(400, "bad_parameter", f"kind must be one of {', '.join(sorted(_KINDS))}")
        if status is not None and status not in _STATUSES:
            return _error(400, "bad_parameter", f"status must be one of {', '.join(_STATUSES)}")
        async with connect(self._engine) as conn:
            stored = await findings_repo.list_findings(conn, kind=kind, status=status)
        if party is not None:  # the party's id in any system
            stored = [s for s in stored if s.finding.party and s.finding.party.source_id == party]
        return JSONResponse({"findings": [stored_json(s) for s in stored]})

    async def acknowledge(self, request: Request) -> JSONResponse:
        return await self._move(request, self._lifecycle.acknowledge)

    async def resolve(self, request: Request) -> JSONResponse:
        return await self._move(request, self._lifecycle.resolve)

    async def _move(
        self, request: Request, action: Callable[..., Awaitable[object]]
    ) -> JSONResponse:
        fingerprint = request.path_params["fingerprint"]
        note = request.query_params.get("note") or "by ops"
        async with begin(self._engine) as conn:
            if await findings_repo.get_finding(conn, fingerprint) is None:
                return _error(404, "not_found", "no finding with that fingerprint")
            await action(conn, fingerprint, note=note, now=self._clock())
            stored = await findings_repo.get_finding(conn, fingerprint)
        assert stored is not None
        return JSONResponse(stored_json(stored))


def _guard(handler: Callable[[Request], Awaitable[Response]], token: str | None) -> Any:
    async def endpoint(request: Request) -> Response:
        denied = ops_denied(request, token)
        if denied is not None:
            return denied
        try:
            return await handler(request)
        except StoreError:
            return _error(503, "store_unavailable", "retry later")

    return endpoint


def findings_routes(api: FindingsApi, token: str | None) -> list[Route]:
    fp = "/ops/findings/{fingerprint:str}"
    return [
        Route("/ops/report", _guard(api.report, token), methods=["GET"]),
        Route("/ops/findings", _guard(api.list, token), methods=["GET"]),
        Route(f"{fp}/ack", _guard(api.acknowledge, token), methods=["POST"]),
        Route(f"{fp}/resolve", _guard(api.resolve, token), methods=["POST"]),
    ]
