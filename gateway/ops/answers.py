"""The ops API's error answers: one JSON shape, `{"error", "detail"}` (the shared Error schema)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse


class BadParameter(ValueError):
    """A query parameter or body the operation does not accept: answered 400."""


def error_response(
    status: int, error: str, detail: str, *, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)
