"""QuickBooks' timestamps: `2015-07-24T10:35:08-07:00`, sometimes with milliseconds or `Z`."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_qbo_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def qbo_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
