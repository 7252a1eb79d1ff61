"""QuickBooks Online's answers and faults, in JSON and (for throttling) XML.

Faults: https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes
API faults are `{"Fault": {"Error": [{"Message", "Detail", "code"}], "type"}, "time"}`; an
authentication failure uses the lower-case `{"fault": {"error": [...]}}` form of Intuit's gateway.
"""

from __future__ import annotations

import secrets
from typing import Any
from xml.sax.saxutils import escape

import orjson
from starlette.responses import Response

from sandbox.emulators.quickbooks.store import response_time

_THROTTLED = "message=ThrottleExceeded; errorCode=003001; statusCode=429"
_THROTTLED_DETAIL = "The request limit was reached. Please try again later."


class JSONResponse(Response):
    media_type = "application/json;charset=UTF-8"

    def __init__(self, content: Any, status_code: int = 200) -> None:
        super().__init__(content, status_code)
        # Intuit tags every answer with a transaction id that support asks for.
        self.headers["intuit_tid"] = secrets.token_hex(16)

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def fault(status: int, fault_type: str, code: str, message: str, detail: str) -> JSONResponse:
    body = {
        "Fault": {
            "Error": [{"Message": message, "Detail": detail, "code": code}],
            "type": fault_type,
        },
        "time": response_time(),
    }
    return JSONResponse(body, status_code=status)


def validation_fault(code: str, message: str, detail: str) -> JSONResponse:
    return fault(400, "ValidationFault", code, message, detail)


def authentication_failed(detail: str = "Token expired") -> JSONResponse:
    body = {
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": detail,
                    "code": "3200",
                }
            ],
            "type": "AUTHENTICATION",
        },
        "time": response_time(),
    }
    response = JSONResponse(body, status_code=401)
    response.headers["WWW-Authenticate"] = 'Bearer realm="Intuit", error="invalid_token"'
    return response


def authorization_failed() -> JSONResponse:
    message = "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403"
    return fault(
        403, "SERVICE", "3100", message, "The token does not grant access to this company."
    )


def throttled_json() -> JSONResponse:
    return fault(429, "ValidationFault", "3001", _THROTTLED, _THROTTLED_DETAIL)


def throttled_xml() -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{response_time()}">'
        '<Fault type="ValidationFault"><Error code="3001">'
        f"<Message>{escape(_THROTTLED)}</Message><Detail>{escape(_THROTTLED_DETAIL)}</Detail>"
        "</Error></Fault></IntuitResponse>"
    )
    return Response(body, status_code=429, media_type="application/xml")


def system_fault() -> JSONResponse:
    return fault(
        500,
        "SystemFault",
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your data.",
    )


def oauth_error(error: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status)
