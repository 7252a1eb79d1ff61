"""QuickBooks Online webhooks: the `intuit-signature` check and both payload formats.

`intuit-signature` is base64(HMAC-SHA256(verifier token, raw body)). There is no timestamp, so
the dedupe key is the only replay defence. python-quickbooks' own check compares with `==`; this
one compares in constant time.

Payloads carry ids only (the job fetches the entity), in one of two formats:
- legacy: `{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities":
  [{"name", "id", "operation", "lastUpdated"}]}}]}`;
- CloudEvents: a JSON array of `{"specversion", "id", "type": "qbo.invoice.updated.v1",
  "time", "intuitaccountid", "intuitentityid", ...}`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from connectors.quickbooks.times import parse_qbo_time

SIGNATURE_HEADER = "intuit-signature"

Reason = Literal["missing_signature", "bad_signature", "stale", "malformed"]

# CloudEvents spell entities in lower case; these are the names the REST API and legacy use.
_ENTITY_NAMES = {
    name.lower(): name
    for name in [
        "Account",
        "Bill",
        "BillPayment",
        "Budget",
        "Class",
        "CreditMemo",
        "Currency",
        "Customer",
        "Department",
        "Deposit",
        "Employee",
        "Estimate",
        "Invoice",
        "Item",
        "JournalCode",
        "JournalEntry",
        "Payment",
        "PaymentMethod",
        "Preferences",
        "Purchase",
        "PurchaseOrder",
        "RefundReceipt",
        "SalesReceipt",
        "TaxAgency",
        "Term",
        "TimeActivity",
        "Transfer",
        "Vendor",
        "VendorCredit",
    ]
}
_OPERATIONS = {
    "created": "Create",
    "updated": "Update",
    "deleted": "Delete",
    "merged": "Merge",
    "voided": "Void",
    "emailed": "Emailed",
}


class QuickBooksWebhookError(ValueError):
    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class Notification:
    """One changed entity. `operation` uses the legacy words: Create, Update, Delete, ..."""

    realm_id: str
    entity: str
    id: str
    operation: str
    last_updated: datetime | None
    event_id: str  # the dedupe key: the CloudEvents id, or a hash of the legacy fields


def verify_signature(body: bytes, headers: Mapping[str, str], verifier_token: str) -> None:
    """Raise `QuickBooksWebhookError` unless `intuit-signature` signs `body` with the token."""
    signature = _header(headers, SIGNATURE_HEADER)
    if not signature:
        raise QuickBooksWebhookError("missing_signature", "no intuit-signature header")
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise QuickBooksWebhookError("bad_signature", "intuit-signature is not base64") from exc
    expected = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    if not hmac.compare_digest(given, expected):
        raise QuickBooksWebhookError("bad_signature", "intuit-signature does not match the body")


def parse_notifications(body: bytes) -> list[Notification]:
    """Every entity change in a delivery, whichever format it came in."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise QuickBooksWebhookError("malformed", "the body is not JSON") from exc
    try:
        if isinstance(data, list):
            return [_cloud_event(event) for event in data]
        if isinstance(data, dict) and "eventNotifications" in data:
            return _legacy(data["eventNotifications"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise QuickBooksWebhookError("malformed", f"unexpected payload shape: {exc!r}") from exc
    raise QuickBooksWebhookError("malformed", "neither eventNotifications nor a CloudEvents array")


def _cloud_event(event: Mapping[str, Any]) -> Notification:
    parts = str(event["type"]).split(".")  # qbo.invoice.updated.v1
    if len(parts) < 3 or parts[0] != "qbo":
        raise ValueError(f"unknown event type {event['type']!r}")
    entity = _ENTITY_NAMES.get(parts[1].lower(), parts[1])
    time = event.get("time")
    return Notification(
        realm_id=_required(event, "intuitaccountid"),
        entity=entity,
        id=_required(event, "intuitentityid"),
        operation=_OPERATIONS.get(parts[2].lower(), parts[2].capitalize()),
        last_updated=parse_qbo_time(time) if isinstance(time, str) and time else None,
        event_id=_required(event, "id"),
    )


def _legacy(notifications: list[Mapping[str, Any]]) -> list[Notification]:
    found: list[Notification] = []
    for notification in notifications:
        realm = _required(notification, "realmId")
        for entity in notification["dataChangeEvent"]["entities"]:
            name, entity_id = _required(entity, "name"), _required(entity, "id")
            operation = _required(entity, "operation")
            raw_time = entity.get("lastUpdated")
            key = "\x1f".join((realm, name, entity_id, operation, str(raw_time or "")))
            found.append(
                Notification(
                    realm_id=realm,
                    entity=name,
                    id=entity_id,
                    operation=operation,
                    last_updated=parse_qbo_time(raw_time) if raw_time else None,
                    event_id="legacy:" + hashlib.sha256(key.encode("utf-8")).hexdigest(),
                )
            )
    return found


def _required(data: Mapping[str, Any], key: str) -> str:
    value = data[key]
    if value is None or value == "":
        raise ValueError(f"{key} is empty")
    return str(value)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
