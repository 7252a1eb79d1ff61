from __future__ import annotations

import pytest

from sandbox.emulators.quickbooks.webhooks import cloudevents_payload, legacy_payload, signature
from tests.gateway.conftest import QBO_TOKEN, Gateway, GatewayFactory, default_config

REALM = "9130350000000001"
CHANGES = [
    (
        "Invoice",
        "Update",
        {"Id": "17", "MetaData": {"LastUpdatedTime": "2026-01-05T09:00:00-08:00"}},
    ),
    (
        "Payment",
        "Create",
        {"Id": "42", "MetaData": {"LastUpdatedTime": "2026-01-05T09:01:00-08:00"}},
    ),
    ("Vendor", "Update", {"Id": "7", "MetaData": {"LastUpdatedTime": "2026-01-05T09:02:00-08:00"}}),
]


async def post(gateway: Gateway, body: bytes, sig: str | None) -> int:
    headers = {"content-type": "application/json"}
    if sig is not None:
        headers["intuit-signature"] = sig
    response = await gateway.client.post("/webhooks/quickbooks", content=body, headers=headers)
    return response.status_code


async def test_a_legacy_delivery_stores_one_row_per_entity_change(gateway: Gateway) -> None:
    body = legacy_payload(REALM, CHANGES)
    assert await post(gateway, body, signature(QBO_TOKEN.encode(), body)) == 200
    stored = await gateway.events()
    assert [e.event_type for e in stored] == ["Invoice.Update", "Payment.Create", "Vendor.Update"]
    assert [e.status for e in stored] == ["received", "received", "ignored"]
    assert all(e.body == body and e.dedupe_key.startswith("legacy:") for e in stored)


async def test_a_cloudevents_delivery_keys_rows_by_event_id_and_keeps_the_type(
    gateway: Gateway,
) -> None:
    body = cloudevents_payload(REALM, CHANGES)
    assert await post(gateway, body, signature(QBO_TOKEN.encode(), body)) == 200
    stored = await gateway.events()
    assert [e.event_type for e in stored] == [
        "qbo.invoice.updated.v1",
        "qbo.payment.created.v1",
        "qbo.vendor.updated.v1",
    ]
    assert [e.status for e in stored] == ["received", "received", "ignored"]
    assert len({e.dedupe_key for e in stored}) == 3


async def test_a_redelivered_legacy_notification_is_stored_once(gateway: Gateway) -> None:
    body = legacy_payload(REALM, CHANGES[:1])
    sig = signature(QBO_TOKEN.encode(), body)
    assert [await post(gateway, body, sig) for _ in range(3)] == [200, 200, 200]
    assert len(await gateway.events()) == 1


@pytest.mark.parametrize(
    ("body", "sig", "status"),
    [
        pytest.param(legacy_payload(REALM, CHANGES), None, 401, id="missing"),
        pytest.param(legacy_payload(REALM, CHANGES), "bm90LWl0", 401, id="forged"),
        pytest.param(legacy_payload(REALM, CHANGES), "%%%", 401, id="not base64"),
        pytest.param(b"[{]", signature(QBO_TOKEN.encode(), b"[{]"), 400, id="malformed"),
        pytest.param(
            b'{"other": 1}', signature(QBO_TOKEN.encode(), b'{"other": 1}'), 400, id="unknown shape"
        ),
    ],
)
async def test_refused_quickbooks_deliveries_store_nothing(
    gateway: Gateway, body: bytes, sig: str | None, status: int
) -> None:
    assert await post(gateway, body, sig) == status
    assert await gateway.events() == []


async def test_without_a_verifier_token_quickbooks_accepts_nothing(
    make_gateway: GatewayFactory,
) -> None:
    gateway = await make_gateway(default_config(quickbooks_verifier_token=None))
    body = legacy_payload(REALM, CHANGES)
    assert await post(gateway, body, signature(QBO_TOKEN.encode(), body)) == 401
    assert await gateway.events() == []
