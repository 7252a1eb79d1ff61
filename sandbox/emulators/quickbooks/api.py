"""The Accounting API v3 under `/v3/company/{realmId}/`: query, read, cdc, payment, companyinfo.

`minorversion` is accepted and ignored; answers are JSON. python-quickbooks sends queries as a POST
with the statement as a text body; `?query=` on a GET works too. References:
https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice
https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/changedatacapture
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.quickbooks import responses
from sandbox.emulators.quickbooks.auth import guarded
from sandbox.emulators.quickbooks.payments import PaymentRejected, create_payment
from sandbox.emulators.quickbooks.query import QueryError, parse_instant
from sandbox.emulators.quickbooks.state import QuickBooksState
from sandbox.emulators.quickbooks.store import response_time

_CDC_MAX_PER_ENTITY = 1000


def _object_not_found(entity: str, entity_id: str) -> Response:
    return responses.validation_fault(
        "610",
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive or deleted. "
        f"{entity} {entity_id}",
    )


def api_routes(state: QuickBooksState) -> list[Route]:
    store = state.store

    async def query(request: Request) -> Response:
        if request.method == "POST":
            text = (await request.body()).decode("utf-8", "replace")
        else:
            text = request.query_params.get("query", "")
        try:
            entity, parsed, page, total = store.query(text)
        except QueryError as exc:
            return responses.validation_fault(exc.code, exc.message, exc.detail)
        answer: dict[str, object] = {}
        if parsed.count:
            answer["totalCount"] = total
        elif page:
            answer = {entity: page, "startPosition": parsed.start_position, "maxResults": len(page)}
        return responses.JSONResponse({"QueryResponse": answer, "time": response_time()})

    async def read(request: Request) -> Response:
        entity = store.entity_name(request.path_params["entity"])
        entity_id = request.path_params["entity_id"]
        record = store.get(entity, entity_id) if entity else None
        if entity is None or record is None:
            return _object_not_found(entity or request.path_params["entity"], entity_id)
        return responses.JSONResponse({entity: record, "time": response_time()})

    async def cdc(request: Request) -> Response:
        names = [
            n.strip() for n in request.query_params.get("entities", "").split(",") if n.strip()
        ]
        since = parse_instant(request.query_params.get("changedSince", ""))
        entities = [store.entity_name(name) for name in names]
        if not names or since is None or None in entities:
            return responses.validation_fault(
                "2010",
                "Request has invalid or unsupported property",
                "cdc needs entities=<known entity list> and changedSince=<ISO 8601 datetime>",
            )
        answers = []
        for entity in entities:
            assert entity is not None
            changed = store.changed_since(entity, since)[:_CDC_MAX_PER_ENTITY]
            answers.append(
                {entity: changed, "startPosition": 1, "maxResults": len(changed)} if changed else {}
            )
        return responses.JSONResponse(
            {"CDCResponse": [{"QueryResponse": answers}], "time": response_time()}
        )

    async def create(request: Request) -> Response:
        entity = store.entity_name(request.path_params["entity"])
        operation = request.query_params.get("operation")
        if entity != "Payment" or operation is not None:
            return responses.validation_fault(
                "2010",
                "Request has invalid or unsupported property",
                "The sandbox accepts only Payment creation",
            )
        request_id = request.query_params.get("requestid")
        if request_id and request_id in state.idempotent:
            status, body = state.idempotent[request_id]
            return Response(body, status_code=status, media_type="application/json;charset=UTF-8")
        response = _create_payment(state, await request.body())
        if request_id:
            state.idempotent[request_id] = (response.status_code, bytes(response.body))
        return response

    async def company_info(request: Request) -> Response:
        if request.path_params["company"] != state.config.realm_id:
            return _object_not_found("CompanyInfo", request.path_params["company"])
        return responses.JSONResponse(
            {"CompanyInfo": _company_info(state), "time": response_time()}
        )

    base = "/v3/company/{realm}"
    api = [
        (f"{base}/query", query, ["GET", "POST"]),
        (f"{base}/cdc", cdc, ["GET"]),
        (f"{base}/companyinfo/{{company}}", company_info, ["GET"]),
        (f"{base}/{{entity}}/{{entity_id}}", read, ["GET"]),
        (f"{base}/{{entity}}", create, ["POST"]),
    ]
    return [Route(path, guarded(state, handler), methods=methods) for path, handler, methods in api]


def _create_payment(state: QuickBooksState, raw: bytes) -> Response:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return responses.validation_fault(
            "2010", "Request has invalid or unsupported property", "Request body is not JSON"
        )
    if not isinstance(body, dict):
        return responses.validation_fault(
            "2010", "Request has invalid or unsupported property", "Expected a Payment object"
        )
    try:
        payment = create_payment(state.store, body)
    except PaymentRejected as exc:
        return responses.validation_fault(exc.code, exc.message, exc.detail)
    return responses.JSONResponse({"Payment": payment, "time": response_time()})


def _company_info(state: QuickBooksState) -> dict[str, object]:
    # https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/companyinfo
    config = state.config
    created = datetime(2020, 1, 1, tzinfo=UTC).isoformat(timespec="seconds")
    return {
        "CompanyName": config.company_name,
        "LegalName": config.company_name,
        "Country": config.country,
        "CompanyAddr": {
            "Id": "1",
            "Line1": "1 Sandbox Way",
            "City": "Mountain View",
            "Country": config.country,
        },
        "SupportedLanguages": "en",
        "FiscalYearStartMonth": "January",
        "CompanyStartDate": "2020-01-01",
        "Email": {"Address": "owner@revcycle.sandbox"},
        "domain": "QBO",
        "sparse": False,
        "Id": "1",
        "SyncToken": "0",
        "MetaData": {"CreateTime": created, "LastUpdatedTime": created},
    }
