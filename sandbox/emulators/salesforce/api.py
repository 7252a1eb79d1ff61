"""The REST API routes: versions, query/queryAll with cursors, sObject retrieve and create, limits.

Reference: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm
simple-salesforce adds trailing slashes (`query/`, `limits/`, `sobjects/Task/`), so both spellings
are routed.
"""

from __future__ import annotations

import re

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.salesforce import responses
from sandbox.emulators.salesforce.auth import Endpoint, guarded
from sandbox.emulators.salesforce.soql import SoqlError
from sandbox.emulators.salesforce.state import SalesforceState

_BATCH_SIZE = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)
# Salesforce treats batchSize as a request between 200 and 2,000 records.
_MIN_BATCH, _MAX_BATCH = 200, 2000
_VERSIONS = [f"{major}.0" for major in range(55, 63)]


def batch_size(request: Request) -> int:
    match = _BATCH_SIZE.search(request.headers.get("sforce-query-options", ""))
    if match is None:
        return _MAX_BATCH
    return max(_MIN_BATCH, min(_MAX_BATCH, int(match.group(1))))


def api_routes(state: SalesforceState) -> list[Route]:
    store = state.store

    async def versions(request: Request) -> Response:
        return responses.JSONResponse(
            [{"label": f"v{v}", "url": f"/services/data/v{v}", "version": v} for v in _VERSIONS]
        )

    def run_query(include_deleted: bool) -> Endpoint:
        async def query(request: Request) -> Response:
            text = request.query_params.get("q")
            if not text:
                return responses.sf_error(
                    400, "MALFORMED_QUERY", "A query string has to be specified"
                )
            try:
                page = store.query(
                    text,
                    include_deleted=include_deleted,
                    batch_size=batch_size(request),
                    version=request.path_params["version"],
                )
            except SoqlError as exc:
                return responses.sf_error(400, exc.code, str(exc))
            return responses.JSONResponse(page)

        return query

    async def query_more(request: Request) -> Response:
        try:
            page = store.query_more(request.path_params["locator"])
        except SoqlError as exc:
            return responses.sf_error(400, exc.code, str(exc))
        return responses.JSONResponse(page)

    async def retrieve(request: Request) -> Response:
        sobject = store.sobject_name(request.path_params["sobject"])
        record = store.get(sobject, request.path_params["record_id"]) if sobject else None
        if record is None:
            return responses.not_found()
        wanted = request.query_params.get("fields")
        if wanted:
            names = [name.strip() for name in wanted.split(",")]
            record = {"attributes": record["attributes"], **{n: record.get(n) for n in names}}
        return responses.JSONResponse(record)

    async def create(request: Request) -> Response:
        sobject = store.sobject_name(request.path_params["sobject"])
        if sobject is None:
            return responses.not_found()
        try:
            fields = orjson.loads(await request.body())
        except orjson.JSONDecodeError as exc:
            return responses.sf_error(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}")
        if not isinstance(fields, dict):
            return responses.sf_error(400, "JSON_PARSER_ERROR", "Expected a JSON object")
        try:
            record = store.create(sobject, fields)
        except SoqlError as exc:
            return responses.sf_error(400, exc.code, str(exc))
        return responses.JSONResponse(
            {"id": record["Id"], "success": True, "errors": []}, status_code=201
        )

    async def limits(request: Request) -> Response:
        limit = state.config.daily_api_limit
        return responses.JSONResponse(
            {
                "DailyApiRequests": {"Max": limit, "Remaining": max(0, limit - state.api_calls)},
                "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
                "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
                "DataStorageMB": {"Max": 1024, "Remaining": 1024},
            }
        )

    base = "/services/data/v{version}"
    routes = [
        Route("/services/data", versions, methods=["GET"]),
        Route("/services/data/", versions, methods=["GET"]),
    ]
    api = [
        (f"{base}/query", run_query(include_deleted=False), "GET"),
        (f"{base}/queryAll", run_query(include_deleted=True), "GET"),
        (f"{base}/query/{{locator}}", query_more, "GET"),
        (f"{base}/queryAll/{{locator}}", query_more, "GET"),
        (f"{base}/sobjects/{{sobject}}/{{record_id}}", retrieve, "GET"),
        (f"{base}/sobjects/{{sobject}}", create, "POST"),
        (f"{base}/limits", limits, "GET"),
    ]
    for path, handler, method in api:
        endpoint = guarded(state, handler)
        routes.append(Route(path, endpoint, methods=[method]))
        routes.append(Route(path + "/", endpoint, methods=[method]))
    return routes
