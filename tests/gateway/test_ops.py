"""The ops API: the token gate, listing, showing and replaying events, and its OpenAPI document
(events, findings and the report) checked by schemathesis against a live server."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from canonical.records import FindingStatus
from canonical.store import Store
from canonical.store import findings as findings_repo
from canonical.store import inbox as repo
from canonical.store.engine import begin
from gateway.app import create_app
from reconciliation.model import ReconcileResult, RunSummary
from tests.gateway.conftest import (
    OPS_TOKEN,
    Gateway,
    GatewayFactory,
    RecordingQueue,
    default_config,
    serving,
    stripe_event,
    stripe_signature,
)
from tests.reconciliation.report_samples import SAMPLE_FINDINGS, sample_history, sample_result

AUTH = {"Authorization": f"Bearer {OPS_TOKEN}"}


async def deliver(gateway: Gateway, *event_ids: str) -> None:
    for event_id in event_ids:
        body = stripe_event(event_id)
        response = await gateway.client.post(
            "/webhooks/stripe", content=body, headers={"stripe-signature": stripe_signature(body)}
        )
        assert response.status_code == 200


async def kill(store: Store, event_id: int) -> None:
    async with begin(store.engine) as conn:
        await repo.finish_event(conn, event_id, repo.DEAD, now=datetime.now(UTC), error="boom")


async def test_ops_needs_the_bearer_token(gateway: Gateway) -> None:
    assert (await gateway.client.get("/ops/events")).status_code == 401
    wrong = await gateway.client.get("/ops/events", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "unauthorized"
    assert (await gateway.client.get("/ops/events", headers=AUTH)).status_code == 200


async def test_without_a_configured_token_ops_are_closed(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(default_config(ops_token=None))
    response = await gateway.client.get("/ops/events", headers=AUTH)
    assert response.status_code == 403
    assert response.json()["error"] == "ops_closed"


async def test_events_are_listed_newest_first_and_paged(gateway: Gateway) -> None:
    await deliver(gateway, "evt_a", "evt_b", "evt_c")
    first = (await gateway.client.get("/ops/events?limit=2", headers=AUTH)).json()
    assert [e["event_id"] for e in first["events"]] == ["evt_c", "evt_b"]
    after = first["next_before_id"]
    rest = (await gateway.client.get(f"/ops/events?limit=2&before_id={after}", headers=AUTH)).json()
    assert [e["event_id"] for e in rest["events"]] == ["evt_a"]
    assert rest["next_before_id"] is None
    assert (await gateway.client.get("/ops/events?status=bogus", headers=AUTH)).status_code == 400
    assert (await gateway.client.get("/ops/events?limit=0", headers=AUTH)).status_code == 400


async def test_an_event_is_shown_with_its_body_and_a_missing_one_is_404(gateway: Gateway) -> None:
    await deliver(gateway, "evt_show")
    [stored] = await gateway.events()
    shown = (await gateway.client.get(f"/ops/events/{stored.id}", headers=AUTH)).json()
    assert shown["event_id"] == "evt_show"
    assert shown["body"] == stripe_event("evt_show").decode()
    assert (await gateway.client.get("/ops/events/999999", headers=AUTH)).status_code == 404
    huge = await gateway.client.get(f"/ops/events/{2**70}", headers=AUTH)
    assert huge.status_code == 404


async def test_an_unknown_path_or_method_answers_the_json_error_shape(gateway: Gateway) -> None:
    unknown = await gateway.client.get("/ops/nothing-here", headers=AUTH)
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "not_found", "detail": "nothing at /ops/nothing-here"}
    not_an_id = await gateway.client.get("/ops/events/abc", headers=AUTH)
    assert (not_an_id.status_code, not_an_id.json()["error"]) == (404, "not_found")

    wrong_method = await gateway.client.delete("/ops/events", headers=AUTH)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "GET, HEAD"
    assert wrong_method.json() == {
        "error": "method_not_allowed",
        "detail": "/ops/events does not take DELETE; it takes GET, HEAD",
    }
    webhook_get = await gateway.client.get("/webhooks/stripe")
    assert (webhook_get.status_code, webhook_get.json()["error"]) == (405, "method_not_allowed")


async def test_dead_events_are_replayed_one_or_all_and_queued(gateway: Gateway) -> None:
    await deliver(gateway, "evt_d1", "evt_d2")
    first, second = await gateway.events()
    await kill(gateway.store, first.id)
    await kill(gateway.store, second.id)
    one = await gateway.client.post(f"/ops/events/{first.id}/replay", headers=AUTH)
    assert one.json() == {"replayed": [first.id], "queued": True}
    rest = await gateway.client.post("/ops/events/replay?status=dead", headers=AUTH)
    assert rest.json() == {"replayed": [second.id], "queued": True}
    assert [e.status for e in await gateway.events()] == ["received", "received"]
    assert (await gateway.client.post("/ops/events/replay", headers=AUTH)).status_code == 400


async def seed_findings(store: Store) -> None:
    """The report samples: open, acknowledged and resolved findings."""
    async with begin(store.engine) as conn:
        for finding in SAMPLE_FINDINGS:
            await findings_repo.record_finding(conn, finding, now=datetime.now(UTC))


async def test_the_ops_api_matches_its_openapi_document(store: Store) -> None:
    queue = RecordingQueue()
    await seed_findings(store)
    result = sample_result()

    async def load_report() -> tuple[ReconcileResult, Sequence[RunSummary]]:
        return result, sample_history()

    app = create_app(
        default_config(), store=Store(store.engine), queue=queue, report_loader=load_report
    )
    async with serving(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            for event_id in ("evt_s1", "evt_s2"):
                body = stripe_event(event_id)
                await client.post(
                    "/webhooks/stripe",
                    content=body,
                    headers={"stripe-signature": stripe_signature(body)},
                )
        schema = await asyncio.to_thread(schemathesis.openapi.from_url, f"{url}/ops/openapi.json")
        failures = await asyncio.to_thread(run_schemathesis, schema, url)
        failures += await asyncio.to_thread(run_lifecycle_cases, schema, url)
    assert failures == []


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPERATION_IDS = {
    "listEvents",
    "getEvent",
    "replayEvent",
    "replayEvents",
    "getReport",
    "listFindings",
    "acknowledgeFinding",
    "resolveFinding",
}


def run_schemathesis(schema: schemathesis.BaseSchema, url: str) -> list[str]:
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert {op.definition.raw["operationId"] for op in operations} == OPERATION_IDS
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
            case.call_and_validate(base_url=url, headers=AUTH, checks=CHECKS)

        try:
            check()
        except Exception as exc:  # collect per operation, report all at once
            failures.append(f"{operation.label}: {exc}")
    return failures


# Each step on every seeded finding, and its answer by the finding's status before the walk.
LIFECYCLE_WALK: tuple[tuple[str, dict[str, Any] | None], ...] = (
    ("ack", {"note": "seen"}),
    ("ack", None),  # again: changes nothing
    ("resolve", {"note": "fixed in QuickBooks"}),
    ("resolve", None),  # again: changes nothing
    ("ack", None),  # a resolved finding cannot be acknowledged
)
EXPECTED_WALK = {
    FindingStatus.OPEN: [200, 200, 200, 200, 409],
    FindingStatus.ACKNOWLEDGED: [200, 200, 200, 200, 409],
    FindingStatus.RESOLVED: [409, 409, 200, 200, 409],
}


def run_lifecycle_cases(schema: schemathesis.BaseSchema, url: str) -> list[str]:
    """Random fingerprints only meet 404: walk the seeded findings through every other answer,
    each checked against the document."""
    operations = {
        action: schema[f"/ops/findings/{{fingerprint}}/{action}"]["POST"]
        for action in ("ack", "resolve")
    }
    failures: list[str] = []
    for finding in SAMPLE_FINDINGS:
        statuses: list[int] = []
        for action, body in LIFECYCLE_WALK:
            operation = operations[action]
            path = {"fingerprint": finding.fingerprint}
            case = (
                operation.Case(path_parameters=path)
                if body is None
                else operation.Case(path_parameters=path, body=body, media_type="application/json")
            )
            try:
                response = case.call_and_validate(base_url=url, headers=AUTH, checks=CHECKS)
                statuses.append(response.status_code)
            except Exception as exc:
                failures.append(f"{operation.label} {finding.fingerprint}: {exc}")
        if statuses != EXPECTED_WALK[finding.status]:
            failures.append(f"{finding.fingerprint} ({finding.status}): answered {statuses}")
    return failures
