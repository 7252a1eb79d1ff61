"""Follow-ups: what an event means for the business, done once per idempotency key.

- Stripe `invoice.payment_failed`: a Salesforce Task for the owner, and a notification
  (key `sf-task:invoice.payment_failed:<evt>`);
- Stripe `invoice.paid` while the QBO invoice is still open: a QBO Payment (`requestid` = the
  charge id), or a `status_mismatch` finding with write-back off (`qbo-payment:invoice.paid:<evt>`);
- Stripe `charge.dispute.created`: a high-priority Task and a notification
  (`sf-task:charge.dispute.created:<evt>`);
- Salesforce opportunity Closed Won: a check at close date + grace days (`deal-check:<opp id>`);
- QuickBooks entity change: the reconcile hook, once the reconciler exists (issue 6).

Every follow-up is logged in the `followups` table before it is attempted and marked done after,
so a rerun finds it and does nothing; the vendor-side keys (the Task's key marker, QBO's
`requestid`) cover a crash between the vendor call and that mark. A transient failure propagates
(the event job retries); a permanent one is recorded on the follow-up and the event still counts
as processed, because its own change was applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from canonical.money import Money
from canonical.records import Deal, Record, Source
from jobs import notify
from jobs.deals import schedule_deal_check
from jobs.ledger import ledger_payment
from jobs.lookups import crm_link, decline_reason, ref_id, stripe_get
from jobs.once import Skip, once
from jobs.services import NotConfigured, Services, call


async def run_followups(
    services: Services,
    source: str,
    event_type: str | None,
    event_key: str,
    payload: Mapping[str, Any] | None,
    records: Sequence[Record],
) -> None:
    """Decide and do the follow-ups of one applied event."""
    obj: Mapping[str, Any] = (payload or {}).get("data", {}).get("object", {})
    if source == Source.STRIPE and event_type == "invoice.payment_failed":
        await payment_failed(services, event_key, obj)
    elif source == Source.STRIPE and event_type == "invoice.paid":
        if services.config.enabled("ledger_payment"):
            await ledger_payment(services, event_key, obj)
    elif source == Source.STRIPE and event_type == "charge.dispute.created":
        await dispute_created(services, event_key, obj)
    elif source == Source.SALESFORCE:
        for deal in (r for r in records if isinstance(r, Deal)):
            if services.config.enabled("unbilled_deal"):
                await schedule_deal_check(services, deal)
    elif source == Source.QUICKBOOKS and services.reconcile is not None:
        await services.reconcile(services, records)


async def payment_failed(services: Services, event_key: str, invoice: Mapping[str, Any]) -> None:
    amount = _money(invoice, "amount_due")
    number = invoice.get("number") or invoice.get("id")
    if services.config.enabled("payment_failed_task"):
        key = f"sf-task:invoice.payment_failed:{event_key}"

        async def task() -> Mapping[str, Any]:
            reason = await decline_reason(services, invoice)
            subject = f"Payment failed: invoice {number}, {amount} ({reason})"
            return await _task(services, invoice, subject, "High", key, _describe(invoice))

        await once(services, "payment_failed_task", key, str(invoice.get("id")), task)
    text = f"Stripe invoice {number} payment failed: {amount}"
    await notify.announce(services, "invoice.payment_failed", event_key, text, invoice)


async def dispute_created(services: Services, event_key: str, dispute: Mapping[str, Any]) -> None:
    amount = _money(dispute, "amount")
    reason = dispute.get("reason") or "no reason given"
    if services.config.enabled("dispute_task"):
        key = f"sf-task:charge.dispute.created:{event_key}"

        async def task() -> Mapping[str, Any]:
            subject = f"Dispute opened: {amount} ({reason}), charge {dispute.get('charge')}"
            holder = await _dispute_holder(services, dispute)
            return await _task(services, holder, subject, "High", key, _describe(dispute))

        await once(services, "dispute_task", key, str(dispute.get("id")), task)
    text = f"Stripe dispute {dispute.get('id')} opened: {amount} ({reason})"
    await notify.announce(services, "charge.dispute.created", event_key, text, dispute)


async def _dispute_holder(services: Services, dispute: Mapping[str, Any]) -> Mapping[str, Any]:
    """What carries the CRM link of a dispute: its charge (customer, metadata)."""
    charge = dispute.get("charge")
    if isinstance(charge, Mapping):
        return charge
    charge_id = ref_id(charge)
    if charge_id is None:
        return dispute
    return await stripe_get(services, f"/v1/charges/{charge_id}")


async def _task(
    services: Services,
    holder: Mapping[str, Any],
    subject: str,
    priority: str,
    key: str,
    description: str,
) -> Mapping[str, Any]:
    if Source.SALESFORCE not in services.connectors:
        raise NotConfigured("the Salesforce connector is not configured")
    link = await crm_link(services, holder)
    if link is None:
        raise Skip("no Salesforce opportunity or account is linked to it")
    salesforce = services.connector(Source.SALESFORCE)
    task_id = await call(
        salesforce.create_task, subject, link.what_id, link.owner_id, priority, description, key
    )
    return {"task_id": task_id, "what_id": link.what_id, "owner_id": link.owner_id}


def _money(obj: Mapping[str, Any], field: str) -> str:
    try:
        return str(Money.from_minor(int(obj[field]), str(obj["currency"]).upper()))
    except (KeyError, TypeError, ValueError):
        return "unknown amount"


def _describe(obj: Mapping[str, Any]) -> str:
    return f"Stripe {obj.get('object', 'object')} {obj.get('id')} (raised by revcycle)."
