"""Outbound Messages: the SOAP `notifications` envelope, the Ack check and delivery with retries.

Salesforce sends up to 100 notifications per message, sets no signature (the receiver checks
`OrganizationId` and, in this project, a `?token=` secret), and resends until it reads
`<Ack>true</Ack>` inside `notificationsResponse`. Reference:
https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_wsdl.htm
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import httpx

Record = dict[str, Any]
MAX_NOTIFICATIONS = 100
_ACK = re.compile(
    r"<(?:[\w.-]+:)?notificationsResponse\b.*?<(?:[\w.-]+:)?Ack>\s*true\s*</(?:[\w.-]+:)?Ack>",
    re.DOTALL,
)


@dataclass(frozen=True)
class Message:
    organization_id: str
    action_id: str
    enterprise_url: str
    partner_url: str
    notifications: Sequence[tuple[str, Record]]  # (notification Id, sObject record)


def envelope(message: Message) -> bytes:
    if not 1 <= len(message.notifications) <= MAX_NOTIFICATIONS:
        raise ValueError("an outbound message carries 1 to 100 notifications")
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
        "<soapenv:Body>",
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">',
        f"<OrganizationId>{escape(message.organization_id)}</OrganizationId>",
        f"<ActionId>{escape(message.action_id)}</ActionId>",
        '<SessionId xsi:nil="true"/>',
        f"<EnterpriseUrl>{escape(message.enterprise_url)}</EnterpriseUrl>",
        f"<PartnerUrl>{escape(message.partner_url)}</PartnerUrl>",
    ]
    for notification_id, record in message.notifications:
        parts.append(f"<Notification><Id>{escape(notification_id)}</Id>")
        parts.append(_sobject(record))
        parts.append("</Notification>")
    parts.append("</notifications></soapenv:Body></soapenv:Envelope>")
    return "".join(parts).encode("utf-8")


def _sobject(record: Record) -> str:
    sobject = record.get("attributes", {}).get("type", "sObject")
    fields = [
        f"<sf:{name}>{escape(_text(value))}</sf:{name}>"
        for name, value in record.items()
        if name != "attributes" and value is not None and not isinstance(value, dict | list)
    ]
    return (
        f'<sObject xsi:type="sf:{sobject}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
        + "".join(fields)
        + "</sObject>"
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_ack(response: httpx.Response) -> bool:
    return response.status_code == 200 and _ACK.search(response.text) is not None


@dataclass(frozen=True)
class Outcome:
    status: int  # the last HTTP status, 0 when no answer came
    attempts: int


async def deliver(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    attempts: int,
    backoff_s: float,
    accepted: Callable[[httpx.Response], bool],
) -> Outcome:
    """POST until `accepted` says yes or the attempts run out, doubling the pause each time."""
    status = 0
    for attempt in range(1, attempts + 1):
        try:
            response = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError:
            status = 0
        else:
            status = response.status_code
            if accepted(response):
                return Outcome(status, attempt)
        if attempt < attempts:
            await asyncio.sleep(backoff_s * 2 ** (attempt - 1))
    return Outcome(status, attempts)
