"""Size limits where sockets matter: a declared Content-Length over the limit, and a chunked body
that grows past it while streaming. A real uvicorn on a loopback port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx

from canonical.store import Store, inbox
from canonical.store.engine import connect
from gateway.app import create_app
from tests.gateway.conftest import (
    RecordingQueue,
    default_config,
    serving,
    stripe_event,
    stripe_signature,
)

LIMIT = 4096


async def stored_count(store: Store) -> int:
    async with connect(store.engine) as conn:
        return sum((await inbox.status_counts(conn)).values())


async def raw_exchange(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(65536), 5)
    writer.close()
    return answer


async def test_a_declared_length_over_the_limit_is_413_without_reading_the_body(
    store: Store,
) -> None:
    app = create_app(
        default_config(max_body_bytes=LIMIT), store=Store(store.engine), queue=RecordingQueue()
    )
    async with serving(app) as url:
        head = (
            b"POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10000000\r\n\r\n"
        )
        answer = await raw_exchange(url, head + b"{")
    assert answer.startswith(b"HTTP/1.1 413")
    assert await stored_count(store) == 0


async def test_a_chunked_body_growing_past_the_limit_is_413(store: Store) -> None:
    app = create_app(
        default_config(max_body_bytes=LIMIT), store=Store(store.engine), queue=RecordingQueue()
    )
    body = stripe_event("evt_big") + b" " * (LIMIT * 2)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1024):
            yield body[start : start + 1024]

    async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.post(
            "/webhooks/stripe",
            content=chunks(),
            headers={"stripe-signature": stripe_signature(body)},
        )
        assert "content-length" not in response.request.headers
        assert response.status_code == 413
        small = stripe_event("evt_small")
        ok = await client.post(
            "/webhooks/stripe", content=small, headers={"stripe-signature": stripe_signature(small)}
        )
        assert ok.status_code == 200
    assert await stored_count(store) == 1


async def test_a_non_numeric_content_length_is_refused(store: Store) -> None:
    app = create_app(default_config(), store=Store(store.engine), queue=RecordingQueue())
    async with serving(app) as url:
        answer = await raw_exchange(
            url, b"POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"
        )
    assert answer.startswith(b"HTTP/1.1 400")
    assert await stored_count(store) == 0
