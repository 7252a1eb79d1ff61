"""Follow-ups against the emulators: one Task however often an event comes, the ledger payment
keyed by the charge id, findings when write-back is off, nothing when follow-ups are off."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from canonical.records import Invoice, Source, SourceRef
from canonical.store import Store
from canonical.store.engine import begin, connect
from canonical.store.findings import list_findings
from canonical.store.inbox import replay
from jobs.services import JobsConfig
from tests.jobs.helpers import (
    followup_rows,
    in_process,
    inbox_row,
    store_event,
    store_stripe,
    stripe_event,
)
from tests.jobs.sandbox_fixtures import (
    INVOICE_ID,
    NUMBER,
    OPPORTUNITY_ID,
    OWNER_ID,
    Org,
    connectors,
    org,
    qbo_payments,
    sandbox,
    stripe_invoice,
    tasks_about,
)

__all__ = ["connectors", "org", "sandbox"]  # fixtures, imported for pytest
T0 = 1_750_000_000


def config(**changes: Any) -> JobsConfig:
    return JobsConfig(retry_base_s=0.01, relay_min_age_s=0, **changes)


async def deliver(store: Store, event: dict[str, Any], times: int = 1) -> list[int]:
    ids = [await store_stripe(store, event) for _ in range(times)]
    return [i for i in ids if i is not None]


async def test_five_duplicate_deliveries_make_one_task_and_one_followup_row(
    org: Org, store: Store, connectors: dict[Source, Any]
) -> None:
    queue, _ = in_process(store, connectors=connectors, config=config())
    event = stripe_event("evt_pf1", "invoice.payment_failed", stripe_invoice("open"), T0)
    (event_id,) = await deliver(store, event, times=5)
    for _ in range(5):  # the gateway enqueues once; replays and relays may add more jobs
        await queue.enqueue("process_event", event_id)
    await queue.drain()
    tasks = await asyncio.to_thread(tasks_about, connectors, OPPORTUNITY_ID)
    assert len(tasks) == 1
    assert tasks[0]["OwnerId"] == OWNER_ID
    assert "RC-0042" in tasks[0]["Subject"]
    assert "10.00 USD" in tasks[0]["Subject"]
    assert "Your card was declined." in tasks[0]["Subject"]
    rows = await followup_rows(store, "payment_failed_task")
    assert [(r.idempotency_key, r.status) for r in rows] == [
        ("sf-task:invoice.payment_failed:evt_pf1", "done")
    ]


async def test_followups_switched_off_make_no_task(
    org: Org, store: Store, connectors: dict[Source, Any]
) -> None:
    queue, _ = in_process(store, connectors=connectors, config=config(followups=frozenset()))
    event = stripe_event("evt_pf2", "invoice.payment_failed", stripe_invoice("open"), T0)
    (event_id,) = await deliver(store, event)
    await queue.enqueue("process_event", event_id)
    await queue.drain()
    assert (await inbox_row(store, event_id)).status == "processed"
    assert await asyncio.to_thread(tasks_about, connectors, OPPORTUNITY_ID) == []
    assert await followup_rows(store) == []


async def test_paid_invoice_open_in_ledger_gets_one_payment_keyed_by_the_charge(
    org: Org, store: Store, connectors: dict[Source, Any]
) -> None:
    queue, _ = in_process(store, connectors=connectors, config=config(ledger_writeback=True))
    event = stripe_event("evt_paid1", "invoice.paid", stripe_invoice("paid"), T0)
    (event_id,) = await deliver(store, event)
    await queue.enqueue("process_event", event_id)
    await queue.drain()
    async with begin(store.engine) as conn:
        assert await replay(conn, ids=[event_id]) == [event_id]
    await queue.enqueue("process_event", event_id)
    await queue.drain()
    payments = await asyncio.to_thread(qbo_payments, connectors)
    assert len(payments) == 1
    assert payments[0]["PaymentRefNum"] == "ch_rc1"
    assert payments[0]["Line"][0]["LinkedTxn"][0]["TxnId"] == "70"
    (row,) = await followup_rows(store, "ledger_payment")
    assert row.response is not None
    assert row.response["request_id"] == "ch_rc1"


async def test_paid_invoice_open_in_ledger_without_writeback_opens_one_status_mismatch(
    org: Org, store: Store, connectors: dict[Source, Any]
) -> None:
    queue, _ = in_process(store, connectors=connectors, config=config(ledger_writeback=False))
    for n in range(2):
        event = stripe_event(f"evt_paid_nw{n}", "invoice.paid", stripe_invoice("paid"), T0 + n)
        (event_id,) = await deliver(store, event)
        await queue.enqueue("process_event", event_id)
    await queue.drain()
    assert await asyncio.to_thread(qbo_payments, connectors) == []
    async with connect(store.engine) as conn:
        findings = await list_findings(conn, kind="status_mismatch")
    assert len(findings) == 1
    finding = findings[0].finding
    assert finding.key.source_id == INVOICE_ID
    assert (finding.amount_at_stake.minor, finding.amount_at_stake.currency) == (1000, "USD")
    customer = stripe_invoice("paid")["customer"]
    assert finding.party == SourceRef(Source.STRIPE, customer)  # as a reconcile names it


async def test_quickbooks_notification_refetches_the_entity_and_rotated_tokens_are_stored(
    org: Org, store: Store, connectors: dict[Source, Any]
) -> None:
    queue, _ = in_process(store, connectors=connectors, config=config())
    element = {"specversion": "1.0", "id": "ce-1", "type": "qbo.invoice.updated.v1",
               "source": "intuit.qbo", "intuitaccountid": org.settings.QUICKBOOKS_REALM_ID,
               "intuitentityid": "70", "time": "2026-01-05T10:00:00Z"}  # fmt: skip
    body = json.dumps([element]).encode()
    event_id = await store_event(store, "quickbooks", "ce-1", "qbo.invoice.updated.v1", body)
    assert event_id is not None
    await queue.enqueue("process_event", event_id)
    await queue.drain()
    assert (await inbox_row(store, event_id)).status == "processed"
    held = await store.get(Invoice, Source.QUICKBOOKS, "70")
    assert held is not None
    assert (held.number, held.total.minor) == (NUMBER, 1000)
    token = await store.get_token("quickbooks", str(org.settings.QUICKBOOKS_REALM_ID))
    assert token is not None  # the first refresh went through the store's compare-and-swap
    assert token.version >= 1
