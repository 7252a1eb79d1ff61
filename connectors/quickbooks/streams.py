"""One stream per QuickBooks entity, read by `Metadata.LastUpdatedTime`, deletions from CDC.

Reading: `SELECT * FROM X WHERE Metadata.LastUpdatedTime >= 'T' ORDERBY Metadata.LastUpdatedTime
STARTPOSITION 1 MAXRESULTS n`. The cursor holds T (the newest LastUpdatedTime committed so far)
and the ids already committed *at* T: `>=` re-reads them and we skip them, so an object that
shares the boundary second with the last committed one is never lost (`>` would lose it), and
nothing committed is yielded twice. Keyset pages (always STARTPOSITION 1 past T) stay correct
while objects change under us; offsets would skip rows that move. Only a tie group of more than a
page of ids in one second falls back to offsets within that second.

A fresh read (no cursor) also notes QBO's server time at its start. Every later run, after the
query pages, asks `/cdc` what changed since then and yields its `"status": "Deleted"` objects as
deletions; CDC reaches back 30 days, so an older checkpoint says so in a page note.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import Item, Page
from connectors.quickbooks.client import QuickBooksClient
from connectors.quickbooks.times import parse_qbo_time, qbo_time

ENTITIES: tuple[str, ...] = (
    "Account",
    "Customer",
    "Invoice",
    "Payment",
    "CreditMemo",
    "RefundReceipt",
    "JournalEntry",
    "Deposit",
)
MAX_RESULTS = 1000  # QBO's ceiling on MAXRESULTS
CDC_PAGE_LIMIT = 1000  # QBO returns at most this many objects per entity per CDC call
# `cdc_since` is a watermark W: every deletion stamped before W's second has been delivered.
# QBO stamps whole seconds and `changedSince` is exclusive, so asking from one second before W
# returns exactly the stamps from W's second on (a deletion in the same second as W, after it,
# is not missed; the only re-reads are deletions stamped in W's own second).
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Cursor:
    since: str | None = None  # LastUpdatedTime of the newest committed object, as QBO wrote it
    # "Id@SyncToken" of the objects committed at `since`: a second change within the same second
    # bumps SyncToken, so it is read again rather than mistaken for the committed version.
    seen: tuple[str, ...] = ()
    cdc_since: str | None = None  # QBO server time from which deletions are still to be read
    # "Id@LastUpdatedTime" of deletions delivered in `cdc_since`'s own second, which the next
    # CDC read returns again: skipped, so a rerun does not count them twice.
    cdc_seen: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        if text is None:
            return None
        data = json.loads(text)
        return cls(
            data.get("since"),
            tuple(data.get("seen", ())),
            data.get("cdc_since"),
            tuple(data.get("cdc_seen", ())),
        )

    def dump(self) -> str:
        data = {
            "since": self.since,
            "seen": list(self.seen),
            "cdc_since": self.cdc_since,
            "cdc_seen": list(self.cdc_seen),
        }
        return json.dumps(data, separators=(",", ":"))

    def already_committed(self, obj: Mapping[str, Any]) -> bool:
        if self.since is None:
            return False
        return last_updated(obj) == parse_qbo_time(self.since) and _version_key(obj) in self.seen

    def advance(self, objs: Sequence[Mapping[str, Any]]) -> Cursor:
        newest = max(objs, key=lambda o: last_updated(o) or _EPOCH)
        raw = _raw_last_updated(newest)
        if raw is None:
            return self
        at = parse_qbo_time(raw)
        ids = [_version_key(o) for o in objs if last_updated(o) == at]
        if self.since is not None and parse_qbo_time(self.since) == at:
            ids = [*self.seen, *ids]
        return replace(self, since=raw, seen=tuple(dict.fromkeys(ids)))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _deletion_key(obj: Mapping[str, Any]) -> str:
    return f"{obj.get('Id')}@{last_updated(obj)}"


def _version_key(obj: Mapping[str, Any]) -> str:
    return f"{obj.get('Id')}@{obj.get('SyncToken', '')}"


def _raw_last_updated(obj: Mapping[str, Any]) -> str | None:
    meta = obj.get("MetaData")
    value = meta.get("LastUpdatedTime") if isinstance(meta, Mapping) else None
    return value if isinstance(value, str) and value else None


def last_updated(obj: Mapping[str, Any]) -> datetime | None:
    raw = _raw_last_updated(obj)
    return parse_qbo_time(raw) if raw else None


def query_statement(entity: str, since: str | None, start: int, page_size: int) -> str:
    where = f" WHERE Metadata.LastUpdatedTime >= '{since}'" if since else ""
    return (
        f"SELECT * FROM {entity}{where} ORDERBY Metadata.LastUpdatedTime"
        f" STARTPOSITION {start} MAXRESULTS {page_size}"
    )


@dataclass
class QuickBooksStream:
    """Reads one entity; its name is the entity, as in the dataset file names."""

    client: QuickBooksClient
    entity: str
    page_size: int = 1000
    cdc_lookback: timedelta = timedelta(days=30)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @property
    def name(self) -> str:
        return self.entity

    def read(self, cursor: str | None) -> Iterator[Page]:
        state = Cursor.parse(cursor)
        fresh = state is None
        state = yield from self._read_changes(state or Cursor())
        if not fresh:
            yield from self._read_deletions(state)

    def _read_changes(self, state: Cursor) -> Generator[Page, None, Cursor]:
        """Query pages from the cursor on; returns the cursor after the last page."""
        offset = 0  # only used inside a tie group larger than a page
        yielded = False
        starting = state.cdc_since is None
        while True:
            # Ask for the committed ties at T on top of a page, so a page brings a page of news.
            limit = min(MAX_RESULTS, self.page_size + len(state.seen))
            statement = query_statement(self.entity, state.since, 1 + offset, limit)
            response = self.client.query(statement)
            read_at = self.clock()
            rows = _query_rows(response, self.entity)
            if state.cdc_since is None:
                state = replace(state, cdc_since=_server_time(response) or qbo_time(read_at))
            fresh_rows = [row for row in rows if not state.already_committed(row)]
            if fresh_rows:
                state = state.advance(fresh_rows)
                items = [Item(self.entity, row) for row in fresh_rows]
                yield Page(items, state.dump(), read_at)
                yielded = True
                offset = 0
            elif len(rows) == limit:
                offset += limit  # a whole page of already-committed ties: step over it
                continue
            if len(rows) < limit:
                break
        if starting and not yielded:
            yield Page([], state.dump(), self.clock())  # records where deletions start
        return state

    def _read_deletions(self, state: Cursor) -> Iterator[Page]:
        if state.cdc_since is None:
            return
        watermark = parse_qbo_time(state.cdc_since)
        note = None
        oldest = self.clock() - self.cdc_lookback + timedelta(minutes=5)
        if watermark < oldest:
            note = (
                f"the checkpoint is older than QuickBooks CDC's {self.cdc_lookback.days}-day "
                f"window; deletions before {qbo_time(oldest)} cannot be seen (run a full sync)"
            )
            watermark = oldest
        while True:
            response = self.client.change_data_capture(self.entity, qbo_time(watermark - _SECOND))
            read_at = self.clock()
            changed = _cdc_rows(response, self.entity)
            deleted = [
                row
                for row in changed
                if row.get("status") == "Deleted" and _deletion_key(row) not in state.cdc_seen
            ]
            newest = max((last_updated(row) or _EPOCH for row in changed), default=_EPOCH)
            # A full answer may be cut inside a second: go on from the newest stamp it holds.
            truncated = len(changed) >= CDC_PAGE_LIMIT and newest > watermark
            if truncated:
                next_watermark = qbo_time(newest)
            else:
                next_watermark = _server_time(response) or qbo_time(read_at)
            items = [
                Item(self.entity, row, version=last_updated(row), deleted=True) for row in deleted
            ]
            boundary = parse_qbo_time(next_watermark).replace(microsecond=0)
            at_boundary = tuple(_deletion_key(r) for r in deleted if last_updated(r) == boundary)
            state = replace(state, cdc_since=next_watermark, cdc_seen=at_boundary)
            yield Page(items, state.dump(), read_at, note=note)
            note = None
            if not truncated:
                return
            watermark = parse_qbo_time(next_watermark)


def _query_rows(response: Mapping[str, Any], entity: str) -> list[Mapping[str, Any]]:
    body = response.get("QueryResponse") or {}
    rows = body.get(entity) or []
    return [row for row in rows if isinstance(row, Mapping)]


def _cdc_rows(response: Mapping[str, Any], entity: str) -> list[Mapping[str, Any]]:
    rows: list[Mapping[str, Any]] = []
    for cdc in response.get("CDCResponse") or []:
        for query_response in cdc.get("QueryResponse") or []:
            rows.extend(row for row in query_response.get(entity) or [] if isinstance(row, Mapping))
    return rows


def _server_time(response: Mapping[str, Any]) -> str | None:
    value = response.get("time")
    if not isinstance(value, str):
        return None
    try:
        parse_qbo_time(value)
    except ValueError:
        return None
    return value
