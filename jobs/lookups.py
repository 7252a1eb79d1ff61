"""Finding the records a follow-up needs: the store first, the vendor's API when the store has not
seen the record yet (a webhook can arrive before the sync that would have read its neighbours).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from canonical.records import Deal, Invoice, Party, Payment, Source
from connectors.errors import PermanentError
from jobs.services import Services, call

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class CrmLink:
    """The Salesforce record a Task goes on, and who owns it."""

    what_id: str
    owner_id: str | None
    via: str  # "opportunity" or "account"


def ref_id(value: Any) -> str | None:
    """A Stripe reference: an id string, or an expanded object's id."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def metadata(obj: Mapping[str, Any], key: str) -> str | None:
    meta = obj.get("metadata")
    value = meta.get(key) if isinstance(meta, Mapping) else None
    return str(value) if value else None


async def stripe_get(
    services: Services, path: str, params: Mapping[str, Any] | None = None
) -> JSON:
    api = services.connector(Source.STRIPE).api
    result: JSON = await call(api.get, path, params)
    return result


# --- Salesforce ---------------------------------------------------------------------------------


async def crm_link(services: Services, stripe_obj: Mapping[str, Any]) -> CrmLink | None:
    """The opportunity named in the object's metadata, else its customer's Salesforce account."""
    opportunity = metadata(stripe_obj, "salesforce_opportunity_id")
    if opportunity:
        owner = await _owner(services, Deal, "Opportunity", opportunity)
        return CrmLink(opportunity, owner, "opportunity")
    account = await _account_of_customer(services, ref_id(stripe_obj.get("customer")))
    if account:
        return CrmLink(account, await _owner(services, Party, "Account", account), "account")
    return None


async def _account_of_customer(services: Services, customer_id: str | None) -> str | None:
    if customer_id is None:
        return None
    party = await services.store.get(Party, Source.STRIPE, customer_id)
    if party is not None and party.salesforce_account_id:
        return party.salesforce_account_id
    if Source.STRIPE not in services.connectors:
        return None
    try:
        customer = await stripe_get(services, f"/v1/customers/{customer_id}")
    except PermanentError:
        return None
    return metadata(customer, "salesforce_account_id")


async def _owner(
    services: Services, record_type: type[Deal] | type[Party], sobject: str, record_id: str
) -> str | None:
    held = await services.store.get(record_type, Source.SALESFORCE, record_id)
    if held is not None and held.owner_id:
        return held.owner_id
    connector = services.connectors.get(Source.SALESFORCE)
    if connector is None:
        return None
    items = await call(connector.fetch, sobject, [record_id])
    for item in items:
        owner = item.payload.get("OwnerId")
        if isinstance(owner, str) and owner:
            return owner
    return None


# --- Stripe payments ----------------------------------------------------------------------------


async def invoice_payment_refs(services: Services, invoice: Mapping[str, Any]) -> list[JSON]:
    """The invoice's `payment` hashes (`payment_intent` / `charge`): invoice payments since the
    2025 "basil" API, or the invoice's own `charge` / `payment_intent` in older payloads."""
    refs: list[JSON] = []
    for key in ("charge", "payment_intent"):
        found = ref_id(invoice.get(key))
        if found:
            refs.append({key: found})
    if refs or Source.STRIPE not in services.connectors:
        return refs
    page = await stripe_get(services, "/v1/invoice_payments", {"invoice": invoice["id"]})
    for item in page.get("data") or ():
        payment = item.get("payment") if isinstance(item, Mapping) else None
        if isinstance(payment, Mapping):
            refs.append({k: ref_id(payment.get(k)) for k in ("charge", "payment_intent")})
    return refs


async def _payment_intent(services: Services, intent_id: str) -> Payment | JSON | None:
    held = await services.store.get(Payment, Source.STRIPE, intent_id)
    if held is not None:
        return held
    if Source.STRIPE not in services.connectors:
        return None
    try:
        return await stripe_get(services, f"/v1/payment_intents/{intent_id}")
    except PermanentError:
        return None


async def charge_id(services: Services, invoice: Mapping[str, Any]) -> str | None:
    """The charge that paid the invoice (the ledger payment's `requestid`)."""
    for ref in await invoice_payment_refs(services, invoice):
        if ref.get("charge"):
            return str(ref["charge"])
        intent_id = ref.get("payment_intent")
        intent = await _payment_intent(services, intent_id) if intent_id else None
        if isinstance(intent, Payment) and intent.charge_id:
            return intent.charge_id
        if isinstance(intent, Mapping) and ref_id(intent.get("latest_charge")):
            return ref_id(intent.get("latest_charge"))
    return None


async def decline_reason(services: Services, invoice: Mapping[str, Any]) -> str:
    """The last payment error's words, from the payment intent (or charge) behind the invoice."""
    for ref in await invoice_payment_refs(services, invoice):
        intent_id = ref.get("payment_intent")
        intent = await _payment_intent(services, intent_id) if intent_id else None
        if isinstance(intent, Payment) and (intent.failure_message or intent.failure_code):
            return str(intent.failure_message or intent.failure_code)
        if isinstance(intent, Mapping):
            error = intent.get("last_payment_error") or {}
            words = error.get("message") or error.get("decline_code") or error.get("code")
            if words:
                return str(words)
    return "reason not given"


# --- QuickBooks ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerInvoice:
    id: str
    customer_id: str
    balance: Decimal
    currency: str | None
    doc_number: str | None


async def ledger_invoice(
    services: Services, stripe_invoice: Mapping[str, Any]
) -> LedgerInvoice | None:
    """The QBO invoice for a Stripe invoice, as QBO holds it now: `DocNumber` = the Stripe
    number, else a `PrivateNote` holding the `in_…` id (QBO cannot filter on PrivateNote, so
    that one is found in the store and read again)."""
    connector = services.connector(Source.QUICKBOOKS)
    number = stripe_invoice.get("number")
    if isinstance(number, str) and number:
        query = f"SELECT * FROM Invoice WHERE DocNumber = {_qbo_string(number)}"
        answer = await call(connector.client.query, query)
        found = (answer.get("QueryResponse") or {}).get("Invoice") or []
        if found:
            return _ledger_invoice(found[0])
    invoice_id = str(stripe_invoice["id"])
    async for held in services.store.stream(Invoice, source=Source.QUICKBOOKS):
        if held.private_note and invoice_id in held.private_note and not held.deleted:
            item = await call(connector.fetch, "Invoice", held.source_id)
            return None if item is None else _ledger_invoice(item.payload)
    return None


def _ledger_invoice(payload: Mapping[str, Any]) -> LedgerInvoice:
    currency = (payload.get("CurrencyRef") or {}).get("value")
    return LedgerInvoice(
        id=str(payload["Id"]),
        customer_id=str((payload.get("CustomerRef") or {}).get("value")),
        balance=Decimal(str(payload.get("Balance", "0"))),
        currency=str(currency).upper() if currency else None,
        doc_number=payload.get("DocNumber"),
    )


def _qbo_string(value: str) -> str:
    """A quoted QBO query literal (backslash escapes, like SOQL)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
