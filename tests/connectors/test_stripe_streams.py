"""Stream logic against an in-memory Stripe: cursors, event windows, invoice lines, fallbacks."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import Page
from connectors.errors import PermanentError
from connectors.stripe.cursor import Listing, Since, UnreadableCursor, decode, encode
from connectors.stripe.events import events_oldest_first, type_filter
from connectors.stripe.streams import SETTLE_S, SPECS_BY_NAME, StreamSettings, StripeStream

NOW = 1_800_000_000
DAY = 86400


class FakeStripe:
    """Lists, invoice lines and events as Stripe pages them (newest first, by object id)."""

    def __init__(self) -> None:
        self.objects: dict[str, list[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.lines: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        self.calls.append((path, dict(params)))
        if path == "/v1/events":
            items = [e for e in self.events if _type_ok(e["type"], params)]
        elif path.endswith("/lines"):
            return self._page(self.lines[path.split("/")[3]], params, ordered=False)
        else:
            items = list(self.objects[path.removeprefix("/v1/")])
        return self._page(items, params, ordered=True)

    @staticmethod
    def _page(
        items: list[dict[str, Any]], params: Mapping[str, Any], *, ordered: bool
    ) -> dict[str, Any]:
        created = params.get("created", {})
        if ordered:
            items = sorted(items, key=lambda o: (o["created"], o["id"]), reverse=True)
            items = [
                o
                for o in items
                if created.get("gte", -1) <= o["created"] < created.get("lt", 1 << 62)
            ]
        after = params.get("starting_after")
        if after is not None:
            ids = [o["id"] for o in items]
            if after not in ids:
                raise PermanentError(
                    "Stripe refused", vendor="stripe", status=400, code="resource_missing"
                )
            items = items[ids.index(after) + 1 :]
        limit = params["limit"]
        return {"object": "list", "data": items[:limit], "has_more": len(items) > limit}


def _type_ok(event_type: str, params: Mapping[str, Any]) -> bool:
    patterns = [params["type"]] if "type" in params else params.get("types", ["*"])
    return any(fnmatch.fnmatchcase(event_type, p) for p in patterns)


def event(n: int, created: int, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"evt_{n:04d}",
        "object": "event",
        "created": created,
        "type": kind,
        "data": {"object": obj},
    }


def invoice(n: int, created: int = NOW - DAY, **extra: Any) -> dict[str, Any]:
    lines = {"object": "list", "data": [], "has_more": False}
    return {"id": f"in_{n:04d}", "object": "invoice", "created": created, "lines": lines, **extra}


def stream(fake: FakeStripe, name: str, now: int = NOW, page_size: int = 3) -> StripeStream:
    return StripeStream(
        SPECS_BY_NAME[name],
        fake,  # type: ignore[arg-type]
        StreamSettings(page_size=page_size),
        now=lambda: datetime.fromtimestamp(now, UTC),
    )


def ids(pages: list[Page]) -> list[str]:
    return [str(item.payload["id"]) for page in pages for item in page.items]


# --- cursor -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        Listing(5),
        Listing(5, "in_1"),
        Listing(5, "txn_1", 3),
        Since(7),
        Since(7, ("evt_1", "evt_2")),
    ],
)
def test_cursor_round_trips(cursor: Listing | Since) -> None:
    assert decode(encode(cursor)) == cursor


@pytest.mark.parametrize(
    "text", ["", "{", "[]", '{"v": 2, "since": 1}', '{"v": 1}', '{"v": 1, "since": "x"}']
)
def test_unreadable_cursor_is_refused(text: str) -> None:
    with pytest.raises(UnreadableCursor):
        decode(text)


# --- events, oldest first ---------------------------------------------------------------------


def test_given_more_events_than_a_page_when_reading_then_all_come_oldest_first() -> None:
    fake = FakeStripe()
    fake.events = [event(i, NOW - 1000 + i * 7, "invoice.updated", invoice(i)) for i in range(50)]
    batches = list(events_oldest_first(fake.get, {"type": "invoice.*"}, NOW - 2000, NOW, 4))
    flat = [e["id"] for batch in batches for e in batch]
    assert flat == [f"evt_{i:04d}" for i in range(50)]
    assert max(len(batch) for batch in batches) <= 4


def test_given_a_crowded_second_when_reading_then_it_is_read_whole() -> None:
    fake = FakeStripe()
    fake.events = [event(i, NOW - 10, "invoice.updated", invoice(i)) for i in range(9)]
    batches = list(events_oldest_first(fake.get, {}, NOW - 100, NOW, 4))
    assert sorted(e["id"] for batch in batches for e in batch) == [f"evt_{i:04d}" for i in range(9)]


@pytest.mark.parametrize(
    ("types", "params"),
    [
        (("invoice.*",), {"type": "invoice.*"}),
        (("a.b", "a.c"), {"types": ["a.b", "a.c"]}),
    ],
)
def test_event_type_filter_uses_the_form_stripe_accepts(
    types: tuple[str, ...], params: dict[str, Any]
) -> None:
    assert type_filter(types) == params


def test_wildcards_among_several_types_are_refused() -> None:
    with pytest.raises(ValueError, match="exact names"):
        type_filter(("invoice.*", "charge.succeeded"))


# --- full reads -------------------------------------------------------------------------------


def test_full_read_checkpoints_each_page_and_ends_in_events_mode() -> None:
    fake = FakeStripe()
    fake.objects["invoices"] = [invoice(i, NOW - DAY + i) for i in range(7)]
    pages = list(stream(fake, "invoices").read(None))
    assert ids(pages) == [f"in_{i:04d}" for i in range(6, -1, -1)]
    assert [decode(p.cursor or "") for p in pages] == [
        Listing(NOW, "in_0004"),
        Listing(NOW, "in_0001"),
        Since(NOW),
    ]
    assert all(item.version is None for page in pages for item in page.items)


def test_given_a_cursor_saved_mid_read_when_resuming_then_the_rest_is_read_once() -> None:
    fake = FakeStripe()
    fake.objects["charges"] = [
        {"id": f"ch_{i:04d}", "object": "charge", "created": NOW - DAY + i} for i in range(10)
    ]
    first = stream(fake, "charges").read(None)
    saved = [next(first), next(first)]
    rest = list(stream(fake, "charges", now=NOW + 50).read(saved[-1].cursor))
    assert sorted(ids(saved) + ids(rest)) == [f"ch_{i:04d}" for i in range(10)]
    assert decode(rest[-1].cursor or "") == Since(NOW)  # the original start, not the resume


def test_given_the_resume_point_was_deleted_when_resuming_then_it_starts_over_and_says_so() -> None:
    fake = FakeStripe()
    fake.objects["payouts"] = [
        {"id": f"po_{i}", "object": "payout", "created": NOW - DAY + i} for i in range(5)
    ]
    pages = list(stream(fake, "payouts").read(encode(Listing(NOW - 10, "po_gone"))))
    assert "starting over" in (pages[0].note or "")
    assert sorted(ids(pages)) == [f"po_{i}" for i in range(5)]


def test_invoice_with_more_lines_than_embedded_gets_them_all() -> None:
    fake = FakeStripe()
    embedded = [{"id": "il_0"}, {"id": "il_1"}]
    fake.lines["in_0000"] = [{"id": f"il_{i}"} for i in range(250)]
    fake.objects["invoices"] = [
        invoice(0, lines={"object": "list", "data": embedded, "has_more": True})
    ]
    (page,) = list(stream(fake, "invoices").read(None))
    lines = page.items[0].payload["lines"]
    assert [line["id"] for line in lines["data"]] == [f"il_{i}" for i in range(250)]
    assert lines["has_more"] is False
    assert fake.calls[1] == ("/v1/invoices/in_0000/lines", {"limit": 100, "starting_after": "il_1"})


def test_subscriptions_are_listed_whatever_their_status() -> None:
    fake = FakeStripe()
    fake.objects["subscriptions"] = []
    list(stream(fake, "subscriptions").read(None))
    assert fake.calls[0][1]["status"] == "all"


# --- incremental reads ------------------------------------------------------------------------


def test_events_become_versioned_items_and_deletions_are_kept() -> None:
    fake = FakeStripe()
    customer = {"id": "cus_1", "object": "customer"}
    fake.events = [
        event(1, NOW - 100, "customer.created", customer),
        event(2, NOW - 50, "customer.updated", {**customer, "name": "B"}),
        event(3, NOW - 10, "customer.deleted", customer),
        event(4, NOW - 5, "customer.subscription.created", {"id": "sub_1", "object": "sub"}),
    ]
    pages = list(stream(fake, "customers").read(encode(Since(NOW - 200))))
    items = [item for page in pages for item in page.items]
    assert [(i.payload["id"], i.version, i.deleted) for i in items] == [
        ("cus_1", datetime.fromtimestamp(NOW - 100, UTC), False),
        ("cus_1", datetime.fromtimestamp(NOW - 50, UTC), False),
        ("cus_1", datetime.fromtimestamp(NOW - 10, UTC), True),
    ]
    assert fake.calls[0][1]["type"] == "customer.*"


def test_each_event_page_checkpoints_only_what_it_and_earlier_pages_hold() -> None:
    fake = FakeStripe()
    fake.events = [event(i, NOW - 100 + i * 10, "invoice.paid", invoice(i)) for i in range(8)]
    pages = list(stream(fake, "invoices", page_size=3).read(encode(Since(NOW - 200))))
    seen: list[int] = []
    for page in pages:
        seen += [int(item.version.timestamp()) for item in page.items if item.version]
        cursor = decode(page.cursor or "")
        assert isinstance(cursor, Since)
        assert all(created <= cursor.since for created in seen)
    assert len(seen) == 8


def test_given_events_already_applied_at_the_cursor_second_when_reading_then_they_are_skipped() -> (
    None
):
    fake = FakeStripe()
    fake.events = [
        event(1, NOW - 100, "payout.paid", {"id": "po_1", "object": "payout"}),
        event(2, NOW - 100, "payout.paid", {"id": "po_2", "object": "payout"}),
    ]
    pages = list(stream(fake, "payouts").read(encode(Since(NOW - 100, ("evt_0001",)))))
    assert ids(pages) == ["po_2"]


def test_upcoming_invoice_previews_are_not_records() -> None:
    fake = FakeStripe()
    fake.events = [event(1, NOW - 30, "invoice.upcoming", {"object": "invoice", "id": None})]
    fake.events[0]["data"]["object"].pop("id")
    pages = list(stream(fake, "invoices").read(encode(Since(NOW - 100))))
    assert ids(pages) == []


def test_quiet_time_moves_the_checkpoint_forward() -> None:
    fake = FakeStripe()
    pages = list(stream(fake, "disputes").read(encode(Since(NOW - 10 * DAY))))
    assert decode(pages[-1].cursor or "") == Since(NOW - SETTLE_S)


def test_given_a_checkpoint_older_than_30_days_when_reading_then_everything_is_read_again() -> None:
    fake = FakeStripe()
    fake.objects["refunds"] = [
        {"id": f"re_{i}", "object": "refund", "created": NOW - 40 * DAY + i} for i in range(5)
    ]
    pages = list(stream(fake, "refunds").read(encode(Since(NOW - 31 * DAY))))
    assert sorted(ids(pages)) == [f"re_{i}" for i in range(5)]
    assert "30-day" in (pages[0].note or "")
    assert all(page.note is None for page in pages[1:])
    assert all(path == "/v1/refunds" for path, _ in fake.calls)


def test_balance_transactions_have_no_events_so_they_are_relisted_with_a_lookback() -> None:
    fake = FakeStripe()
    fake.objects["balance_transactions"] = [
        {"id": f"txn_{i}", "object": "balance_transaction", "created": NOW - i * DAY}
        for i in range(20)
    ]
    pages = list(stream(fake, "balance_transactions", page_size=100).read(encode(Since(NOW - DAY))))
    assert sorted(ids(pages)) == sorted(f"txn_{i}" for i in range(9))
    assert fake.calls[0][1]["created"] == {"gte": NOW - 8 * DAY}
    assert decode(pages[-1].cursor or "") == Since(NOW)


def test_unreadable_checkpoint_means_a_full_read_with_a_note() -> None:
    fake = FakeStripe()
    fake.objects["customers"] = []
    (page,) = list(stream(fake, "customers").read("not json"))
    assert "reading all customers again" in (page.note or "")
