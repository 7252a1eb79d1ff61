"""Time: instants are timezone-aware UTC; calendar dates stay `date`.

Stripe sends epoch seconds, QuickBooks ISO-8601 with offsets (`2026-03-01T10:00:00-08:00`),
Salesforce ISO-8601 with `+0000`. Every parse lands on an aware UTC `datetime`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from canonical.errors import TimeError


def utc(moment: datetime) -> datetime:
    """The same instant in UTC; a naive value is a bug upstream, so it raises."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TimeError(f"naive datetime {moment.isoformat()} has no timezone")
    return moment.astimezone(UTC)


def from_epoch(seconds: int | float) -> datetime:
    """An instant from Unix epoch seconds (Stripe's `created`)."""
    return datetime.fromtimestamp(seconds, tz=UTC)


def parse_instant(text: str) -> datetime:
    """An instant from ISO-8601 text with an offset or `Z` (QuickBooks, Salesforce)."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    elif len(value) > 5 and value[-5] in "+-" and value[-3] != ":":
        value = f"{value[:-2]}:{value[-2:]}"  # Salesforce writes +0000
    try:
        return utc(datetime.fromisoformat(value))
    except ValueError as exc:
        raise TimeError(f"not an ISO-8601 instant: {text!r}") from exc


def parse_date(text: str) -> date:
    """A calendar date from `YYYY-MM-DD` (QuickBooks `TxnDate`, Salesforce `CloseDate`)."""
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError as exc:
        raise TimeError(f"not an ISO-8601 date: {text!r}") from exc


def to_epoch_micros(moment: datetime) -> int:
    """Microseconds since the epoch: the store's comparable form of a version."""
    aware = utc(moment)
    delta = aware - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_epoch_micros(micros: int) -> datetime:
    seconds, rest = divmod(micros, 1_000_000)
    return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=rest)
