"""The SystemModstamp watermark a Salesforce stream stores as its cursor (pure).

Reads are `queryAll ... WHERE SystemModstamp >= <second> ORDER BY SystemModstamp, Id`. SOQL
datetime literals have whole seconds, and records changed within one second can commit after we
read some of them, so the watermark keeps the second of the newest delivered record and the ids
delivered within that second: the next read starts at that second again and skips only those ids.
A resumed full read and an incremental read are then the same query; `complete` records that a
full read has reached the end once.

The id list is bounded: past `MAX_SEEN` ids in one second (a bulk load) the watermark keeps the
(SystemModstamp, Id) of the last delivered record instead and skips everything up to it in query
order; the only thing given up is a record committed late with an earlier key in that one second.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from canonical.errors import TimeError
from canonical.timeutil import parse_instant, utc

MAX_SEEN = 500
_VERSION = 1
Key = tuple[datetime, str]


class CursorError(ValueError):
    """A stored cursor that is not one of ours."""


@dataclass(frozen=True, slots=True)
class Watermark:
    since: datetime | None = None  # the whole second of the newest delivered SystemModstamp
    seen: frozenset[str] = frozenset()  # ids delivered within `since`
    last: Key | None = None  # when `seen` overflowed: everything up to this key was delivered
    complete: bool = False
    read_at: datetime | None = None  # when the page that set this watermark was read

    # -- the query
    def soql_filter(self) -> str | None:
        if self.since is None:
            return None
        return f"SystemModstamp >= {self.since.strftime('%Y-%m-%dT%H:%M:%SZ')}"

    def delivered(self, key: Key) -> bool:
        """Whether a record with this (SystemModstamp, Id) was already handed out."""
        if self.since is None or _second(key[0]) != self.since:
            return False
        return key[1] in self.seen or (self.last is not None and key <= self.last)

    # -- moving on
    def advance(self, key: Key) -> Watermark:
        second = _second(key[0])
        if self.since is None or second > self.since:
            return replace(self, since=second, seen=frozenset({key[1]}), last=None)
        if second < self.since:  # older than the window: the filter keeps these out anyway
            return self
        if self.last is not None or len(self.seen) >= MAX_SEEN:
            return replace(self, seen=frozenset(), last=key)
        return replace(self, seen=self.seen | {key[1]})

    def finished(self) -> Watermark:
        return replace(self, complete=True)

    def at(self, moment: datetime) -> Watermark:
        return replace(self, read_at=utc(moment))

    def age(self, now: datetime) -> timedelta | None:
        return None if self.read_at is None else now - self.read_at

    # -- storage
    def encode(self) -> str:
        data: dict[str, Any] = {"v": _VERSION, "complete": self.complete}
        if self.since is not None:
            data["since"] = _iso(self.since)
            data["seen"] = sorted(self.seen)
        if self.last is not None:
            data["last"] = [_iso(self.last[0]), self.last[1]]
        if self.read_at is not None:
            data["read_at"] = _iso(self.read_at)
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | None) -> Watermark:
        if text is None:
            return cls()
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("v") != _VERSION:
                raise CursorError(f"not a Salesforce cursor: {text[:80]!r}")
            last = data.get("last")
            return cls(
                since=_instant(data.get("since")),
                seen=frozenset(str(i) for i in data.get("seen", ())),
                last=(parse_instant(last[0]), str(last[1])) if last else None,
                complete=bool(data.get("complete", False)),
                read_at=_instant(data.get("read_at")),
            )
        except (ValueError, TypeError, KeyError, IndexError, TimeError) as exc:
            if isinstance(exc, CursorError):
                raise
            raise CursorError(f"unreadable Salesforce cursor {text[:80]!r}: {exc}") from exc


def record_key(record: Mapping[str, Any]) -> Key:
    return parse_instant(str(record["SystemModstamp"])), str(record["Id"])


def take_new(
    mark: Watermark, records: Iterable[Mapping[str, Any]]
) -> tuple[Sequence[Mapping[str, Any]], Watermark]:
    """The records not delivered yet, in order, and the watermark that covers them."""
    fresh: list[Mapping[str, Any]] = []
    for record in records:
        key = record_key(record)
        if mark.delivered(key):
            continue
        fresh.append(record)
        mark = mark.advance(key)
    return fresh, mark


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return utc(moment).isoformat().replace("+00:00", "Z")


def _instant(value: object) -> datetime | None:
    return None if value is None else parse_instant(str(value))
