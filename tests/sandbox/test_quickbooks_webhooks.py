"""QuickBooks webhook firing: state changes, both payload formats and the `intuit-signature`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.quickbooks import QuickBooksConfig, build_app
from sandbox.serve import AppServer

CONFIG = QuickBooksConfig()
INVOICES = 105


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]


@dataclass
class Hub:
    """A stand-in for the gateway: verifies the signature as the hub must, records every call."""

    received: list[Received] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = await request.body()
            self.received.append(Received(body, dict(request.headers)))
            expected = base64.b64encode(
                hmac.new(CONFIG.webhook_verifier_token.encode(), body, hashlib.sha256).digest()
            ).decode()
            given = request.headers.get("intuit-signature", "")
            return Response(status_code=200 if hmac.compare_digest(given, expected) else 401)

        return Starlette(routes=[Route("/webhooks/quickbooks", hook, methods=["POST"])])


def write_dataset(root: Path) -> None:
    invoices = [
        {
            "Id": str(n),
            "SyncToken": "0",
            "MetaData": {
                "CreateTime": "2026-01-01T00:00:00+00:00",
                "LastUpdatedTime": "2026-01-01T00:00:00+00:00",
            },
            "CustomerRef": {"value": "1"},
            "TotalAmt": 50.5,
            "Balance": 50.5 if n % 2 else 0,
            "CurrencyRef": {"value": "USD"},
        }
        for n in range(1, INVOICES + 1)
    ]
    customers = [{"Id": "1", "SyncToken": "0", "DisplayName": "Customer 1"}]
    (root / "quickbooks").mkdir(parents=True)
    (root / "quickbooks" / "Invoice.json").write_text(json.dumps(invoices))
    (root / "quickbooks" / "Customer.json").write_text(json.dumps(customers))


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[AppServer]:
    write_dataset(tmp_path)
    with AppServer(build_app(tmp_path, QuickBooksConfig(delivery_backoff_s=0.01))) as running:
        yield running


@pytest.fixture
def hub() -> Iterator[tuple[Hub, AppServer]]:
    recorder = Hub()
    with AppServer(recorder.app()) as running:
        yield recorder, running


def fire(emulator: AppServer, hub: AppServer, scenario: str) -> list[dict[str, Any]]:
    answer = httpx.post(
        f"{emulator.url}/_sandbox/fire", json={"to": hub.url, "scenario": scenario}, timeout=30
    )
    answer.raise_for_status()
    deliveries: list[dict[str, Any]] = answer.json()["deliveries"]
    return deliveries


def entity(emulator: AppServer, name: str, entity_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{emulator.url}/_sandbox/objects/{name}/{entity_id}")
    answer.raise_for_status()
    found: dict[str, Any] = answer.json()
    return found


def test_invoice_updated_sends_signed_legacy_notification(
    emulator: AppServer, hub: tuple[Hub, AppServer]
) -> None:
    recorder, server = hub

    deliveries = fire(emulator, server, "invoice_updated")

    assert [(d["status"], d["attempts"]) for d in deliveries] == [(200, 1)]
    payload = json.loads(recorder.received[0].body)
    notification = payload["eventNotifications"][0]
    assert notification["realmId"] == CONFIG.realm_id
    change = notification["dataChangeEvent"]["entities"][0]
    assert (change["name"], change["id"], change["operation"]) == ("Invoice", "1", "Update")
    invoice = entity(emulator, "Invoice", "1")
    assert invoice["SyncToken"] == "1"
    assert invoice["MetaData"]["LastUpdatedTime"] == change["lastUpdated"]
    assert invoice["MetaData"]["LastUpdatedTime"] > "2026-01-01T00:00:00+00:00"


def test_invoice_updated_in_cloudevents_format(
    emulator: AppServer, hub: tuple[Hub, AppServer]
) -> None:
    recorder, server = hub

    deliveries = fire(emulator, server, "invoice_updated_cloudevents")

    assert deliveries[0]["status"] == 200
    events = json.loads(recorder.received[0].body)
    assert isinstance(events, list)
    event = events[0]
    assert event["specversion"] == "1.0"
    assert event["type"] == "qbo.invoice.updated.v1"
    assert event["intuitentityid"] == "1"
    assert event["intuitaccountid"] == CONFIG.realm_id
    assert {"id", "source", "time", "datacontenttype", "data"} <= set(event)


def test_payment_created_pays_an_open_invoice(
    emulator: AppServer, hub: tuple[Hub, AppServer]
) -> None:
    recorder, server = hub

    deliveries = fire(emulator, server, "payment_created")

    assert deliveries[0]["status"] == 200
    changes = json.loads(recorder.received[0].body)["eventNotifications"][0]["dataChangeEvent"]
    pairs = [(c["name"], c["operation"]) for c in changes["entities"]]
    assert pairs == [("Payment", "Create"), ("Invoice", "Update")]
    payment = entity(emulator, "Payment", changes["entities"][0]["id"])
    assert payment["TotalAmt"] == 50.5
    assert payment["Line"][0]["LinkedTxn"] == [{"TxnId": "1", "TxnType": "Invoice"}]
    assert entity(emulator, "Invoice", "1")["Balance"] == 0


def test_duplicates_send_the_same_body_twice(
    emulator: AppServer, hub: tuple[Hub, AppServer]
) -> None:
    recorder, server = hub

    deliveries = fire(emulator, server, "duplicates")

    assert [d["status"] for d in deliveries] == [200, 200]
    assert recorder.received[0].body == recorder.received[1].body


def test_forged_delivery_fails_verification_and_is_retried(
    emulator: AppServer, hub: tuple[Hub, AppServer]
) -> None:
    recorder, server = hub

    deliveries = fire(emulator, server, "forged")

    assert [(d["status"], d["attempts"]) for d in deliveries] == [(401, 3)]
    assert len(recorder.received) == 3
    assert entity(emulator, "Invoice", "1")["SyncToken"] == "0"


def test_burst_batches_many_invoice_changes(
    emulator: AppServer, hub: tuple[Hub, AppServer]
) -> None:
    recorder, server = hub

    deliveries = fire(emulator, server, "burst")

    assert len(deliveries) == 10
    assert all(d["status"] == 200 for d in deliveries)
    ids = [
        change["id"]
        for received in recorder.received
        for change in json.loads(received.body)["eventNotifications"][0]["dataChangeEvent"][
            "entities"
        ]
    ]
    assert ids == [str(n) for n in range(1, 101)]


def test_unknown_scenario_is_a_clear_400(emulator: AppServer) -> None:
    answer = httpx.post(
        f"{emulator.url}/_sandbox/fire", json={"to": "http://127.0.0.1:9", "scenario": "nope"}
    )

    assert answer.status_code == 400
    assert "invoice_updated" in answer.json()["error"]
