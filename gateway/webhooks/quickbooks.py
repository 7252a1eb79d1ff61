"""`POST /webhooks/quickbooks`: legacy and CloudEvents deliveries, one inbox row per entity change.

Every row keeps the whole signed body; the job picks its own change out of it by dedupe key (the
CloudEvents `id`, or a hash of the legacy change). Types: the CloudEvents `type` as sent
(`qbo.invoice.updated.v1`), or `Invoice.Update` for legacy (see `jobs.dispatch`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connectors.quickbooks.webhooks import (
    QuickBooksWebhookError,
    parse_notifications,
    verify_signature,
)
from gateway.errors import Rejected
from gateway.webhooks.asgi import Delivery
from gateway.webhooks.endpoint import Verified
from gateway.webhooks.events import kept_headers, new_event
from jobs.dispatch import legacy_quickbooks_type

SOURCE = "quickbooks"
KEPT = ("intuit-signature", "intuit-t-id", "content-type", "user-agent")


class QuickBooksVerifier:
    def __init__(self, verifier_token: str | None) -> None:
        self._token = verifier_token

    def source(self, path_params: Mapping[str, Any]) -> str:
        return SOURCE

    def verify(self, delivery: Delivery) -> Verified:
        if not self._token:
            raise Rejected(401, "unconfigured", "QuickBooks webhooks are not configured")
        try:
            verify_signature(delivery.body, delivery.headers, self._token)
            notifications = parse_notifications(delivery.body)
        except QuickBooksWebhookError as exc:
            raise Rejected(400 if exc.reason == "malformed" else 401, exc.reason, str(exc)) from exc
        cloud_types = _cloud_event_types(delivery.body)
        headers = kept_headers(delivery.headers, KEPT)
        events = [
            new_event(
                SOURCE,
                change.event_id,
                cloud_types.get(change.event_id)
                or legacy_quickbooks_type(change.entity, change.operation),
                headers,
                delivery.body,
            )
            for change in notifications
        ]
        return Verified(SOURCE, events)


def _cloud_event_types(body: bytes) -> dict[str, str]:
    """The `type` of each CloudEvents element by its id (the parsed form keeps only the parts)."""
    data: Any = json.loads(body)  # the parser's own reading: it accepted this body already
    if not isinstance(data, list):
        return {}
    return {str(item["id"]): str(item["type"]) for item in data if isinstance(item, dict)}
