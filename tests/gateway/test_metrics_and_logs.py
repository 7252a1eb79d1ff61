"""Metrics exposed with the `revcycle_` prefix, and no secret in logs whatever arrives."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import structlog

from hub.logging import configure_logging
from sandbox.emulators.quickbooks.webhooks import legacy_payload, signature
from tests.gateway.conftest import (
    OPS_TOKEN,
    QBO_TOKEN,
    SF_TOKEN,
    STRIPE_SECRET,
    Gateway,
    stripe_event,
    stripe_signature,
)


async def post_stripe(gateway: Gateway, body: bytes, sig: str) -> int:
    response = await gateway.client.post(
        "/webhooks/stripe", content=body, headers={"stripe-signature": sig}
    )
    return response.status_code


async def test_metrics_count_received_duplicates_rejections_and_read_the_inbox(
    gateway: Gateway,
) -> None:
    body = stripe_event("evt_m1")
    assert await post_stripe(gateway, body, stripe_signature(body)) == 200
    assert await post_stripe(gateway, body, stripe_signature(body)) == 200
    assert await post_stripe(gateway, body, "t=1,v1=00") == 401
    text = (await gateway.client.get("/metrics")).text
    assert 'revcycle_webhooks_received_total{source="stripe"} 1.0' in text
    assert 'revcycle_webhooks_duplicates_total{source="stripe"} 1.0' in text
    assert 'revcycle_webhooks_rejected_total{reason="bad_signature",source="stripe"} 1.0' in text
    assert 'revcycle_inbox_events{status="received"} 1.0' in text
    assert "revcycle_queue_lag_seconds" in text
    names = [line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"]
    assert names
    assert all(name.startswith("revcycle_") for name in names)


async def test_a_refusal_before_the_body_is_read_is_counted_under_its_route(
    gateway: Gateway,
) -> None:
    oversize = b"{" + b" " * (64 * 1024) + b"}"
    assert await post_stripe(gateway, oversize, "t=1,v1=00") == 413
    unknown = await gateway.client.post("/webhooks/nobody", content=b"{}")
    assert unknown.status_code == 404
    text = (await gateway.client.get("/metrics")).text
    assert 'revcycle_webhooks_rejected_total{reason="too_large",source="stripe"} 1.0' in text
    assert 'revcycle_webhooks_rejected_total{reason="unknown_source",source="unknown"} 1.0' in text


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """The production log pipeline (JSON, redaction) at debug level, writing into a buffer."""
    saved = structlog.get_config()
    configure_logging("json", "debug")
    buffer = io.StringIO()
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(file=buffer),
        cache_logger_on_first_use=False,
    )
    yield buffer
    structlog.configure(**saved)


async def test_no_secret_signature_or_token_reaches_the_logs(
    gateway: Gateway, captured_logs: io.StringIO
) -> None:
    good = stripe_event("evt_log")
    good_signature = stripe_signature(good)
    forged_signature = "t=1,v1=" + "ab" * 32
    await post_stripe(gateway, good, good_signature)
    await post_stripe(gateway, good, forged_signature)
    qbo = legacy_payload("123", [("Invoice", "Update", {"Id": "1"})])
    qbo_signature = signature(QBO_TOKEN.encode(), qbo)
    await gateway.client.post(
        "/webhooks/quickbooks", content=qbo, headers={"intuit-signature": qbo_signature}
    )
    await gateway.client.post(
        "/webhooks/quickbooks", content=b"{}", headers={"intuit-signature": "Zm9v"}
    )
    await gateway.client.post(f"/webhooks/salesforce?token={SF_TOKEN}", content=b"<bad")
    await gateway.client.post("/webhooks/salesforce?token=guessed-token-xyz", content=b"<x/>")
    await gateway.client.get("/ops/events", headers={"Authorization": f"Bearer {OPS_TOKEN}"})
    await gateway.client.get("/ops/events", headers={"Authorization": "Bearer wrong-ops-token-1"})
    logs = captured_logs.getvalue()
    assert '"source": "stripe"' in logs or '"source":"stripe"' in logs
    assert "webhook.rejected" in logs
    for secret in (
        STRIPE_SECRET,
        QBO_TOKEN,
        SF_TOKEN,
        OPS_TOKEN,
        good_signature.split("v1=")[1],
        forged_signature.split("v1=")[1],
        qbo_signature,
        "guessed-token-xyz",
        "wrong-ops-token-1",
    ):
        assert secret not in logs
