"""Outbound Message and Flow callout verification: pure functions over bytes and a secret."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from connectors.salesforce.webhooks import (
    ACK_RESPONSE,
    FLOW_TOKEN_HEADER,
    SalesforceWebhookError,
    parse_outbound_message,
    verify_flow_callout,
    verify_outbound_message,
)
from sandbox.emulators.salesforce.outbound import Message, envelope

ORG = "00D000000005BANEA2"
SECRET = "outbound-secret"
OPPORTUNITY = {
    "attributes": {"type": "Opportunity"},
    "Id": "006000000000001AAA",
    "StageName": "Closed Won",
    "Amount": 1200.5,
    "IsWon": True,
    "Name": "Acme <renewal> & co",
}


def message(org: str = ORG, notifications: int = 1) -> bytes:
    return envelope(
        Message(
            organization_id=org,
            action_id="04k000000000001AAA",
            enterprise_url="https://example.my.salesforce.com/services/Soap/c/59.0",
            partner_url="https://example.my.salesforce.com/services/Soap/u/59.0",
            notifications=[(f"04l00000000000{n}AAA", OPPORTUNITY) for n in range(notifications)],
        )
    )


def test_outbound_message_is_parsed_into_notifications() -> None:
    parsed = verify_outbound_message(message(), SECRET, secret=SECRET, organization_id=ORG)
    assert parsed.organization_id == ORG
    assert parsed.action_id == "04k000000000001AAA"
    (note,) = parsed.notifications
    assert note.id == "04l000000000000AAA"
    assert note.sobject_type == "Opportunity"
    assert note.record_id == "006000000000001AAA"
    assert note.fields["StageName"] == "Closed Won"
    assert note.fields["Name"] == "Acme <renewal> & co"


def test_a_hundred_notifications_come_through_in_order() -> None:
    parsed = parse_outbound_message(message(notifications=100))
    assert [n.id for n in parsed.notifications][:2] == ["04l000000000000AAA", "04l000000000001AAA"]
    assert len(parsed.notifications) == 100


def test_15_character_org_id_matches_the_18_character_one() -> None:
    parsed = verify_outbound_message(message(), SECRET, secret=SECRET, organization_id=ORG[:15])
    assert parsed.organization_id == ORG


@pytest.mark.parametrize(
    ("token", "org", "reason"),
    [
        (None, ORG, "missing_signature"),
        ("", ORG, "missing_signature"),
        ("outbound-secreT", ORG, "bad_signature"),
        (SECRET, "00D000000009OTHER2", "bad_signature"),
    ],
)
def test_outbound_message_refused(token: str | None, org: str, reason: str) -> None:
    with pytest.raises(SalesforceWebhookError) as caught:
        verify_outbound_message(message(org=org), token, secret=SECRET, organization_id=ORG)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "body",
    [
        b"not xml at all",
        b"<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/'/>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>',
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "a">]><x>&a;</x>'.encode(
            "utf-16"
        ),
        message()
        .replace(b"<OrganizationId>", b"<Other>")
        .replace(b"</OrganizationId>", b"</Other>"),
    ],
)
def test_malformed_or_entity_laden_xml_is_refused(body: bytes) -> None:
    with pytest.raises(SalesforceWebhookError) as caught:
        parse_outbound_message(body)
    assert caught.value.reason == "malformed"


def test_ack_is_what_salesforce_reads_as_delivered() -> None:
    text = ACK_RESPONSE.decode()
    assert '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">' in text
    assert "<Ack>true</Ack>" in text


def test_flow_callout_with_the_shared_secret_is_parsed_with_exact_amounts() -> None:
    body = json.dumps({"recordId": "006000000000001AAA", "amount": 1200.10}).encode()
    payload = verify_flow_callout(body, {"x-revcycle-token": SECRET}, secret=SECRET)
    assert payload["amount"] == Decimal("1200.10")


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        ({}, b"{}", "missing_signature"),
        ({FLOW_TOKEN_HEADER: "nope"}, b"{}", "bad_signature"),
        ({FLOW_TOKEN_HEADER: SECRET}, b"{not json", "malformed"),
        ({FLOW_TOKEN_HEADER: SECRET}, b"[1, 2]", "malformed"),
    ],
)
def test_flow_callout_refused(headers: dict[str, str], body: bytes, reason: str) -> None:
    with pytest.raises(SalesforceWebhookError) as caught:
        verify_flow_callout(body, headers, secret=SECRET)
    assert caught.value.reason == reason
