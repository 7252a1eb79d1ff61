"""The checkpoint a Stripe stream stores: a small JSON string only the stream reads.

Two states:
- `Listing`: a list read in progress (the first full read, or a re-list); `after` is the last id
  handed out, so an interrupted read resumes at the next page. `started` is when the read began:
  what changes while it runs is caught by the events from then on.
- `Since`: the events up to `since` (epoch seconds) are applied; `seen` are the event ids at
  exactly `since` already applied, so the next read can ask for `created >= since` and lose
  nothing that lands in the same second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

_VERSION = 1


@dataclass(frozen=True, slots=True)
class Listing:
    started: int
    after: str | None = None
    created_from: int | None = None  # only items created at or after this (a partial re-list)


@dataclass(frozen=True, slots=True)
class Since:
    since: int
    seen: tuple[str, ...] = ()


Cursor = Listing | Since


class UnreadableCursor(ValueError):
    """The stored checkpoint is not one this stream wrote."""


def encode(cursor: Cursor) -> str:
    body: dict[str, Any]
    if isinstance(cursor, Listing):
        body = {"listing": {"started": cursor.started, "after": cursor.after}}
        if cursor.created_from is not None:
            body["listing"]["created_from"] = cursor.created_from
    else:
        body = {"since": cursor.since}
        if cursor.seen:
            body["seen"] = list(cursor.seen)
    return orjson.dumps({"v": _VERSION, **body}).decode()


def decode(text: str) -> Cursor:
    try:
        body = orjson.loads(text)
        if not isinstance(body, dict) or body.get("v") != _VERSION:
            raise UnreadableCursor(f"unknown checkpoint format: {text[:80]!r}")
        if "listing" in body:
            listing = body["listing"]
            return Listing(
                started=_int(listing["started"]),
                after=_optional_str(listing.get("after")),
                created_from=_optional_int(listing.get("created_from")),
            )
        seen = body.get("seen", [])
        if not isinstance(seen, list) or not all(isinstance(s, str) for s in seen):
            raise UnreadableCursor("'seen' must be a list of event ids")
        return Since(since=_int(body["since"]), seen=tuple(seen))
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise UnreadableCursor(f"unreadable checkpoint: {text[:80]!r}") from exc


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UnreadableCursor(f"expected an integer, got {value!r}")
    return value


def _optional_int(value: object) -> int | None:
    return None if value is None else _int(value)


def _optional_str(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise UnreadableCursor(f"expected a string, got {value!r}")
