"""Hypothesis over bodies and headers on every webhook route: never a 5xx.

Half the examples are correctly signed, so the parsers behind verification get fuzzed too.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.generic import sign_standard
from tests.gateway.conftest import (
    QBO_TOKEN,
    SF_TOKEN,
    STANDARD_SECRET,
    Gateway,
    stripe_signature,
)

ROUTES = ["stripe", "quickbooks", "salesforce", "acme", "nobody"]
HEADER_NAMES = [
    "stripe-signature",
    "intuit-signature",
    "x-revcycle-token",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "content-type",
    "content-length",
]
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
shaped = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=8) | st.integers(),
        "object": st.sampled_from(["event", "charge"]),
        "type": st.text(max_size=12) | st.sampled_from(["invoice.paid", "qbo.invoice.updated.v1"]),
        "data": json_values,
        "eventNotifications": json_values,
        "specversion": st.just("1.0"),
        "intuitaccountid": st.text(max_size=5),
        "intuitentityid": st.text(max_size=5),
    },
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    shaped.map(lambda v: json.dumps(v).encode()),
    st.lists(shaped, max_size=3).map(lambda v: json.dumps(v).encode()),
    st.text(max_size=200).map(lambda t: f"<?xml version='1.0'?><a>{t}</a>".encode()),
    st.sampled_from([b"", b"<", b"[", b"{", b"\xff\xfe", b"<!DOCTYPE x>"]),
)


def sign(route: str, body: bytes, headers: dict[str, str]) -> str:
    """Make the delivery genuine for its route; returns the query string to use."""
    if route == "stripe":
        headers["stripe-signature"] = stripe_signature(body)
    elif route == "quickbooks":
        digest = hmac.new(QBO_TOKEN.encode(), body, hashlib.sha256).digest()
        headers["intuit-signature"] = base64.b64encode(digest).decode()
    elif route == "salesforce":
        headers.setdefault("x-revcycle-token", SF_TOKEN)
        return f"?token={SF_TOKEN}"
    elif route == "acme":
        now = int(time.time())
        headers["webhook-id"] = headers.get("webhook-id") or "msg_fuzz"
        headers["webhook-timestamp"] = str(now)
        headers["webhook-signature"] = sign_standard(
            STANDARD_SECRET, headers["webhook-id"], now, body
        )
    return ""


async def test_no_delivery_yields_a_server_error(gateway: Gateway) -> None:
    loop = asyncio.get_running_loop()
    seen: list[int] = []

    async def post(route: str, body: bytes, headers: dict[str, str], query: str) -> int:
        response = await gateway.client.post(
            f"/webhooks/{route}{query}", content=body, headers=headers
        )
        return response.status_code

    @settings(
        max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(
        route=st.sampled_from(ROUTES),
        body=bodies,
        headers=st.dictionaries(st.sampled_from(HEADER_NAMES), header_text, max_size=4),
        signed=st.booleans(),
    )
    def check(route: str, body: bytes, headers: dict[str, Any], signed: bool) -> None:
        headers = {k: v for k, v in headers.items() if k != "content-length"}
        query = sign(route, body, headers) if signed else ""
        status = asyncio.run_coroutine_threadsafe(post(route, body, headers, query), loop).result()
        seen.append(status)
        assert status < 500, (route, body, headers, status)

    await asyncio.to_thread(check)
    assert 200 in seen  # the signed half really reached the store
    assert {400, 401} <= set(seen)
