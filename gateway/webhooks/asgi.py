"""Raw ASGI reading and writing for the webhook hot path: no Request or Response objects.

The body is read with the size limit applied twice: to `Content-Length` before reading anything,
and to the bytes actually received (a chunked or lying sender cannot get past it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from gateway.errors import Rejected

JSON = b"application/json"


class ClientGone(Exception):
    """The sender disconnected before its body arrived: there is no one to answer."""


class Delivery(NamedTuple):
    """One request as the verifiers see it. A named tuple: built once per request, and a frozen
    dataclass's `__init__` costs about three times as much."""

    body: bytes
    headers: Mapping[str, str]  # lower-case names
    query_string: bytes
    path_params: Mapping[str, Any]

    def query(self, name: str) -> str | None:
        values = parse_qs(self.query_string.decode("latin-1")).get(name)
        return values[0] if values else None


def header_map(scope: Scope) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
    }


async def read_delivery(scope: Scope, receive: Receive, limit: int) -> Delivery:
    headers = header_map(scope)
    declared = headers.get("content-length")
    if declared is not None:
        if not declared.isascii() or not declared.strip().isdigit():
            raise Rejected(400, "malformed", "Content-Length is not a number")
        if int(declared) > limit:
            raise Rejected(413, "too_large", f"the body is larger than {limit} bytes")
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientGone
    body: bytes = message.get("body", b"")
    if len(body) > limit:
        raise Rejected(413, "too_large", f"the body is larger than {limit} bytes")
    if message.get("more_body", False):
        body = await _rest_of_body(receive, body, limit)
    return Delivery(body, headers, scope.get("query_string", b""), scope.get("path_params", {}))


async def _rest_of_body(receive: Receive, first: bytes, limit: int) -> bytes:
    """The chunks after the first (a body sent in pieces), joined, within `limit` in total."""
    chunks = [first]
    size = len(first)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Rejected(413, "too_large", f"the body is larger than {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def respond(send: Send, status: int, body: bytes, content_type: bytes = JSON) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", b"%d" % len(body))],
        }
    )
    await send({"type": "http.response.body", "body": body})
