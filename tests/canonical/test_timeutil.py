from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canonical.errors import TimeError
from canonical.timeutil import (
    from_epoch,
    from_epoch_micros,
    parse_date,
    parse_instant,
    to_epoch_micros,
    utc,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T12:00:00.000+0000", datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("2026-03-01T10:00:00-08:00", datetime(2026, 3, 1, 18, tzinfo=UTC)),
        ("2026-03-01T12:00:00Z", datetime(2026, 3, 1, 12, tzinfo=UTC)),
    ],
)
def test_vendor_instants_parse_to_aware_utc(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", ["2026-03-01T12:00:00", "yesterday", ""])
def test_naive_or_garbled_instants_are_rejected(text: str) -> None:
    with pytest.raises(TimeError):
        parse_instant(text)


def test_dates_stay_dates() -> None:
    assert parse_date("2026-02-28") == date(2026, 2, 28)
    with pytest.raises(TimeError):
        parse_date("2026-02-30")


def test_naive_datetime_is_a_bug() -> None:
    with pytest.raises(TimeError):
        utc(datetime(2026, 1, 1))  # noqa: DTZ001 - the naive instant under test


def test_epoch_seconds_are_utc() -> None:
    assert from_epoch(0) == datetime(1970, 1, 1, tzinfo=UTC)


@given(st.datetimes(timezones=st.just(timezone(timedelta(hours=-7)))))
def test_epoch_micros_round_trip(moment: datetime) -> None:
    assert from_epoch_micros(to_epoch_micros(moment)) == moment
