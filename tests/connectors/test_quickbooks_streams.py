from collections.abc import Generator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest

from connectors.base import Item, Page
from connectors.errors import RateLimited
from connectors.quickbooks.client import QuickBooksClient
from connectors.quickbooks.streams import Cursor, QuickBooksStream, query_statement
from tests.connectors.quickbooks_fixtures import (
    CUSTOMERS,
    INVOICE_TOTALS,
    QboSandbox,
    customer,
    running,
)

ALL_CUSTOMER_IDS = sorted(c["Id"] for c in CUSTOMERS)


@pytest.fixture
def qbo(tmp_path: Path) -> Iterator[QboSandbox]:
    yield from running(tmp_path)


def read_all(stream: Any, cursor: str | None) -> tuple[list[Page], str | None]:
    pages = list(stream.read(cursor))
    last = next((p.cursor for p in reversed(pages) if p.cursor is not None), cursor)
    return pages, last


def items(pages: list[Page]) -> list[Item]:
    return [item for page in pages for item in page.items]


# -- the cursor, pure


def test_cursor_keeps_every_id_committed_at_the_boundary_second() -> None:
    first = Cursor().advance([customer("1", 10), customer("2", 20)])
    second = first.advance([customer("3", 20)])

    assert second.since == customer("3", 20)["MetaData"]["LastUpdatedTime"]
    assert second.seen == ("2@0", "3@0")
    assert second.already_committed(customer("2", 20))
    assert not second.already_committed(customer("4", 20))


def test_cursor_rereads_a_second_change_within_the_committed_second() -> None:
    cursor = Cursor().advance([customer("2", 20)])
    changed_again = {**customer("2", 20), "SyncToken": "1"}

    assert not cursor.already_committed(changed_again)


def test_cursor_round_trips_through_json() -> None:
    cursor = Cursor("2026-01-05T10:00:00+00:00", ("1@0", "2@3"), "2026-01-05T09:00:00+00:00")

    assert Cursor.parse(cursor.dump()) == cursor
    assert Cursor.parse(None) is None


def test_query_statement_reads_from_the_boundary_inclusive() -> None:
    assert query_statement("Invoice", "2026-01-05T10:00:00+00:00", 1, 1000) == (
        "SELECT * FROM Invoice WHERE Metadata.LastUpdatedTime >= '2026-01-05T10:00:00+00:00' "
        "ORDERBY Metadata.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000"
    )
    assert "WHERE" not in query_statement("Invoice", None, 1, 10)


class _NoChanges:
    def __init__(self) -> None:
        self.cdc_calls: list[tuple[str, str]] = []

    def query(self, statement: str) -> dict[str, Any]:
        return {"QueryResponse": {}, "time": "2026-03-01T12:00:00.000+00:00"}

    def change_data_capture(self, entities: str, changed_since: str) -> dict[str, Any]:
        self.cdc_calls.append((entities, changed_since))
        return {"CDCResponse": [{"QueryResponse": [{}]}], "time": "2026-03-01T12:00:01+00:00"}


def test_checkpoint_older_than_cdc_window_says_deletions_may_be_missed() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    fake = _NoChanges()
    stream = QuickBooksStream(cast(QuickBooksClient, fake), "Invoice", clock=lambda: now)
    old = Cursor("2026-01-01T00:00:00+00:00", (), "2026-01-01T00:00:00+00:00").dump()

    pages = list(stream.read(old))

    assert [p.note is not None for p in pages] == [True]
    assert "30-day" in (pages[0].note or "")
    changed_since = datetime.fromisoformat(fake.cdc_calls[0][1])
    assert changed_since >= now - timedelta(days=30)


def test_deletions_are_read_from_one_second_before_the_watermark() -> None:
    now = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
    fake = _NoChanges()
    stream = QuickBooksStream(cast(QuickBooksClient, fake), "Invoice", clock=lambda: now)
    cursor = Cursor("2026-03-01T11:00:00+00:00", (), "2026-03-01T12:00:00.500+00:00").dump()

    pages = list(stream.read(cursor))

    assert fake.cdc_calls == [("Invoice", "2026-03-01T11:59:59+00:00")]
    final = Cursor.parse(pages[-1].cursor)
    assert final is not None
    assert final.cdc_since == "2026-03-01T12:00:01+00:00"  # the CDC answer's own time


class _OneDeletion(_NoChanges):
    def change_data_capture(self, entities: str, changed_since: str) -> dict[str, Any]:
        super().change_data_capture(entities, changed_since)
        tombstone = {
            "Id": "9",
            "status": "Deleted",
            "MetaData": {"LastUpdatedTime": "2026-03-01T12:00:01+00:00"},
        }
        answer = {"Invoice": [tombstone], "startPosition": 1, "maxResults": 1}
        return {"CDCResponse": [{"QueryResponse": [answer]}], "time": "2026-03-01T12:00:01.400Z"}


def test_a_deletion_in_the_watermarks_own_second_is_yielded_once() -> None:
    now = datetime(2026, 3, 1, 12, 0, 2, tzinfo=UTC)
    stream = QuickBooksStream(cast(QuickBooksClient, _OneDeletion()), "Invoice", clock=lambda: now)
    cursor = Cursor("2026-03-01T11:00:00+00:00", (), "2026-03-01T12:00:00+00:00").dump()

    first = list(stream.read(cursor))
    again = list(stream.read(first[-1].cursor))

    assert [i.payload["Id"] for i in items(first) if i.deleted] == ["9"]
    assert items(again) == []


# -- against the emulator, through python-quickbooks


def test_full_read_yields_every_object_once_in_pages(qbo: QboSandbox) -> None:
    stream = qbo.connector().streams(["Customer"])[0]

    pages, _ = read_all(stream, None)

    ids = [item.payload["Id"] for item in items(pages)]
    assert sorted(ids) == ALL_CUSTOMER_IDS
    assert len(ids) == len(set(ids))
    assert all(len(page.items) <= 4 for page in pages)
    assert len(pages) == 3


def test_amounts_arrive_as_exact_decimals(qbo: QboSandbox) -> None:
    stream = qbo.connector().streams(["Invoice"])[0]

    pages, _ = read_all(stream, None)

    totals = [item.payload["TotalAmt"] for item in items(pages)]
    assert totals == [Decimal(t) for t in INVOICE_TOTALS]
    assert not any(isinstance(t, float) for t in totals)
    assert Decimal("99999999999.99") in totals


def test_incremental_read_sees_creates_updates_and_deletes(qbo: QboSandbox) -> None:
    stream = qbo.connector().streams(["Customer"])[0]
    _, cursor = read_all(stream, None)
    created = qbo.put("Customer", {**customer("50", 0), "DisplayName": "New Co"})
    qbo.patch("Customer", "2", {"DisplayName": "Renamed"})
    qbo.delete("Customer", "3")

    pages, cursor = read_all(stream, cursor)

    changed = {i.payload["Id"]: i.payload for i in items(pages) if not i.deleted}
    deleted = [i for i in items(pages) if i.deleted]
    assert set(changed) == {created["Id"], "2"}
    assert changed["2"]["DisplayName"] == "Renamed"
    assert [(d.obj, d.payload["Id"], d.payload["status"]) for d in deleted] == [
        ("Customer", "3", "Deleted")
    ]
    assert deleted[0].version is not None


def test_incremental_read_with_no_changes_reads_no_objects(qbo: QboSandbox) -> None:
    stream = qbo.connector().streams(["Customer"])[0]
    _, cursor = read_all(stream, None)

    pages, _ = read_all(stream, cursor)

    assert [i for i in items(pages) if not i.deleted] == []


def test_resume_from_a_cursor_saved_mid_way_loses_nothing(qbo: QboSandbox) -> None:
    stream = qbo.connector().streams(["Customer"])[0]
    reader = stream.read(None)
    first = next(reader)
    second = next(reader)  # read but never committed: the sync "crashed" mid-page
    assert isinstance(reader, Generator)
    reader.close()

    rest, _ = read_all(stream, first.cursor)

    ids = [i.payload["Id"] for i in [*first.items, *items(rest)]]
    assert sorted(ids) == ALL_CUSTOMER_IDS
    assert len(ids) == len(set(ids))
    assert [i.payload["Id"] for i in second.items] == [i.payload["Id"] for i in rest[0].items]


def test_rate_limit_storm_in_json_and_xml_ends_in_a_full_read(qbo: QboSandbox) -> None:
    connector = qbo.connector()
    connector.check()  # get a token first, so the storm hits the query
    qbo.faults(rate_limit=5, rate_limit_format="alternate")

    pages, _ = read_all(connector.streams(["Customer"])[0], None)

    assert sorted(i.payload["Id"] for i in items(pages)) == ALL_CUSTOMER_IDS
    assert connector.client.retries == 5
    assert len(qbo.sleeps) == 5


def test_server_errors_are_retried_until_success(qbo: QboSandbox) -> None:
    connector = qbo.connector()
    qbo.faults(server_error=2)

    pages, _ = read_all(connector.streams(["Invoice"])[0], None)

    assert len(items(pages)) == len(INVOICE_TOTALS)
    assert connector.client.retries == 2


def test_endless_throttling_raises_rate_limited_before_any_page(qbo: QboSandbox) -> None:
    connector = qbo.connector()
    connector.check()
    qbo.faults(rate_limit=50, rate_limit_format="xml")
    reader = connector.streams(["Customer"])[0].read(None)

    with pytest.raises(RateLimited) as caught:
        next(reader)
    assert caught.value.code == "3001"
    assert caught.value.retryable


def test_expired_token_mid_read_is_refreshed_once_and_the_read_goes_on(qbo: QboSandbox) -> None:
    connector = qbo.connector()
    reader = connector.streams(["Customer"])[0].read(None)
    first = next(reader)
    refreshes_before = connector.tokens.refreshes
    qbo.faults(expire_tokens=True)

    rest = list(reader)

    ids = [i.payload["Id"] for i in [*first.items, *items(rest)]]
    assert sorted(ids) == ALL_CUSTOMER_IDS
    assert connector.tokens.refreshes == refreshes_before + 1
