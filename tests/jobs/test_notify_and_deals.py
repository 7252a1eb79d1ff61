"""Signed notifications retried until delivered; closed-won deals checked after their grace."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from canonical.records import Source
from canonical.store import Store
from canonical.store.engine import connect
from canonical.store.findings import list_findings
from jobs.relay import relay
from jobs.services import JobsConfig, NotifyTarget
from sandbox.serve import AppServer
from tests.jobs.helpers import followup_rows, in_process, store_event, store_stripe, stripe_event
from tests.jobs.sandbox_fixtures import OPPORTUNITY_ID, Org, connectors, org, sandbox, tasks_about
from tests.jobs.test_worker import outbound_message

__all__ = ["connectors", "org", "sandbox"]  # fixtures, imported for pytest
SECRET = "whsec_" + base64.b64encode(b"notification-test-key").decode()


class Receiver:
    """Answers 503 to the first `failures` posts, 200 after; keeps what it got."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []

    async def endpoint(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        return Response(status_code=503 if len(self.received) <= self.failures else 200)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    got = Receiver(failures=2)
    app = Starlette(routes=[Route("/hook", got.endpoint, methods=["POST"])])
    with AppServer(app) as server:
        yield got, server.url + "/hook"


async def test_dispute_notification_is_signed_and_retried_until_delivered(
    store: Store, receiver: tuple[Receiver, str]
) -> None:
    got, url = receiver
    config = JobsConfig(
        retry_base_s=0.01,
        followups=frozenset({"notify"}),
        notify=(NotifyTarget(url, slack=False), NotifyTarget(url, slack=True)),
        notify_secret=SECRET,
    )
    queue, _ = in_process(store, config=config)
    dispute = {"id": "dp_1", "object": "dispute", "amount": 1999, "currency": "usd",
               "status": "needs_response", "reason": "fraudulent", "charge": "ch_1",
               "created": 1_750_000_000}  # fmt: skip
    event_id = await store_stripe(
        store, stripe_event("evt_dp", "charge.dispute.created", dispute, 1)
    )
    assert event_id is not None
    await queue.enqueue("process_event", event_id)
    await queue.drain()
    rows = await followup_rows(store, "notify")
    assert [r.status for r in rows] == ["done", "done"]
    delivered = got.received[-2:]
    plain = next(body for _, body in delivered if b'"type"' in body)
    headers = next(h for h, body in delivered if body is plain)
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + plain
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    assert json.loads(plain)["data"]["amount"] == 1999
    slack = next(body for _, body in delivered if body is not plain)
    assert set(json.loads(slack)) == {"text"}
    assert "19.99 USD" in json.loads(slack)["text"]
    assert len(got.received) == 4  # two failures retried, then one delivery per URL


async def test_won_deal_past_its_grace_with_no_invoice_gets_a_finding_and_a_task(
    org: Org, store: Store, connectors: dict[Source, Any]
) -> None:
    queue, services = in_process(
        store, connectors=connectors, config=JobsConfig(deal_grace_days=14)
    )
    body = outbound_message(OPPORTUNITY_ID, "04l000000000009AAA")
    event_id = await store_event(store, "salesforce", "04l000000000009AAA", "Opportunity", body)
    assert event_id is not None
    await queue.enqueue("process_event", event_id)
    await queue.drain()
    (scheduled,) = await followup_rows(store, "deal_check")
    assert scheduled.status == "scheduled"
    assert scheduled.request is not None
    assert scheduled.request["due"].startswith("2026-01-15")  # CloseDate 2026-01-01 + 14 days
    await relay(services)  # the clock is past the due date: the check runs now
    await queue.drain()
    async with connect(store.engine) as conn:
        (finding,) = await list_findings(conn, kind="unbilled_deal")
    assert finding.finding.key.source_id == OPPORTUNITY_ID
    assert (finding.finding.amount_at_stake.minor, finding.finding.amount_at_stake.currency) == (
        1000,
        "USD",
    )
    tasks = [t for t in tasks_about(connectors, OPPORTUNITY_ID) if "Unbilled" in t["Subject"]]
    assert len(tasks) == 1
    await relay(services)  # a second pass finds the check done
    await queue.drain()
    assert [r.status for r in await followup_rows(store, "deal_check")] == ["done"]
