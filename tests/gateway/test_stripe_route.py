from __future__ import annotations

import time

import pytest

from tests.gateway.conftest import (
    Gateway,
    GatewayFactory,
    RecordingQueue,
    default_config,
    eventually,
    stripe_event,
    stripe_signature,
)


async def post_stripe(gateway: Gateway, body: bytes, signature: str | None) -> int:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["stripe-signature"] = signature
    response = await gateway.client.post("/webhooks/stripe", content=body, headers=headers)
    return response.status_code


async def test_a_signed_event_is_stored_received_and_its_job_queued(gateway: Gateway) -> None:
    body = stripe_event("evt_ok")
    response = await gateway.client.post(
        "/webhooks/stripe", content=body, headers={"stripe-signature": stripe_signature(body)}
    )
    assert response.status_code == 200
    assert response.json() == {"received": 1, "duplicates": 0}
    [stored] = await gateway.events()
    assert (stored.source, stored.dedupe_key, stored.event_type) == (
        "stripe",
        "evt_ok",
        "invoice.paid",
    )
    assert stored.status == "received"
    assert stored.body == body
    assert stored.headers["stripe-signature"].startswith("t=")
    assert isinstance(gateway.queue, RecordingQueue)
    await eventually(lambda: gateway.queue.processed == [stored.id])  # queued after the answer


async def test_five_deliveries_of_one_event_are_stored_once_and_all_answered_2xx(
    gateway: Gateway,
) -> None:
    body = stripe_event("evt_dup")
    statuses = [await post_stripe(gateway, body, stripe_signature(body)) for _ in range(5)]
    assert statuses == [200] * 5
    assert len(await gateway.events()) == 1
    assert isinstance(gateway.queue, RecordingQueue)
    await eventually(lambda: len(gateway.queue.processed) == 1)
    await gateway.queue.drain()
    assert len(gateway.queue.processed) == 1


async def test_an_unknown_event_type_is_stored_ignored_and_not_queued(gateway: Gateway) -> None:
    body = stripe_event("evt_odd", "radar.early_fraud_warning.created")
    assert await post_stripe(gateway, body, stripe_signature(body)) == 200
    [stored] = await gateway.events()
    assert stored.status == "ignored"
    known = stripe_event("evt_known")  # queued after the answer, as the odd one would have been
    assert await post_stripe(gateway, known, stripe_signature(known)) == 200
    assert isinstance(gateway.queue, RecordingQueue)
    await eventually(lambda: len(gateway.queue.processed) == 1)
    await gateway.queue.drain()
    assert gateway.queue.processed == [
        e.id for e in await gateway.events() if e.status != "ignored"
    ]


@pytest.mark.parametrize(
    ("body", "signature", "status"),
    [
        pytest.param(stripe_event(), None, 401, id="missing"),
        pytest.param(stripe_event(), "t=1,v1=" + "0" * 64, 401, id="forged"),
        pytest.param(
            stripe_event(),
            stripe_signature(stripe_event(), secret="whsec_other"),
            401,
            id="other key",
        ),
        pytest.param(
            stripe_event(),
            stripe_signature(stripe_event(), at=int(time.time()) - 3600),
            401,
            id="stale",
        ),
        pytest.param(b"{not json", stripe_signature(b"{not json"), 400, id="malformed"),
        pytest.param(
            b'{"object": "charge"}',
            stripe_signature(b'{"object": "charge"}'),
            400,
            id="not an event",
        ),
    ],
)
async def test_refused_deliveries_store_nothing(
    gateway: Gateway, body: bytes, signature: str | None, status: int
) -> None:
    assert await post_stripe(gateway, body, signature) == status
    assert await gateway.events() == []


async def test_a_body_over_the_limit_is_413_before_verification(
    make_gateway: GatewayFactory,
) -> None:
    gateway = await make_gateway(default_config(max_body_bytes=100))
    body = stripe_event() + b" " * 200
    assert await post_stripe(gateway, body, stripe_signature(body)) == 413
    assert await gateway.events() == []


async def test_without_a_secret_stripe_accepts_nothing(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(default_config(stripe_secret=None))
    body = stripe_event()
    response = await gateway.client.post(
        "/webhooks/stripe", content=body, headers={"stripe-signature": stripe_signature(body)}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "unconfigured"
    assert await gateway.events() == []


async def test_get_on_a_webhook_route_is_405(gateway: Gateway) -> None:
    assert (await gateway.client.get("/webhooks/stripe")).status_code == 405
