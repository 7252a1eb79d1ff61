"""Salesforce's wire formats for answers and errors.

REST errors are a JSON list of `{"message", "errorCode"}`; OAuth errors are `{"error",
"error_description"}`. Reference:
https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JSONResponse(Response):
    media_type = "application/json;charset=UTF-8"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def sf_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse([{"message": message, "errorCode": code}], status_code=status)


def invalid_session() -> JSONResponse:
    response = sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
    response.headers["WWW-Authenticate"] = "Token"
    return response


def request_limit_exceeded() -> JSONResponse:
    return sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")


def server_unavailable() -> JSONResponse:
    return sf_error(
        503, "SERVER_UNAVAILABLE", "Server is unavailable to handle the request, try again later."
    )


def not_found() -> JSONResponse:
    return sf_error(404, "NOT_FOUND", "The requested resource does not exist")


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)
