"""Raw ASGI reading and writing for the webhook hot path: no Request or Response objects.

The body is read with the size limit applied twice: to `Content-Length` before reading anything,
and to the bytes actually received (a chunked or lying sender cannot get past it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from gateway.errors import Rejected

JSON = b"application/json"


class ClientGone(Exception):
    """The sender disconnected before its body arrived: there is no one to answer."""


@dataclass(frozen=True, slots=True)
class Delivery:
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
    chunks: list[bytes] = []
    size = 0
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
            break
    return Delivery(
        body=chunks[0] if len(chunks) == 1 else b"".join(chunks),
        headers=headers,
        query_string=scope.get("query_string", b""),
        path_params=scope.get("path_params", {}),
    )


async def respond(send: Send, status: int, body: bytes, content_type: bytes = JSON) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", b"%d" % len(body))],
        }
    )
    await send({"type": "http.response.body", "body": body})
