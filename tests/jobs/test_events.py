"""process_event on the in-process queue: ordering, one effect per event, statuses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from arq import Retry

from canonical.records import Invoice, InvoiceStatus, Party, Source
from canonical.store import Store
from canonical.store.engine import begin
from canonical.store.inbox import replay
from jobs.events import process_events
from jobs.queue import InProcessQueue, QueueUnavailable
from jobs.services import SERVICES, JobsConfig
from tests.jobs.helpers import (
    in_process,
    inbox_row,
    store_event,
    store_stripe,
    stripe_event,
    stripe_fixture,
)

T0 = 1_750_000_000


class DownQueue(InProcessQueue):
    """Redis down, as `ArqQueue` reports it."""

    def __init__(self) -> None:
        super().__init__({})

    async def enqueue_new(self, function: str, jobs: Sequence[tuple[str, tuple[Any, ...]]]) -> int:
        raise QueueUnavailable("cannot reach Redis: ConnectionRefusedError")


def invoice(status: str, amount_paid: int) -> dict[str, object]:
    obj = stripe_fixture("invoice")
    obj.update(status=status, amount_paid=amount_paid, amount_remaining=1000 - amount_paid)
    return obj


async def run(queue: InProcessQueue, *event_ids: int | None) -> None:
    for event_id in event_ids:
        assert event_id is not None
        await queue.enqueue("process_event", event_id, job_id=f"event:{event_id}")
        await queue.drain()


async def test_older_invoice_update_arriving_last_leaves_the_newest_state(store: Store) -> None:
    queue, _ = in_process(store)
    newer = stripe_event("evt_new", "invoice.updated", invoice("paid", 1000), T0 + 60)
    older = stripe_event("evt_old", "invoice.updated", invoice("open", 0), T0)
    await run(queue, await store_stripe(store, newer), await store_stripe(store, older))
    held = await store.get(Invoice, Source.STRIPE, "in_1Pgc6tB7WZ01zgkWu9fdqL6I")
    assert held is not None
    assert held.status is InvoiceStatus.PAID
    assert held.amount_paid is not None
    assert held.amount_paid.minor == 1000


async def test_a_processed_event_run_again_is_not_processed_twice(store: Store) -> None:
    queue, _ = in_process(store)
    event_id = await store_stripe(
        store, stripe_event("evt_1", "invoice.finalized", invoice("open", 0), T0)
    )
    await run(queue, event_id, event_id)
    assert event_id is not None
    row = await inbox_row(store, event_id)
    assert (row.status, row.attempts, row.error) == ("processed", 1, None)


async def test_deleted_customer_is_kept_and_marked_deleted(store: Store) -> None:
    queue, _ = in_process(store)
    customer = stripe_fixture("customer")
    created = stripe_event("evt_c1", "customer.created", customer, T0)
    gone = stripe_event("evt_c2", "customer.deleted", {**customer, "deleted": True}, T0 + 5)
    await run(queue, await store_stripe(store, created), await store_stripe(store, gone))
    held = await store.get(Party, Source.STRIPE, customer["id"])
    assert held is not None
    assert held.deleted
    assert held.email == customer["email"]


async def test_a_payload_that_cannot_map_is_dead_at_once_with_its_reason(store: Store) -> None:
    queue, _ = in_process(store)
    broken = invoice("open", 0)
    del broken["currency"]
    event_id = await store_stripe(store, stripe_event("evt_bad", "invoice.updated", broken, T0))
    await run(queue, event_id)
    assert event_id is not None
    row = await inbox_row(store, event_id)
    assert (row.status, row.attempts) == ("dead", 1)
    assert "currency" in (row.error or "")
    assert queue.retried == 0


async def test_an_unhandled_type_reaching_a_job_is_ignored(store: Store) -> None:
    queue, _ = in_process(store)
    body = json.dumps(stripe_event("evt_p", "product.created", {"object": "product"}, T0))
    event_id = await store_event(store, "stripe", "evt_p", "product.created", body.encode())
    async with begin(store.engine) as conn:  # the gateway stored it ignored; force a job
        await replay(conn, ids=[event_id or 0])
    await run(queue, event_id)
    assert event_id is not None
    assert (await inbox_row(store, event_id)).status == "ignored"


async def test_a_batch_job_processes_each_of_its_events_once_as_its_own_job(
    store: Store,
) -> None:
    queue, _ = in_process(store)
    ids = [
        await store_stripe(
            store, stripe_event(f"evt_b{n}", "invoice.finalized", invoice("open", 0), T0)
        )
        for n in range(3)
    ]
    assert None not in ids
    await queue.enqueue("process_events", ids, job_id=f"events:{ids[0]}-{ids[-1]}")
    await queue.drain()
    assert queue.completed == 4  # the batch job, then one job per event
    for event_id in ids:
        assert event_id is not None
        row = await inbox_row(store, event_id)
        assert (row.status, row.attempts) == ("processed", 1)


async def test_a_batch_job_that_cannot_reach_the_queue_retries_then_leaves_it_to_the_relay(
    store: Store,
) -> None:
    _, services = in_process(store, config=JobsConfig(max_tries=2, relay_min_age_s=0))
    services = replace(services, queue=DownQueue())
    ctx = {SERVICES: services, "max_tries": 2}
    with pytest.raises(Retry):
        await process_events({**ctx, "job_try": 1}, [1, 2])
    with pytest.raises(QueueUnavailable):  # the last try fails the job: the relay has them
        await process_events({**ctx, "job_try": 2}, [1, 2])
