"""Building inbox rows: the status a source's event type gets, and the headers worth keeping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from canonical.store.inbox import IGNORED, RECEIVED, NewEvent
from jobs.dispatch import handles

# Never kept whatever a source lists: they carry secrets, not evidence.
_NEVER_KEPT = frozenset({"authorization", "cookie", "x-revcycle-token"})


def kept_headers(headers: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    return {name: headers[name] for name in names if name in headers and name not in _NEVER_KEPT}


def new_event(
    source: str,
    dedupe_key: str,
    event_type: str | None,
    headers: Mapping[str, str],
    body: bytes,
) -> NewEvent:
    """Unknown types are stored too, as `ignored`: evidence of what arrived, and replayable."""
    status = RECEIVED if handles(source, event_type) else IGNORED
    return NewEvent(source, dedupe_key, event_type, headers, body, status)


def utc_now() -> datetime:
    return datetime.now(UTC)
