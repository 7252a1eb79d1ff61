from __future__ import annotations

import hashlib
import hmac
import time

import orjson

from connectors.generic import HmacScheme, sign_standard
from tests.gateway.conftest import STANDARD_SECRET, Gateway, GatewayFactory, default_config

BODY = orjson.dumps({"type": "order.created", "data": {"id": 1}})


def standard_headers(msg_id: str, body: bytes, *, at: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign_standard(STANDARD_SECRET, msg_id, timestamp, body),
        "content-type": "application/json",
    }


async def test_a_standard_webhook_is_stored_ignored_under_its_source_name(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/webhooks/acme", content=BODY, headers=standard_headers("msg_1", BODY)
    )
    assert response.status_code == 200
    [stored] = await gateway.events()
    assert (stored.source, stored.dedupe_key, stored.event_type) == (
        "acme",
        "msg_1",
        "order.created",
    )
    assert stored.status == "ignored"  # nothing processes generic sources yet


async def test_a_forged_or_stale_standard_webhook_is_refused(gateway: Gateway) -> None:
    forged = standard_headers("msg_2", BODY)
    forged["webhook-signature"] = "v1," + "A" * 44
    stale = standard_headers("msg_3", BODY, at=int(time.time()) - 3600)
    tampered = standard_headers("msg_4", BODY)
    for headers, body in [(forged, BODY), (stale, BODY), (tampered, BODY + b" ")]:
        response = await gateway.client.post("/webhooks/acme", content=body, headers=headers)
        assert response.status_code == 401
    assert await gateway.events() == []


async def test_a_signed_non_json_standard_webhook_is_400(gateway: Gateway) -> None:
    body = b"not json"
    response = await gateway.client.post(
        "/webhooks/acme", content=body, headers=standard_headers("msg_5", body)
    )
    assert response.status_code == 400


async def test_an_unknown_source_name_is_404(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/webhooks/nobody", content=BODY, headers=standard_headers("msg_6", BODY)
    )
    assert response.status_code == 404
    assert await gateway.events() == []


async def test_a_configured_hmac_scheme_accepts_its_signature_only(
    make_gateway: GatewayFactory,
) -> None:
    scheme = HmacScheme(
        secret="gh-secret",
        header="X-Hub-Signature-256",
        prefix="sha256=",
        id_header="X-GitHub-Delivery",
    )
    gateway = await make_gateway(default_config(generic_sources={"github": scheme}))
    good = "sha256=" + hmac.new(b"gh-secret", BODY, hashlib.sha256).hexdigest()
    headers = {"x-hub-signature-256": good, "x-github-delivery": "d-1"}
    assert (
        await gateway.client.post("/webhooks/github", content=BODY, headers=headers)
    ).status_code == 200
    headers["x-hub-signature-256"] = "sha256=" + "0" * 64
    assert (
        await gateway.client.post("/webhooks/github", content=BODY, headers=headers)
    ).status_code == 401
    [stored] = await gateway.events()
    assert stored.dedupe_key == "d-1"
