"""Operator endpoints under `/_sandbox` (no vendor auth): faults, direct entity changes, firing.

Besides the shared faults, `rate_limit_format` ("json", "xml" or "alternate") picks how a
throttled request is answered. Entity changes bump `SyncToken` and `MetaData.LastUpdatedTime`; a
delete removes the entity from queries and shows it in /cdc as `"status": "Deleted"`.
"""

from __future__ import annotations

from typing import Any, get_args

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.admin import (
    AdminJSON,
    ObjectStore,
    fault_changes_error,
    faults_view,
    fire_route,
    json_body,
    object_routes,
    problem,
)
from sandbox.emulators.quickbooks.config import RateLimitFormat
from sandbox.emulators.quickbooks.state import QuickBooksState
from sandbox.emulators.quickbooks.store import NotFoundError
from sandbox.emulators.quickbooks.webhooks import SCENARIOS, FireContext, ScenarioError


def _faults_view(state: QuickBooksState) -> dict[str, Any]:
    view = faults_view(state.faults)
    view["rate_limit_format"] = state.config.rate_limit_format
    return view


def _apply_faults(state: QuickBooksState, changes: dict[str, Any]) -> str | None:
    """Apply fault settings; answer why they are malformed instead, changing nothing."""
    fmt = changes.pop("rate_limit_format", state.config.rate_limit_format)
    if fmt not in get_args(RateLimitFormat):
        return f"rate_limit_format must be one of {', '.join(get_args(RateLimitFormat))}"
    malformed = fault_changes_error(changes)
    if malformed:
        return malformed
    state.faults.update(changes)
    state.config.rate_limit_format = fmt
    return None


def admin_routes(state: QuickBooksState) -> list[Route]:
    store = state.store

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            changes = await json_body(request)
            if not isinstance(changes, dict):
                return problem(400, "expected a JSON object")
            malformed = _apply_faults(state, changes)
            if malformed:
                return problem(400, malformed)
        return AdminJSON(_faults_view(state))

    def context(request: Request, client: httpx.AsyncClient, to: str) -> FireContext:
        return FireContext(state, client, to)

    objects = ObjectStore(
        collection=store.entity_name,
        put=store.put,
        get=lambda entity, entity_id: (
            store.get(entity, entity_id) or store.tombstones[entity].get(entity_id)
        ),
        patch=store.patch,
        delete=store.delete,
        not_found=NotFoundError,
    )
    return [
        Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
        *object_routes(objects),
        fire_route(SCENARIOS, default="invoice_updated", context=context, refused=ScenarioError),
    ]
