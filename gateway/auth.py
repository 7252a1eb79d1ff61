"""The ops API bearer token, compared in constant time; no token configured: ops are closed."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse


def ops_denied(request: Request, token: str | None) -> JSONResponse | None:
    """None when the request carries the ops token; else the 401/403 answer to send."""
    if not token:
        return JSONResponse(
            {"error": "ops_closed", "detail": "REVCYCLE_OPS_TOKEN is not set: the ops API is off"},
            status_code=403,
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return _unauthorized("send Authorization: Bearer <REVCYCLE_OPS_TOKEN>")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return _unauthorized("the bearer token is not the ops token")
    return None


def _unauthorized(detail: str) -> JSONResponse:
    return JSONResponse(
        {"error": "unauthorized", "detail": detail},
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )
