"""Closed-won deals that nobody bills.

When an opportunity is seen Closed Won, a check is scheduled for its close date plus the deal
grace days. The schedule lives in the `followups` table (status `scheduled`, the due time in its
request), not only in Redis: arq's deferred jobs would keep `revcycle worker --burst` waiting for
weeks, and the database is the record that survives a Redis flush. The relay enqueues
`check_unbilled_deal` once a check is due. When it runs and no Stripe invoice or subscription
carries the opportunity id in its metadata, an `unbilled_deal` finding is opened and a Task made.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from canonical.money import Money
from canonical.records import Deal, Finding, FindingKind, Invoice, Source, SourceRef, Subscription
from canonical.store.engine import begin
from canonical.store.findings import fingerprint_for, record_finding
from canonical.store.followups import SCHEDULED, begin_followup, get_followup
from jobs.once import Skip, once
from jobs.services import Services, call, services_of

KIND = "deal_check"


def check_key(deal_id: str) -> str:
    return f"deal-check:{deal_id}"


def due_at(deal: Deal, grace_days: int) -> datetime | None:
    if deal.close_date is None:
        return None
    return datetime.combine(deal.close_date + timedelta(days=grace_days), time(), UTC)


async def schedule_deal_check(services: Services, deal: Deal) -> None:
    if not (deal.is_won and deal.is_closed) or deal.deleted:
        return
    due = due_at(deal, services.config.deal_grace_days)
    if due is None:
        return
    async with begin(services.store.engine) as conn:
        await begin_followup(
            conn,
            kind=KIND,
            key=check_key(deal.source_id),
            target=deal.source_id,
            request={"deal_id": deal.source_id, "due": due.isoformat()},
            now=services.clock(),
            status=SCHEDULED,
        )


def is_due(request: Mapping[str, Any] | None, now: datetime) -> bool:
    due = (request or {}).get("due")
    return isinstance(due, str) and datetime.fromisoformat(due) <= now


async def check_unbilled_deal(ctx: dict[str, Any], deal_id: str) -> str:
    """The job: open an `unbilled_deal` finding and a Task when the won deal is still unbilled."""
    services = services_of(ctx)
    key = check_key(deal_id)
    async with begin(services.store.engine) as conn:
        row = await get_followup(conn, key)
    if row is not None and row.status == SCHEDULED and not is_due(row.request, services.clock()):
        return "not due"

    async def action() -> Mapping[str, Any]:
        deal = await services.store.get(Deal, Source.SALESFORCE, deal_id)
        if deal is None or deal.deleted or not deal.is_won:
            raise Skip("the opportunity is no longer closed won")
        if await _billed(services, deal_id):
            raise Skip("the deal is billed")
        fingerprint = await _open_finding(services, deal)
        task = await _task(services, deal, key)
        return {"finding": fingerprint, **task}

    return await once(services, KIND, key, deal_id, action)


async def _billed(services: Services, deal_id: str) -> bool:
    async for invoice in services.store.stream(Invoice, source=Source.STRIPE):
        if invoice.deal_id == deal_id and not invoice.deleted:
            return True
    async for subscription in services.store.stream(Subscription, source=Source.STRIPE):
        if subscription.deal_id == deal_id and not subscription.deleted:
            return True
    return False


async def _open_finding(services: Services, deal: Deal) -> str:
    key = SourceRef(Source.SALESFORCE, deal.source_id)
    amount = deal.amount or Money.zero("USD")
    finding = Finding(
        kind=FindingKind.UNBILLED_DEAL,
        key=key,
        records=(key,),
        amount_at_stake=amount,
        detail=f"closed won on {deal.close_date}, no Stripe invoice or subscription for it",
        fingerprint=fingerprint_for(FindingKind.UNBILLED_DEAL, key),
        party=SourceRef(Source.SALESFORCE, deal.party_id) if deal.party_id else None,
    )
    async with begin(services.store.engine) as conn:
        await record_finding(conn, finding, now=services.clock())
    return finding.fingerprint


async def _task(services: Services, deal: Deal, key: str) -> dict[str, Any]:
    salesforce = services.connectors.get(Source.SALESFORCE)
    if salesforce is None:
        return {"task": "Salesforce is not configured"}
    subject = f"Unbilled deal: {deal.name or deal.source_id} ({deal.amount})"
    description = f"Closed won on {deal.close_date}; no invoice or subscription carries its id."
    task_id = await call(
        salesforce.create_task, subject, deal.source_id, deal.owner_id, "High", description, key
    )
    return {"task_id": task_id}
