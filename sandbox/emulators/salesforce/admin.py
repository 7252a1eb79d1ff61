"""Operator endpoints under `/_sandbox` (no vendor auth): faults, direct record changes, firing.

Record changes stamp `SystemModstamp` and `LastModifiedDate` like any change in the org; a delete
sets `IsDeleted`, which `query` hides and `queryAll` shows.
"""

from __future__ import annotations

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
from sandbox.emulators.salesforce.scenarios import SCENARIOS, FireContext, ScenarioError
from sandbox.emulators.salesforce.state import SalesforceState
from sandbox.emulators.salesforce.store import NotFoundError


def admin_routes(state: SalesforceState) -> list[Route]:
    store = state.store

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            changes = await json_body(request)
            if not isinstance(changes, dict):
                return problem(400, "expected a JSON object")
            malformed = fault_changes_error(changes)
            if malformed:
                return problem(400, malformed)
            state.faults.update(changes)
        return AdminJSON(faults_view(state.faults))

    def context(request: Request, client: httpx.AsyncClient, to: str) -> FireContext:
        return FireContext(state, client, to, str(request.base_url).rstrip("/"))

    objects = ObjectStore(
        collection=store.sobject_name,
        put=store.put,
        get=lambda sobject, record_id: store.get(sobject, record_id, include_deleted=True),
        patch=store.patch,
        delete=store.delete,
        not_found=NotFoundError,
    )
    return [
        Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
        *object_routes(objects),
        fire_route(SCENARIOS, default="opportunity_won", context=context, refused=ScenarioError),
    ]
