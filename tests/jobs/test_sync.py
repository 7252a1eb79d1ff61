"""The sync engine against a real store, with an in-memory connector playing the vendor."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from canonical.records import Invoice, Party, Source
from canonical.store import Store
from connectors.base import CheckResult, Item, Page
from connectors.errors import AuthError, TransientError, Unreachable
from jobs.sync import sync_source

READ_AT = datetime(2026, 11, 1, tzinfo=UTC)


def customer(n: int, name: str = "Acme") -> dict[str, Any]:
    return {
        "id": f"cus_{n:04d}",
        "object": "customer",
        "name": f"{name} {n}",
        "created": 1_700_000_000,
    }


def invoice(n: int, total: int = 1000) -> dict[str, Any]:
    return {
        "id": f"in_{n:04d}",
        "object": "invoice",
        "customer": f"cus_{n:04d}",
        "currency": "usd",
        "total": total,
        "status": "open",
        "created": 1_700_000_000 + n,
    }


@dataclass
class ListStream:
    """Pages of `page_size` items; the cursor is the index of the next item. Can fail once."""

    name: str
    items: list[Item]
    page_size: int = 3
    fail_after_pages: int | None = None
    reads: list[str | None] = field(default_factory=list)

    def read(self, cursor: str | None) -> Iterator[Page]:
        self.reads.append(cursor)
        start = json.loads(cursor)["next"] if cursor else 0
        for pages, offset in enumerate(range(start, len(self.items), self.page_size)):
            if self.fail_after_pages is not None and pages == self.fail_after_pages:
                self.fail_after_pages = None
                raise TransientError("connection reset", vendor="stripe")
            chunk = self.items[offset : offset + self.page_size]
            yield Page(chunk, json.dumps({"next": offset + len(chunk)}), READ_AT)


@dataclass
class FakeConnector:
    stream_list: list[ListStream]
    source: Source = Source.STRIPE

    def streams(self, objects: Sequence[str] | None = None) -> Sequence[ListStream]:
        return [s for s in self.stream_list if objects is None or s.name in objects]

    def check(self) -> CheckResult:
        return CheckResult(Source.STRIPE, ok=True)


def stripe_connector(n: int = 10) -> FakeConnector:
    return FakeConnector(
        [
            ListStream("customers", [Item("customers", customer(i)) for i in range(n)]),
            ListStream("invoices", [Item("invoices", invoice(i)) for i in range(n)]),
        ]
    )


async def test_first_sync_reads_and_creates_everything(store: Store) -> None:
    report = await sync_source(stripe_connector(10), store)
    assert report.ok
    assert report.objects["customers"].as_json() == {
        "read": 10,
        "created": 10,
        "updated": 0,
        "deleted": 0,
    }
    assert await store.count(Invoice, "stripe") == 10
    checkpoint = await store.get_checkpoint("stripe", "invoices")
    assert checkpoint is not None
    assert json.loads(checkpoint.cursor or "{}") == {"next": 10}


async def test_full_resync_of_unchanged_data_changes_nothing(store: Store) -> None:
    await sync_source(stripe_connector(7), store)
    again = await sync_source(stripe_connector(7), store, full=True)
    assert again.objects["invoices"].as_json() == {
        "read": 7,
        "created": 0,
        "updated": 0,
        "deleted": 0,
    }


async def test_given_crash_mid_stream_when_rerun_then_resumes_and_loses_nothing(
    store: Store,
) -> None:
    connector = stripe_connector(10)
    invoices = connector.stream_list[1]
    invoices.fail_after_pages = 2
    first = await sync_source(connector, store, batch_records=3)
    assert "invoices" in first.errors
    assert "connection reset" in first.errors["invoices"]
    assert await store.count(Invoice, "stripe") == 6  # two committed pages of three
    checkpoint = await store.get_checkpoint("stripe", "invoices")
    assert checkpoint is not None
    assert checkpoint.last_error is not None

    second = await sync_source(connector, store, batch_records=3)
    assert second.ok
    assert invoices.reads[-1] == json.dumps({"next": 6})
    assert second.objects["invoices"].created == 4
    assert await store.count(Invoice, "stripe") == 10


async def test_a_failing_object_does_not_stop_the_others(store: Store) -> None:
    connector = stripe_connector(4)
    connector.stream_list[0].items.append(Item("customers", {"object": "customer"}))  # no id
    report = await sync_source(connector, store)
    assert "customers" in report.errors
    assert "id" in report.errors["customers"]
    assert report.objects["invoices"].created == 4


@dataclass
class WalledStream(ListStream):
    """Raises `error` on its first read."""

    error: Exception | None = None

    def read(self, cursor: str | None) -> Iterator[Page]:
        self.reads.append(cursor)
        assert self.error is not None
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        Unreachable("could not reach Stripe for GET /v1/events", vendor="stripe"),
        AuthError("Stripe rejected the API key", vendor="stripe", status=401),
    ],
    ids=["unreachable", "rejected key"],
)
async def test_an_error_every_object_would_meet_stops_the_source(
    store: Store, error: Exception
) -> None:
    walled = WalledStream("customers", [], error=error)
    later = ListStream("invoices", [Item("invoices", invoice(0))])
    report = await sync_source(FakeConnector([walled, later]), store)

    assert later.reads == []  # not read, so not retried for nothing
    assert list(report.errors) == ["customers"]
    assert report.not_tried == ["invoices"]
    assert report.stopped_by == report.errors["customers"]
    assert not report.ok
    checkpoint = await store.get_checkpoint("stripe", "invoices")
    assert checkpoint is not None
    assert checkpoint.last_error == f"not tried: {report.errors['customers']}"


async def test_an_error_of_one_object_alone_does_not_stop_the_source(store: Store) -> None:
    walled = WalledStream("customers", [], error=TransientError("HTTP 503", vendor="stripe"))
    later = ListStream("invoices", [Item("invoices", invoice(0))])
    report = await sync_source(FakeConnector([walled, later]), store)

    assert list(report.errors) == ["customers"]
    assert report.not_tried == []
    assert report.objects["invoices"].created == 1


async def test_a_deletion_keeps_the_last_content_and_marks_it_deleted(store: Store) -> None:
    await sync_source(stripe_connector(2), store)
    tombstone = {"id": "cus_0001", "object": "customer", "deleted": True}
    later = datetime(2026, 11, 2, tzinfo=UTC)
    connector = FakeConnector(
        [ListStream("customers", [Item("customers", tombstone, version=later, deleted=True)])]
    )
    report = await sync_source(connector, store, full=True)
    assert report.objects["customers"].deleted == 1
    held = await store.get(Party, "stripe", "cus_0001")
    assert held is not None
    assert held.deleted
    assert held.name == "Acme 1"


async def test_given_crash_inside_a_batch_when_rerun_then_rereads_from_the_last_commit(
    store: Store,
) -> None:
    connector = stripe_connector(10)
    invoices = connector.stream_list[1]
    invoices.fail_after_pages = 3  # pages of 3: the batch of 6 commits, the third page is lost
    first = await sync_source(connector, store, batch_records=6)
    assert "invoices" in first.errors
    assert await store.count(Invoice, "stripe") == 6
    second = await sync_source(connector, store, batch_records=6)
    assert second.ok
    assert invoices.reads[-1] == json.dumps({"next": 6})
    assert await store.count(Invoice, "stripe") == 10


@dataclass
class FreezeWatchingStream(ListStream):
    """Notes, each time it is read, how many objects the cyclic collector has frozen."""

    frozen: list[int] = field(default_factory=list)

    def read(self, cursor: str | None) -> Iterator[Page]:
        self.frozen.append(gc.get_freeze_count())
        yield from super().read(cursor)


async def test_objects_older_than_a_sync_are_frozen_only_while_it_runs(store: Store) -> None:
    before = gc.get_freeze_count()
    stream = FreezeWatchingStream("customers", [Item("customers", customer(i)) for i in range(4)])
    report = await sync_source(FakeConnector([stream]), store)
    assert report.ok
    assert stream.frozen[0] > before
    assert gc.get_freeze_count() == before


@dataclass
class GatedStream(FreezeWatchingStream):
    """Holds its first page back until the test opens the gate (reads run in a worker thread)."""

    reading: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event = field(default_factory=threading.Event)

    def read(self, cursor: str | None) -> Iterator[Page]:
        self.frozen.append(gc.get_freeze_count())
        self.reading.set()
        self.gate.wait(timeout=10)
        yield from ListStream.read(self, cursor)


async def test_overlapping_syncs_keep_older_objects_frozen_until_the_last_one_ends(
    store: Store,
) -> None:
    before = gc.get_freeze_count()
    held = GatedStream("customers", [Item("customers", customer(1))])
    first = asyncio.create_task(sync_source(FakeConnector([held]), store))
    assert await asyncio.to_thread(held.reading.wait, 10)
    other = FreezeWatchingStream("invoices", [Item("invoices", invoice(2))])
    assert (await sync_source(FakeConnector([other]), store)).ok
    assert gc.get_freeze_count() > before  # the first sync is still reading
    held.gate.set()
    assert (await first).ok
    assert gc.get_freeze_count() == before
