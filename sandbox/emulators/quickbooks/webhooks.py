"""QuickBooks webhooks: payloads in both formats, the `intuit-signature`, and the scenarios.

Signature: base64(HMAC-SHA256(verifier token, raw body)), no timestamp. Formats:
- legacy: `{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities": [{"name", "id",
  "operation", "lastUpdated"}]}}]}`
- CloudEvents: a JSON array of events (`specversion`, `id`, `source`, `type` such as
  `qbo.invoice.updated.v1`, `time`, `intuitentityid`, `intuitaccountid`, `datacontenttype`, `data`).
Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import orjson

from sandbox.emulators.quickbooks.payments import create_payment
from sandbox.emulators.quickbooks.state import QuickBooksState

Record = dict[str, Any]
Delivery = dict[str, Any]
Change = tuple[str, str, Record]  # (entity name, operation, entity after the change)
BURST_INVOICES = 100
BURST_PER_DELIVERY = 10
_PAST_TENSE = {"Create": "created", "Update": "updated", "Delete": "deleted", "Void": "voided"}
_FORGED_KEY = b"not-the-verifier-token"


class ScenarioError(ValueError):
    """The scenario cannot run on this data (for example, no invoice with a balance is left)."""


def signature(verifier_token: bytes, body: bytes) -> str:
    return base64.b64encode(hmac.new(verifier_token, body, hashlib.sha256).digest()).decode()


def legacy_payload(realm_id: str, changes: list[Change]) -> bytes:
    entities = [
        {
            "name": name,
            "id": record["Id"],
            "operation": operation,
            "lastUpdated": _last_updated(record),
        }
        for name, operation, record in changes
    ]
    notification = {"realmId": realm_id, "dataChangeEvent": {"entities": entities}}
    return orjson.dumps({"eventNotifications": [notification]})


def cloudevents_payload(realm_id: str, changes: list[Change]) -> bytes:
    events = [
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
            "type": f"qbo.{name.lower()}.{_PAST_TENSE.get(operation, operation.lower())}.v1",
            "datacontenttype": "application/json",
            "time": _last_updated(record),
            "intuitentityid": record["Id"],
            "intuitaccountid": realm_id,
            "data": {},
        }
        for name, operation, record in changes
    ]
    return orjson.dumps(events)


def _last_updated(record: Record) -> str:
    stamp = record.get("MetaData", {}).get("LastUpdatedTime")
    return str(stamp) if stamp else datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class FireContext:
    state: QuickBooksState
    client: httpx.AsyncClient
    to: str

    async def send(self, body: bytes, kind: str, *, forged: bool = False) -> Delivery:
        config = self.state.config
        key = _FORGED_KEY if forged else config.webhook_verifier_token.encode()
        headers = {"Content-Type": "application/json", "intuit-signature": signature(key, body)}
        status, attempts = 0, 0
        for attempts in range(1, config.delivery_attempts + 1):
            try:
                response = await self.client.post(
                    f"{self.to}/webhooks/quickbooks", content=body, headers=headers
                )
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            if 200 <= status < 300:
                break
            if attempts < config.delivery_attempts:
                await asyncio.sleep(config.delivery_backoff_s * 2 ** (attempts - 1))
        return {"id": str(uuid.uuid4()), "type": kind, "status": status, "attempts": attempts}


Scenario = Callable[[FireContext], Awaitable[list[Delivery]]]


def _touch_invoices(state: QuickBooksState, limit: int) -> list[Change]:
    """A sparse update that changes nothing but the version: LastUpdatedTime and SyncToken move."""
    store = state.store
    chosen = list(itertools.islice(store.entities["Invoice"].values(), limit))
    if not chosen:
        raise ScenarioError("no Invoice to update")
    return [("Invoice", "Update", store.patch("Invoice", inv["Id"], {})) for inv in chosen]


async def invoice_updated(ctx: FireContext) -> list[Delivery]:
    changes = _touch_invoices(ctx.state, 1)
    return [await ctx.send(legacy_payload(ctx.state.config.realm_id, changes), "Invoice.Update")]


async def invoice_updated_cloudevents(ctx: FireContext) -> list[Delivery]:
    changes = _touch_invoices(ctx.state, 1)
    body = cloudevents_payload(ctx.state.config.realm_id, changes)
    return [await ctx.send(body, "qbo.invoice.updated.v1")]


async def payment_created(ctx: FireContext) -> list[Delivery]:
    """A customer pays an open invoice in full: a Payment appears, the invoice's Balance drops."""
    store = ctx.state.store
    open_invoices = (
        i for i in store.entities["Invoice"].values() if Decimal(str(i.get("Balance", 0))) > 0
    )
    invoice = next(open_invoices, None)
    if invoice is None:
        raise ScenarioError("no Invoice with an open balance")
    payment = create_payment(
        store,
        {
            "CustomerRef": invoice["CustomerRef"],
            "TotalAmt": invoice["Balance"],
            "Line": [
                {
                    "Amount": invoice["Balance"],
                    "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
                }
            ],
            "CurrencyRef": invoice.get("CurrencyRef"),
        },
    )
    updated = store.get("Invoice", invoice["Id"]) or invoice
    changes: list[Change] = [("Payment", "Create", payment), ("Invoice", "Update", updated)]
    return [await ctx.send(legacy_payload(ctx.state.config.realm_id, changes), "Payment.Create")]


async def duplicates(ctx: FireContext) -> list[Delivery]:
    body = legacy_payload(ctx.state.config.realm_id, _touch_invoices(ctx.state, 1))
    return [await ctx.send(body, "Invoice.Update"), await ctx.send(body, "Invoice.Update")]


async def forged(ctx: FireContext) -> list[Delivery]:
    """Signed with the wrong key; no state changes, since the event did not happen."""
    invoice = next(iter(ctx.state.store.entities["Invoice"].values()), None)
    if invoice is None:
        raise ScenarioError("no Invoice to quote in a forged delivery")
    body = legacy_payload(ctx.state.config.realm_id, [("Invoice", "Update", invoice)])
    return [await ctx.send(body, "Invoice.Update", forged=True)]


async def burst(ctx: FireContext) -> list[Delivery]:
    changes = _touch_invoices(ctx.state, BURST_INVOICES)
    realm = ctx.state.config.realm_id
    return [
        await ctx.send(legacy_payload(realm, changes[i : i + BURST_PER_DELIVERY]), "Invoice.Update")
        for i in range(0, len(changes), BURST_PER_DELIVERY)
    ]


SCENARIOS: dict[str, Scenario] = {
    "invoice_updated": invoice_updated,
    "invoice_updated_cloudevents": invoice_updated_cloudevents,
    "payment_created": payment_created,
    "duplicates": duplicates,
    "forged": forged,
    "burst": burst,
}
