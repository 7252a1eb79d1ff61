"""Stripe `invoice.paid` while QuickBooks still shows the invoice open.

With ledger write-back on, a QBO Payment is recorded against the invoice with `requestid` = the
Stripe charge id, so however often this runs QBO books the payment once. With it off, the gap is
opened as a `status_mismatch` finding (DESIGN.md: keyed by the Stripe invoice, at stake the QBO
open balance).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from canonical.money import Money
from canonical.records import Finding, FindingKind, Source, SourceRef
from canonical.store.engine import begin
from canonical.store.findings import fingerprint_for, record_finding
from jobs.lookups import LedgerInvoice, charge_id, ledger_invoice
from jobs.once import Skip, once
from jobs.services import Services, call


async def ledger_payment(services: Services, event_key: str, invoice: Mapping[str, Any]) -> None:
    key = f"qbo-payment:invoice.paid:{event_key}"

    async def action() -> Mapping[str, Any]:
        found = await ledger_invoice(services, invoice)
        if found is None:
            raise Skip("no QuickBooks invoice matches it")
        if found.balance <= 0:
            raise Skip(f"QuickBooks invoice {found.id} is already settled")
        if services.config.ledger_writeback:
            return await _record_payment(services, invoice, found)
        return await _open_mismatch(services, invoice, found)

    await once(services, "ledger_payment", key, str(invoice.get("id")), action)


async def _record_payment(
    services: Services, invoice: Mapping[str, Any], ledger: LedgerInvoice
) -> Mapping[str, Any]:
    charge = await charge_id(services, invoice)
    if charge is None:
        raise Skip("no Stripe charge found for the invoice; nothing to reference")
    currency = str(invoice["currency"]).upper()
    if ledger.currency is not None and ledger.currency != currency:
        raise Skip(f"QuickBooks invoice is in {ledger.currency}, Stripe's in {currency}")
    paid = Money.from_minor(int(invoice.get("amount_paid") or 0), currency)
    open_balance = Money.from_decimal(ledger.balance, currency)
    amount = paid if paid.minor <= open_balance.minor else open_balance
    if amount.minor <= 0:
        raise Skip("Stripe reports nothing paid")
    quickbooks = services.connector(Source.QUICKBOOKS)
    payment_id = await call(
        quickbooks.record_payment,
        ledger.customer_id,
        ledger.id,
        amount,
        _paid_on(invoice, services),
        charge,
        charge,
    )
    return {"payment_id": payment_id, "invoice_id": ledger.id, "request_id": charge}


async def _open_mismatch(
    services: Services, invoice: Mapping[str, Any], ledger: LedgerInvoice
) -> Mapping[str, Any]:
    key = SourceRef(Source.STRIPE, str(invoice["id"]))
    currency = ledger.currency or str(invoice["currency"]).upper()
    customer = invoice.get("customer")  # an id, or the object when expanded
    if isinstance(customer, Mapping):
        customer = customer.get("id")
    finding = Finding(
        kind=FindingKind.STATUS_MISMATCH,
        key=key,
        records=(key, SourceRef(Source.QUICKBOOKS, ledger.id)),
        amount_at_stake=Money.from_decimal(ledger.balance, currency),
        detail=f"paid in Stripe, QuickBooks invoice {ledger.id} still open ({ledger.balance})",
        fingerprint=fingerprint_for(FindingKind.STATUS_MISMATCH, key),
        party=SourceRef(Source.STRIPE, str(customer)) if customer else None,
    )
    async with begin(services.store.engine) as conn:
        await record_finding(conn, finding, now=services.clock())
    return {"finding": finding.fingerprint}


def _paid_on(invoice: Mapping[str, Any], services: Services) -> Any:
    transitions = invoice.get("status_transitions") or {}
    paid_at = transitions.get("paid_at") if isinstance(transitions, Mapping) else None
    if isinstance(paid_at, int):
        return datetime.fromtimestamp(paid_at, UTC).date()
    return services.clock().date()
