"""`POST /webhooks/salesforce`: Outbound Messages (SOAP, answered with the SOAP Ack) and Flow
HTTP callouts (JSON with `X-Revcycle-Token`).

An Outbound Message cannot set headers, so its secret arrives as `?token=`; the query string is
never stored. One inbox row per Notification `Id` (the dedupe key), each keeping the whole
envelope; the type is the sObject type. A Flow callout is one row: its type is `attributes.type`
(or `sobjectType`), its key the payload's `eventId`, else a hash of the body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from connectors.salesforce.webhooks import (
    ACK_CONTENT_TYPE,
    ACK_RESPONSE,
    FLOW_TOKEN_HEADER,
    SalesforceWebhookError,
    verify_flow_callout,
    verify_outbound_message,
)
from gateway.errors import Rejected
from gateway.webhooks.asgi import Delivery
from gateway.webhooks.endpoint import Reply, Verified
from gateway.webhooks.events import kept_headers, new_event

SOURCE = "salesforce"
KEPT = ("content-type", "soapaction", "user-agent")
ACK = Reply(ACK_RESPONSE, ACK_CONTENT_TYPE.encode())


class SalesforceVerifier:
    def __init__(self, token: str | None, organization_id: str | None) -> None:
        self._token = token
        self._organization_id = organization_id

    def source(self, path_params: Mapping[str, Any]) -> str:
        return SOURCE

    def verify(self, delivery: Delivery) -> Verified:
        if not self._token:
            raise Rejected(401, "unconfigured", "Salesforce webhooks are not configured")
        try:
            if _is_flow(delivery):
                return self._flow(delivery, self._token)
            return self._outbound(delivery, self._token)
        except SalesforceWebhookError as exc:
            raise Rejected(400 if exc.reason == "malformed" else 401, exc.reason, str(exc)) from exc

    def _outbound(self, delivery: Delivery, token: str) -> Verified:
        if not self._organization_id:
            raise Rejected(401, "unconfigured", "SALESFORCE_ORG_ID is not configured")
        message = verify_outbound_message(
            delivery.body,
            delivery.query("token"),
            secret=token,
            organization_id=self._organization_id,
        )
        headers = kept_headers(delivery.headers, KEPT)
        events = [
            new_event(SOURCE, item.id, item.sobject_type, headers, delivery.body)
            for item in message.notifications
        ]
        return Verified(SOURCE, events, ACK)

    def _flow(self, delivery: Delivery, token: str) -> Verified:
        payload = verify_flow_callout(delivery.body, delivery.headers, secret=token)
        event = new_event(
            SOURCE,
            _flow_key(payload, delivery.body),
            _flow_type(payload),
            kept_headers(delivery.headers, KEPT),
            delivery.body,
        )
        return Verified(SOURCE, [event])


def _is_flow(delivery: Delivery) -> bool:
    content_type = delivery.headers.get("content-type", "")
    return FLOW_TOKEN_HEADER.lower() in delivery.headers or "json" in content_type


def _flow_type(payload: Mapping[str, Any]) -> str | None:
    attributes = payload.get("attributes")
    if isinstance(attributes, dict) and isinstance(attributes.get("type"), str):
        return str(attributes["type"])
    kind = payload.get("sobjectType")
    return kind if isinstance(kind, str) else None


def _flow_key(payload: Mapping[str, Any], body: bytes) -> str:
    given = payload.get("eventId")
    if isinstance(given, str) and given:
        return given
    return "sha256:" + hashlib.sha256(body).hexdigest()
