"""Shared helpers for the jobs tests: inbox rows as the gateway stores them, and services."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from canonical.records import Source
from canonical.store import Store
from canonical.store.engine import begin, connect
from canonical.store.followups import Followup, list_followups
from canonical.store.inbox import InboxEvent, NewEvent, get_event, insert_events
from jobs.dispatch import handles
from jobs.queue import InProcessQueue
from jobs.services import SERVICES, JobsConfig, Services
from jobs.worker import FUNCTIONS
from tests.shared_fixtures import STRIPE_FIXTURES

FIXTURES = STRIPE_FIXTURES


def stripe_fixture(name: str) -> dict[str, Any]:
    resources: dict[str, Any] = json.loads(FIXTURES.read_text())["resources"]
    return copy.deepcopy(resources[name])


def stripe_event(
    event_id: str, event_type: str, obj: Mapping[str, Any], created: int
) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": created,
        "livemode": False,
        "api_version": "2025-03-31.basil",
        "data": {"object": dict(obj)},
    }


async def store_event(
    store: Store, source: str, key: str, event_type: str, body: bytes
) -> int | None:
    """Insert a delivery as the gateway does; the new inbox id, or None for a duplicate."""
    status = "received" if handles(source, event_type) else "ignored"
    new = NewEvent(source, key, event_type, {}, body, status)
    async with begin(store.engine) as conn:
        (event_id,) = await insert_events(conn, [new], now=datetime.now(UTC))
    return event_id


async def store_stripe(store: Store, event: Mapping[str, Any]) -> int | None:
    body = json.dumps(event).encode()
    return await store_event(store, "stripe", str(event["id"]), str(event["type"]), body)


async def inbox_row(store: Store, event_id: int) -> InboxEvent:
    async with connect(store.engine) as conn:
        found = await get_event(conn, event_id)
    assert found is not None
    return found


async def followup_rows(store: Store, kind: str | None = None) -> list[Followup]:
    async with connect(store.engine) as conn:
        return await list_followups(conn, kind=kind)


def in_process(
    store: Store,
    *,
    connectors: Mapping[Source, Any] | None = None,
    config: JobsConfig | None = None,
) -> tuple[InProcessQueue, Services]:
    config = config or JobsConfig(retry_base_s=0.01, relay_min_age_s=0)
    ctx: dict[str, Any] = {}
    queue = InProcessQueue(FUNCTIONS, ctx=ctx, max_tries=config.max_tries)
    services = Services(store=store, queue=queue, config=config, connectors=dict(connectors or {}))
    ctx[SERVICES] = services
    return queue, services
