"""The SystemModstamp watermark: what it skips, how it moves, how it is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.salesforce import cursor as cursor_module
from connectors.salesforce.cursor import CursorError, Watermark, take_new
from connectors.salesforce.streams import read_query

T0 = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)


def row(record_id: str, moment: datetime) -> dict[str, Any]:
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
    return {"Id": record_id, "SystemModstamp": stamp}


def test_a_fresh_watermark_reads_everything_in_modstamp_order() -> None:
    assert read_query("Lead", ["Id", "Name"], Watermark()) == (
        "SELECT Id, Name FROM Lead ORDER BY SystemModstamp ASC, Id ASC"
    )


def test_the_filter_starts_at_the_whole_second_of_the_newest_record() -> None:
    _, mark = take_new(Watermark(), [row("a", T0 + timedelta(milliseconds=750))])
    assert mark.soql_filter() == "SystemModstamp >= 2026-01-05T09:00:00Z"


def test_ids_delivered_within_the_boundary_second_are_skipped_and_others_kept() -> None:
    _, mark = take_new(Watermark(), [row("a", T0), row("b", T0 + timedelta(milliseconds=5))])
    late = row("0", T0 + timedelta(milliseconds=1))  # committed late, inside the same second
    fresh, _ = take_new(mark, [row("a", T0), late, row("b", T0), row("c", T0 + timedelta(1))])
    assert [r["Id"] for r in fresh] == ["0", "c"]


def test_a_newer_second_resets_the_boundary_ids() -> None:
    _, mark = take_new(Watermark(), [row("a", T0), row("b", T0 + timedelta(seconds=2))])
    assert mark.seen == frozenset({"b"})
    assert mark.since == T0 + timedelta(seconds=2)


def test_overflowing_ids_in_one_second_fall_back_to_the_last_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cursor_module, "MAX_SEEN", 3)
    rows = [row(f"id{n}", T0 + timedelta(milliseconds=n)) for n in range(6)]
    first, mark = take_new(Watermark(), rows[:4])
    assert mark.last is not None
    assert not mark.seen
    again, _ = take_new(Watermark.decode(mark.encode()), rows)
    assert [r["Id"] for r in [*first, *again]] == [r["Id"] for r in rows]


def test_encode_decode_round_trip() -> None:
    _, mark = take_new(Watermark(), [row("a", T0), row("b", T0)])
    mark = mark.finished().at(T0 + timedelta(hours=1))
    assert Watermark.decode(mark.encode()) == mark
    assert len(mark.encode()) < 200


@pytest.mark.parametrize("text", ["not json", "[]", '{"v": 99}', '{"v": 1, "since": "yesterday"}'])
def test_a_foreign_cursor_is_refused(text: str) -> None:
    with pytest.raises(CursorError):
        Watermark.decode(text)


def test_age_is_measured_from_the_read_not_from_the_data() -> None:
    _, mark = take_new(Watermark(), [row("a", T0 - timedelta(days=90))])
    assert mark.at(T0).age(T0 + timedelta(days=2)) == timedelta(days=2)
