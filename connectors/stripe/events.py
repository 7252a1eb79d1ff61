"""Reading Stripe's events oldest first, a page at a time.

`GET /v1/events` lists newest first and only pages by object id, so "everything since T, oldest
first" is not one walk. We split the time range instead: a range whose events fit in one page is
read in one request and reversed; a fuller range is halved and the older half read first. Memory
stays at one page (plus one crowded second, which cannot be split further), and each batch is
complete and older than the next, so a checkpoint after any batch covers exactly what came before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

JSON = dict[str, Any]
Get = Callable[[str, Mapping[str, Any]], JSON]

EVENTS_PATH = "/v1/events"


def type_filter(event_types: Sequence[str]) -> dict[str, Any]:
    """Stripe's `type` takes one name or one `*` wildcard; `types[]` takes up to 20 exact names."""
    if len(event_types) == 1:
        return {"type": event_types[0]}
    if any("*" in name for name in event_types) or len(event_types) > 20:
        raise ValueError("several event types must be exact names, at most 20 of them")
    return {"types": list(event_types)}


def events_oldest_first(
    get: Get, filters: Mapping[str, Any], lo: int, hi: int, page_size: int = 100
) -> Iterator[list[JSON]]:
    """Batches of the events with `lo <= created < hi`, each oldest first, batches in order."""
    ranges = [(lo, hi)]
    while ranges:
        start, end = ranges.pop()
        if start >= end:
            continue
        page = get(EVENTS_PATH, _params(filters, start, end, page_size))
        data: list[JSON] = page["data"]
        if not page["has_more"]:
            if data:
                yield data[::-1]
            continue
        if end - start == 1:
            yield _whole_second(get, filters, start, page_size, data)
            continue
        middle = (start + end) // 2
        ranges.append((middle, end))
        ranges.append((start, middle))  # popped first: older events come out first


def _whole_second(
    get: Get, filters: Mapping[str, Any], second: int, page_size: int, first: list[JSON]
) -> list[JSON]:
    """Every event of one second (more than a page of them), oldest first."""
    collected = list(first)
    while True:
        params = {**_params(filters, second, second + 1, page_size)}
        params["starting_after"] = collected[-1]["id"]
        page = get(EVENTS_PATH, params)
        collected.extend(page["data"])
        if not page["has_more"] or not page["data"]:
            return collected[::-1]


def _params(filters: Mapping[str, Any], start: int, end: int, page_size: int) -> dict[str, Any]:
    return {**filters, "limit": page_size, "created": {"gte": start, "lt": end}}
