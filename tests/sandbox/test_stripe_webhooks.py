"""Stripe webhook scenarios and the admin API: state changes, event envelopes, signatures."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.stripe import StripeConfig, build_app, objects
from sandbox.serve import AppServer

CONFIG = StripeConfig(api_key="sk_test_webhooks_key", webhook_secret="whsec_test_secret_abc")


class Receiver:
    """A stand-in hub endpoint that verifies like the real one, with stripe.Webhook."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.rejected = 0
        self.fail_next = 0

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        if self.fail_next:
            self.fail_next -= 1
            return Response(status_code=503)
        try:
            stripe.Webhook.construct_event(
                body, request.headers.get("stripe-signature"), CONFIG.webhook_secret
            )
        except stripe.SignatureVerificationError:
            self.rejected += 1
            return Response(status_code=401)
        self.events.append(orjson.loads(body))
        return Response(status_code=200)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    recv = Receiver()
    app = Starlette(routes=[Route("/webhooks/stripe", recv.endpoint, methods=["POST"])])
    with AppServer(app) as server:
        yield recv, server.url


def _dataset(data_dir: Path) -> dict[str, Any]:
    (data_dir / "stripe").mkdir(parents=True)
    customer = objects.customer(email="carol@example.com", name="Carol", created=1_700_000_000)
    invoices = [
        objects.invoice(customer_id=customer["id"], amount=amount, created=1_700_000_000 + i)
        for i, amount in enumerate((5000, 7000, 9000, 11000))
    ]
    files = {"customers": [customer], "invoices": invoices}
    for name, items in files.items():
        (data_dir / "stripe" / f"{name}.json").write_bytes(orjson.dumps(items))
    return {"customer": customer, "invoices": invoices}


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[tuple[AppServer, dict[str, Any]]]:
    data = _dataset(tmp_path)
    with AppServer(build_app(tmp_path, CONFIG)) as server:
        yield server, data


@pytest.fixture
def sdk(emulator: tuple[AppServer, dict[str, Any]]) -> Iterator[stripe.StripeClient]:
    transport = stripe.HTTPXClient(allow_sync_methods=True)
    yield stripe.StripeClient(
        CONFIG.api_key, base_addresses={"api": emulator[0].url}, http_client=transport
    )
    transport.close()  # type: ignore[no-untyped-call]


def _fire(server: AppServer, to: str, scenario: str) -> list[dict[str, Any]]:
    response = httpx.post(
        server.url + "/_sandbox/fire", json={"to": to, "scenario": scenario}, timeout=30
    )
    assert response.status_code == 200, response.text
    deliveries: list[dict[str, Any]] = response.json()["deliveries"]
    return deliveries


def test_payment_failed_then_recovered_changes_state_and_delivers_in_order(
    emulator: tuple[AppServer, dict[str, Any]],
    receiver: tuple[Receiver, str],
    sdk: stripe.StripeClient,
) -> None:
    server, data = emulator
    deliveries = _fire(server, receiver[1], "payment_failed_then_recovered")
    assert [d["type"] for d in deliveries] == [
        "invoice.payment_failed",
        "charge.failed",
        "charge.succeeded",
        "invoice_payment.paid",
        "invoice.paid",
    ]
    assert {d["status"] for d in deliveries} == {200}
    newest = data["invoices"][-1]
    invoice = sdk.v1.invoices.retrieve(newest["id"])
    assert (invoice.status, invoice.amount_paid, invoice.amount_remaining) == ("paid", 11000, 0)
    assert invoice.attempt_count == 2
    payments = sdk.v1.invoice_payments.list({"invoice": newest["id"]})
    assert [p.amount_paid for p in payments.data] == [11000]


def test_failed_charge_carries_a_real_decline(
    emulator: tuple[AppServer, dict[str, Any]],
    receiver: tuple[Receiver, str],
) -> None:
    _fire(emulator[0], receiver[1], "payment_failed_then_recovered")
    failed = next(e for e in receiver[0].events if e["type"] == "charge.failed")
    charge = failed["data"]["object"]
    assert (charge["status"], charge["outcome"]["reason"]) == ("failed", "insufficient_funds")


def test_delivered_events_have_stripe_envelopes_and_are_listed(
    emulator: tuple[AppServer, dict[str, Any]],
    receiver: tuple[Receiver, str],
    sdk: stripe.StripeClient,
) -> None:
    _fire(emulator[0], receiver[1], "invoice_paid")
    event = receiver[0].events[-1]
    assert set(event) == {
        "id",
        "object",
        "api_version",
        "created",
        "data",
        "livemode",
        "pending_webhooks",
        "request",
        "type",
    }
    assert (event["object"], event["type"], event["api_version"]) == (
        "event",
        "invoice.paid",
        CONFIG.api_version,
    )
    assert abs(event["created"] - time.time()) < 5
    listed = sdk.v1.events.list({"type": "invoice.paid"})
    assert [e.id for e in listed.data] == [event["id"]]


def test_forged_delivery_fails_verification_and_changes_nothing(
    emulator: tuple[AppServer, dict[str, Any]],
    receiver: tuple[Receiver, str],
    sdk: stripe.StripeClient,
) -> None:
    deliveries = _fire(emulator[0], receiver[1], "forged")
    assert [(d["status"], d["attempts"]) for d in deliveries] == [(401, 1)]
    assert (receiver[0].rejected, receiver[0].events) == (1, [])
    assert sdk.v1.events.list().data == []
    assert sdk.v1.invoices.retrieve(emulator[1]["invoices"][-1]["id"]).status == "open"


def test_duplicates_deliver_one_event_five_times(
    emulator: tuple[AppServer, dict[str, Any]], receiver: tuple[Receiver, str]
) -> None:
    deliveries = _fire(emulator[0], receiver[1], "duplicates")
    paid = [d for d in deliveries if d["type"] == "invoice.paid"]
    assert len(paid) == 5
    assert len({d["id"] for d in paid}) == 1


def test_out_of_order_delivers_invoice_updates_newest_first(
    emulator: tuple[AppServer, dict[str, Any]],
    receiver: tuple[Receiver, str],
    sdk: stripe.StripeClient,
) -> None:
    _fire(emulator[0], receiver[1], "out_of_order")
    events = receiver[0].events
    assert [e["type"] for e in events] == ["invoice.updated"] * 3
    created = [e["created"] for e in events]
    assert created == sorted(created, reverse=True)
    assert len(set(created)) == 3
    newest_due = events[0]["data"]["object"]["due_date"]
    invoice = sdk.v1.invoices.retrieve(events[0]["data"]["object"]["id"])
    assert invoice.due_date == newest_due
    assert events[-1]["data"]["previous_attributes"]["due_date"] == newest_due - 3 * 86400


def test_dispute_created_disputes_a_paid_charge(
    emulator: tuple[AppServer, dict[str, Any]],
    receiver: tuple[Receiver, str],
    sdk: stripe.StripeClient,
) -> None:
    deliveries = _fire(emulator[0], receiver[1], "dispute_created")
    assert deliveries[-1]["type"] == "charge.dispute.created"
    dispute = receiver[0].events[-1]["data"]["object"]
    charge = sdk.v1.charges.retrieve(dispute["charge"])
    assert charge.disputed is True
    assert sdk.v1.disputes.list({"charge": charge.id}).data[0].status == "needs_response"


def test_customer_deleted_leaves_a_deleted_stub(
    emulator: tuple[AppServer, dict[str, Any]],
    receiver: tuple[Receiver, str],
    sdk: stripe.StripeClient,
) -> None:
    deliveries = _fire(emulator[0], receiver[1], "customer_deleted")
    assert [d["type"] for d in deliveries] == ["customer.deleted"]
    customer = sdk.v1.customers.retrieve(emulator[1]["customer"]["id"])
    assert customer.to_dict()["deleted"] is True


def test_burst_runs_every_scenario_and_only_the_forgery_is_rejected(
    emulator: tuple[AppServer, dict[str, Any]], receiver: tuple[Receiver, str]
) -> None:
    deliveries = _fire(emulator[0], receiver[1], "burst")
    statuses = [d["status"] for d in deliveries]
    assert statuses.count(401) == 1
    assert statuses.count(200) == len(deliveries) - 1
    assert receiver[0].rejected == 1


def test_a_failing_endpoint_is_retried(
    emulator: tuple[AppServer, dict[str, Any]], receiver: tuple[Receiver, str]
) -> None:
    receiver[0].fail_next = 1
    deliveries = _fire(emulator[0], receiver[1], "customer_deleted")
    assert [(d["status"], d["attempts"]) for d in deliveries] == [(200, 2)]


def test_unknown_scenario_is_a_400(emulator: tuple[AppServer, dict[str, Any]]) -> None:
    response = httpx.post(
        emulator[0].url + "/_sandbox/fire", json={"to": "http://x", "scenario": "meteor"}
    )
    assert response.status_code == 400
    assert "payment_failed_then_recovered" in response.json()["error"]


def test_admin_changes_emit_created_updated_and_deleted_events(
    emulator: tuple[AppServer, dict[str, Any]], sdk: stripe.StripeClient
) -> None:
    base = emulator[0].url + "/_sandbox/objects/customers"
    new = objects.customer(email="dan@example.com", name="Dan")
    assert httpx.post(base, json=new).status_code == 201
    patched = httpx.patch(f"{base}/{new['id']}", json={"email": "dan@new.example.com"})
    assert patched.json()["email"] == "dan@new.example.com"
    assert httpx.delete(f"{base}/{new['id']}").status_code == 200
    assert httpx.get(f"{base}/{new['id']}").status_code == 404
    events = sdk.v1.events.list().data
    assert [e.type for e in events] == ["customer.deleted", "customer.updated", "customer.created"]
    assert events[1].data.to_dict()["previous_attributes"] == {"email": "dan@example.com"}
