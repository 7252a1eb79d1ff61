"""Salesforce webhook firing: Outbound Message SOAP envelopes, Ack and retries, Flow callouts."""

from __future__ import annotations

import json
import re
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

from sandbox.emulators.salesforce import SalesforceConfig, build_app
from sandbox.emulators.salesforce.ids import make_id
from sandbox.serve import AppServer

CONFIG = SalesforceConfig()
OPPORTUNITIES = 260
ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
    '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack>'
    "</notificationsResponse></soapenv:Body></soapenv:Envelope>"
)


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    query: dict[str, str]


@dataclass
class Hub:
    """A stand-in for the gateway: checks the token and OrganizationId, answers with the Ack."""

    fail_first: int = 0
    received: list[Received] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = await request.body()
            self.received.append(Received(body, dict(request.headers), dict(request.query_params)))
            if len(self.received) <= self.fail_first:
                return Response("busy", status_code=503)
            if request.headers.get("content-type", "").startswith("application/json"):
                ok = request.headers.get("x-revcycle-token") == CONFIG.webhook_token
                return Response(status_code=204 if ok else 401)
            org = re.search(rb"<OrganizationId>([^<]*)</OrganizationId>", body)
            token_ok = request.query_params.get("token") == CONFIG.webhook_token
            if not token_ok or org is None or org.group(1).decode() != CONFIG.organization_id:
                return Response(status_code=401)
            return Response(ACK, media_type="text/xml")

        return Starlette(routes=[Route("/webhooks/salesforce", hook, methods=["POST"])])


def _opportunity(n: int) -> dict[str, Any]:
    record_id = make_id("006", n)
    return {
        "attributes": {
            "type": "Opportunity",
            "url": f"/services/data/v59.0/sobjects/Opportunity/{record_id}",
        },
        "Id": record_id,
        "Name": f"Deal <{n}> & co",
        "StageName": "Negotiation/Review",
        "IsClosed": False,
        "IsWon": False,
        "Amount": 1200.5,
        "IsDeleted": False,
        "SystemModstamp": "2026-01-01T00:00:00.000+0000",
        "LastModifiedDate": "2026-01-01T00:00:00.000+0000",
    }


def write_dataset(root: Path) -> None:
    opportunities = [_opportunity(n) for n in range(1, OPPORTUNITIES + 1)]
    (root / "salesforce").mkdir(parents=True)
    (root / "salesforce" / "Opportunity.json").write_text(json.dumps(opportunities))


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[AppServer]:
    write_dataset(tmp_path)
    with AppServer(build_app(tmp_path, SalesforceConfig(delivery_backoff_s=0.01))) as running:
        yield running


def serve_hub(recorder: Hub) -> AppServer:
    return AppServer(recorder.app())


def fire(emulator: AppServer, hub_url: str, scenario: str) -> list[dict[str, Any]]:
    answer = httpx.post(
        f"{emulator.url}/_sandbox/fire", json={"to": hub_url, "scenario": scenario}, timeout=30
    )
    answer.raise_for_status()
    deliveries: list[dict[str, Any]] = answer.json()["deliveries"]
    return deliveries


def opportunity(emulator: AppServer, record_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{emulator.url}/_sandbox/objects/Opportunity/{record_id}")
    answer.raise_for_status()
    found: dict[str, Any] = answer.json()
    return found


def test_opportunity_won_sends_an_outbound_message(emulator: AppServer) -> None:
    recorder = Hub()
    with serve_hub(recorder) as hub:
        deliveries = fire(emulator, hub.url, "opportunity_won")

    assert [(d["status"], d["attempts"]) for d in deliveries] == [(200, 1)]
    message = recorder.received[0]
    assert message.headers["content-type"] == "text/xml; charset=utf-8"
    assert message.headers["soapaction"] == '""'
    assert message.query == {"token": CONFIG.webhook_token}
    text = message.body.decode()
    assert '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">' in text
    for element in ("ActionId", "EnterpriseUrl", "PartnerUrl"):
        assert f"<{element}>" in text
    assert '<sObject xsi:type="sf:Opportunity"' in text
    assert "<sf:StageName>Closed Won</sf:StageName>" in text
    assert "<sf:Name>Deal &lt;1&gt; &amp; co</sf:Name>" in text
    won = opportunity(emulator, make_id("006", 1))
    assert won["IsWon"] is True
    assert won["SystemModstamp"] > "2026-01-01T00:00:00.000+0000"


def test_a_missing_ack_is_retried(emulator: AppServer) -> None:
    recorder = Hub(fail_first=1)
    with serve_hub(recorder) as hub:
        deliveries = fire(emulator, hub.url, "opportunity_won")

    assert [(d["status"], d["attempts"]) for d in deliveries] == [(200, 2)]
    assert recorder.received[0].body == recorder.received[1].body


def test_duplicates_repeat_the_same_notification(emulator: AppServer) -> None:
    recorder = Hub()
    with serve_hub(recorder) as hub:
        deliveries = fire(emulator, hub.url, "duplicates")

    assert deliveries[0]["id"] == deliveries[1]["id"]
    assert recorder.received[0].body == recorder.received[1].body


def test_forged_messages_are_refused_and_change_nothing(emulator: AppServer) -> None:
    recorder = Hub()
    with serve_hub(recorder) as hub:
        deliveries = fire(emulator, hub.url, "forged")

    assert [(d["status"], d["attempts"]) for d in deliveries] == [(401, 3), (401, 3)]
    assert opportunity(emulator, make_id("006", 1))["IsWon"] is False


def test_burst_sends_at_most_100_notifications_per_message(emulator: AppServer) -> None:
    recorder = Hub()
    with serve_hub(recorder) as hub:
        deliveries = fire(emulator, hub.url, "burst")

    assert [d["notifications"] for d in deliveries] == [100, 100, 50]
    counts = [r.body.count(b"<Notification>") for r in recorder.received]
    assert counts == [100, 100, 50]


def test_flow_callout_posts_json_with_the_shared_secret(emulator: AppServer) -> None:
    recorder = Hub()
    with serve_hub(recorder) as hub:
        deliveries = fire(emulator, hub.url, "flow_opportunity_won")

    assert deliveries[0]["status"] == 204
    received = recorder.received[0]
    assert received.headers["x-revcycle-token"] == CONFIG.webhook_token
    payload = json.loads(received.body)
    assert payload["organizationId"] == CONFIG.organization_id
    assert payload["records"][0]["StageName"] == "Closed Won"
