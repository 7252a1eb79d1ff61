"""Salesforce webhooks: Outbound Messages (SOAP) and Flow HTTP callouts (JSON). Pure functions
over the raw body, the headers or query token, and the shared secret.

Outbound Messages carry no signature and cannot set headers: the endpoint URL carries the shared
secret as `?token=`, and the envelope's `OrganizationId` must be ours. Salesforce resends a
message until it reads `<Ack>true</Ack>`, for up to 24 hours, so the receiver answers with
`ACK_RESPONSE` once the message is stored. Reference:
https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_wsdl.htm
"""

from __future__ import annotations

import hmac
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from xml.parsers import expat

OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
FLOW_TOKEN_HEADER = "X-Revcycle-Token"  # noqa: S105 - a header name, not a secret
MAX_NOTIFICATIONS = 100

ACK_RESPONSE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}">'
    "<soapenv:Body>"
    f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>'
    "</soapenv:Body></soapenv:Envelope>"
).encode()
ACK_CONTENT_TYPE = "text/xml; charset=utf-8"

Reason = Literal["missing_signature", "bad_signature", "stale", "malformed"]


class SalesforceWebhookError(ValueError):
    """A webhook we refuse; `reason` is what the gateway reports (401 or 400)."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class Notification:
    id: str  # the notification's own id: the dedupe key of a (re)delivery
    sobject_type: str
    fields: Mapping[str, str | None]

    @property
    def record_id(self) -> str | None:
        return self.fields.get("Id")


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    organization_id: str
    action_id: str
    notifications: tuple[Notification, ...]


def secret_matches(given: str | None, secret: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), secret.encode())


def verify_outbound_message(
    body: bytes, token: str | None, *, secret: str, organization_id: str
) -> OutboundMessage:
    """Check the `?token=` secret, parse the envelope, check the org: the message, or an error."""
    if not token:
        raise SalesforceWebhookError("missing_signature", "the ?token= query parameter is missing")
    if not secret_matches(token, secret):
        raise SalesforceWebhookError("bad_signature", "the ?token= value does not match")
    message = parse_outbound_message(body)
    if not same_org(message.organization_id, organization_id):
        raise SalesforceWebhookError(
            "bad_signature", f"message from organization {message.organization_id}, not ours"
        )
    return message


def same_org(given: str, ours: str) -> bool:
    """Org ids compare on their case-sensitive 15-character form (18 adds a checksum)."""
    if len(given) < 15 or len(ours) < 15:
        return False
    return hmac.compare_digest(given[:15].encode(), ours[:15].encode())


def parse_outbound_message(body: bytes) -> OutboundMessage:
    root = _safe_xml(body)
    notifications = root.find(f"{{{SOAP_NS}}}Body/{{{OUTBOUND_NS}}}notifications")
    if notifications is None:
        raise SalesforceWebhookError("malformed", "no soapenv:Body/notifications element")
    organization_id = _child_text(notifications, "OrganizationId")
    action_id = _child_text(notifications, "ActionId")
    items = tuple(
        _notification(element)
        for element in notifications.findall(f"{{{OUTBOUND_NS}}}Notification")
    )
    if not organization_id or not action_id:
        raise SalesforceWebhookError("malformed", "OrganizationId or ActionId is missing")
    if not 1 <= len(items) <= MAX_NOTIFICATIONS:
        raise SalesforceWebhookError("malformed", f"{len(items)} notifications; expected 1..100")
    return OutboundMessage(organization_id, action_id, items)


def _notification(element: ET.Element) -> Notification:
    notification_id = _child_text(element, "Id")
    sobject = element.find(f"{{{OUTBOUND_NS}}}sObject")
    if not notification_id or sobject is None:
        raise SalesforceWebhookError("malformed", "a Notification lacks its Id or sObject")
    xsi_type = sobject.get(f"{{{XSI_NS}}}type", "")
    sobject_type = xsi_type.rpartition(":")[2]
    if not sobject_type:
        raise SalesforceWebhookError("malformed", "an sObject has no xsi:type")
    fields: dict[str, str | None] = {}
    for child in sobject:
        name = child.tag.rpartition("}")[2]
        nil = child.get(f"{{{XSI_NS}}}nil") == "true"
        fields[name] = None if nil else (child.text or "")
    return Notification(notification_id, sobject_type, fields)


def _child_text(element: ET.Element, name: str) -> str | None:
    child = element.find(f"{{{OUTBOUND_NS}}}{name}")
    return None if child is None or child.text is None else child.text.strip()


def _safe_xml(body: bytes) -> ET.Element:
    """Parse XML that may not declare a DTD or entities (no XXE, no entity expansion bombs)."""

    def refuse(*_: Any) -> None:
        raise SalesforceWebhookError("malformed", "DOCTYPE and ENTITY declarations are refused")

    # expat reports declarations before any expansion happens, whatever the body's encoding.
    checker = expat.ParserCreate()
    checker.StartDoctypeDeclHandler = refuse
    checker.EntityDeclHandler = refuse
    try:
        checker.Parse(body, True)
        return ET.fromstring(body)  # noqa: S314 - checked above: no DTD, no entities
    except (expat.ExpatError, ET.ParseError) as exc:
        raise SalesforceWebhookError("malformed", f"not well-formed XML: {exc}") from exc


def verify_flow_callout(
    body: bytes, headers: Mapping[str, str], *, secret: str
) -> Mapping[str, Any]:
    """A Flow HTTP callout: the shared secret in `X-Revcycle-Token`, a JSON object as the body."""
    token = next(
        (value for name, value in headers.items() if name.lower() == FLOW_TOKEN_HEADER.lower()),
        None,
    )
    if not token:
        raise SalesforceWebhookError(
            "missing_signature", f"the {FLOW_TOKEN_HEADER} header is missing"
        )
    if not secret_matches(token, secret):
        raise SalesforceWebhookError(
            "bad_signature", f"the {FLOW_TOKEN_HEADER} value does not match"
        )
    try:
        payload = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SalesforceWebhookError("malformed", f"not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise SalesforceWebhookError("malformed", "expected a JSON object")
    return payload
