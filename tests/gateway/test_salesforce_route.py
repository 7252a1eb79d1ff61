from __future__ import annotations

from typing import Any

import orjson

from connectors.salesforce.webhooks import ACK_RESPONSE
from sandbox.emulators.salesforce.outbound import Message, envelope
from tests.gateway.conftest import SF_ORG, SF_TOKEN, Gateway, GatewayFactory, default_config

OPPORTUNITY: dict[str, Any] = {
    "attributes": {"type": "Opportunity"},
    "Id": "006000000000001AAA",
    "StageName": "Closed Won",
    "Amount": 1200.5,
}
TASK: dict[str, Any] = {"attributes": {"type": "Task"}, "Id": "00T000000000001AAA"}


def outbound(org: str = SF_ORG, records: list[dict[str, Any]] | None = None) -> bytes:
    chosen = records or [OPPORTUNITY]
    return envelope(
        Message(
            organization_id=org,
            action_id="04k000000000001AAA",
            enterprise_url="https://example.my.salesforce.com/services/Soap/c/59.0",
            partner_url="https://example.my.salesforce.com/services/Soap/u/59.0",
            notifications=[(f"04l00000000000{n}AAA", r) for n, r in enumerate(chosen)],
        )
    )


async def post_outbound(gateway: Gateway, body: bytes, query: str) -> Any:
    return await gateway.client.post(
        f"/webhooks/salesforce{query}",
        content=body,
        headers={"content-type": "text/xml; charset=utf-8", "soapaction": '"notifications"'},
    )


async def test_an_outbound_message_is_acked_with_the_exact_soap_envelope(gateway: Gateway) -> None:
    body = outbound(records=[OPPORTUNITY, TASK])
    response = await post_outbound(gateway, body, f"?token={SF_TOKEN}")
    assert response.status_code == 200
    assert response.content == ACK_RESPONSE
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    stored = await gateway.events()
    assert [(e.dedupe_key, e.event_type, e.status) for e in stored] == [
        ("04l000000000000AAA", "Opportunity", "received"),
        ("04l000000000001AAA", "Task", "ignored"),
    ]
    assert all(SF_TOKEN not in str(e.headers) for e in stored)


async def test_a_resent_outbound_message_is_acked_and_stored_once(gateway: Gateway) -> None:
    body = outbound()
    for _ in range(3):
        assert (await post_outbound(gateway, body, f"?token={SF_TOKEN}")).status_code == 200
    assert len(await gateway.events()) == 1


async def test_another_organization_is_refused(gateway: Gateway) -> None:
    response = await post_outbound(
        gateway, outbound(org="00D000000000999AAA"), f"?token={SF_TOKEN}"
    )
    assert response.status_code == 401
    assert await gateway.events() == []


async def test_a_wrong_or_missing_token_is_refused(gateway: Gateway) -> None:
    assert (await post_outbound(gateway, outbound(), "?token=wrong")).status_code == 401
    assert (await post_outbound(gateway, outbound(), "")).status_code == 401
    assert await gateway.events() == []


async def test_malformed_xml_is_400(gateway: Gateway) -> None:
    response = await post_outbound(gateway, b"<soapenv:Envelope", f"?token={SF_TOKEN}")
    assert response.status_code == 400
    assert await gateway.events() == []


async def test_an_entity_declaration_is_refused_as_malformed(gateway: Gateway) -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert (await post_outbound(gateway, bomb, f"?token={SF_TOKEN}")).status_code == 400


async def test_a_flow_callout_with_the_token_header_is_stored(gateway: Gateway) -> None:
    body = orjson.dumps({**OPPORTUNITY, "eventId": "flow-1"})
    response = await gateway.client.post(
        "/webhooks/salesforce",
        content=body,
        headers={"content-type": "application/json", "x-revcycle-token": SF_TOKEN},
    )
    assert response.status_code == 200
    [stored] = await gateway.events()
    assert (stored.dedupe_key, stored.event_type, stored.status) == (
        "flow-1",
        "Opportunity",
        "received",
    )
    assert "x-revcycle-token" not in stored.headers


async def test_a_flow_callout_with_a_wrong_token_is_refused(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/webhooks/salesforce",
        content=orjson.dumps(OPPORTUNITY),
        headers={"content-type": "application/json", "x-revcycle-token": "nope"},
    )
    assert response.status_code == 401
    assert await gateway.events() == []


async def test_without_org_id_outbound_messages_are_refused(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(default_config(salesforce_org_id=None))
    assert (await post_outbound(gateway, outbound(), f"?token={SF_TOKEN}")).status_code == 401
    assert await gateway.events() == []
