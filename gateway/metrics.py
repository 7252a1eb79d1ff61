"""Prometheus metrics, all named `revcycle_…`, on a registry of the app's own.

Counters (received, duplicates, rejections by reason, enqueue failures) count in this process.
Inbox outcomes and the queue lag are read from the store at scrape time, so every gateway process
reports the same, right figures whatever process received or processed the events.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from canonical.store import inbox
from canonical.store.engine import connect
from canonical.store.store import Store

CONTENT_TYPE = CONTENT_TYPE_LATEST


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.received = Counter(
            "revcycle_webhooks_received",
            "Events newly stored, by source.",
            ["source"],
            registry=self.registry,
        )
        self.duplicates = Counter(
            "revcycle_webhooks_duplicates",
            "Redelivered events answered 2xx and not stored again, by source.",
            ["source"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "revcycle_webhooks_rejected",
            "Deliveries refused, by source and reason.",
            ["source", "reason"],
            registry=self.registry,
        )
        self.enqueue_failures = Counter(
            "revcycle_enqueue_failures",
            "Stored events whose job could not be queued (the relay queues them later).",
            registry=self.registry,
        )
        self.inbox_events = Gauge(
            "revcycle_inbox_events",
            "Inbox events by processing status (read from the store).",
            ["status"],
            registry=self.registry,
        )
        self.queue_lag = Gauge(
            "revcycle_queue_lag_seconds",
            "Age of the oldest event still waiting to be processed (read from the store).",
            registry=self.registry,
        )

        # Per source, its (received, duplicates) children: `labels()` takes a lock and builds a
        # key on every call, which shows at thousands of deliveries per second.
        self._stored: dict[str, tuple[Counter, Counter]] = {}

    def count_stored(self, source: str, new: int, duplicates: int) -> None:
        children = self._stored.get(source)
        if children is None:
            children = self.received.labels(source), self.duplicates.labels(source)
            self._stored[source] = children
        if new:
            children[0].inc(new)
        if duplicates:
            children[1].inc(duplicates)

    async def refresh(self, store: Store, now: datetime) -> None:
        """Read the store-backed figures; raises `StoreError` when the store is down."""
        async with connect(store.engine) as conn:
            counts = await inbox.status_counts(conn)
            oldest = await inbox.oldest_waiting(conn)
        for status, count in counts.items():
            self.inbox_events.labels(status).set(count)
        self.queue_lag.set(0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()))

    def render(self) -> bytes:
        return generate_latest(self.registry)
