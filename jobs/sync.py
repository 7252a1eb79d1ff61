"""The sync engine: pages from a connector's streams, mapped, upserted and checkpointed together.

For each stream it resumes from the stored cursor (or from nothing with `full=True`), and for each
page it maps the vendor payloads to canonical records and writes them *and* the page's cursor in one
transaction. A sync killed at any point therefore resumes from the last committed page and loses
nothing. The next page is fetched (in a worker thread: the vendor SDKs are synchronous) while the
current one is written, so vendor latency and database time overlap.

A permanent failure stops that stream with a clear message and leaves its checkpoint where it was;
the other streams go on, and the report says what failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from canonical.records import Record
from canonical.store import Store
from connectors.base import Connector, Item, Page, Stream
from connectors.errors import AuthError, ConnectorError, Unreachable, network_reason
from mappings import MappingError, map_payload

log = structlog.get_logger(__name__)

ProgressCallback = Callable[[str, str, int], None]  # (source, object, items just read)


@dataclass
class ObjectCounts:
    read: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0

    def as_json(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclass
class SourceReport:
    source: str
    objects: dict[str, ObjectCounts] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Objects after an error that stops the whole source (rejected credentials, no connection),
    # and that error.
    not_tried: list[str] = field(default_factory=list)
    stopped_by: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and not self.not_tried

    def error_of(self, obj: str) -> str | None:
        """Why `obj` did not sync, or None if it did."""
        if obj in self.not_tried:
            return f"not tried: {self.stopped_by}"
        return self.errors.get(obj)


class _Prefetcher:
    """Iterates a synchronous page generator one step ahead, in a worker thread."""

    _DONE: Any = object()

    def __init__(self, pages: Iterator[Page]) -> None:
        self._pages = pages
        self._next: asyncio.Future[Any] | None = None

    def _start(self) -> None:
        self._next = asyncio.ensure_future(asyncio.to_thread(next, self._pages, self._DONE))

    async def __anext__(self) -> Page:
        if self._next is None:
            self._start()
        assert self._next is not None
        page = await self._next
        if page is self._DONE:
            raise StopAsyncIteration
        self._start()
        return page  # type: ignore[no-any-return]

    def __aiter__(self) -> _Prefetcher:
        return self

    async def aclose(self) -> None:
        if self._next is not None and not self._next.done():
            # The page after a failure is not wanted, nor is its error.
            with contextlib.suppress(Exception):
                await self._next
        close = getattr(self._pages, "close", None)
        if close is not None:
            await asyncio.to_thread(close)


def map_items(source: str, page: Page) -> tuple[list[Record], list[Record]]:
    """(records to write, deleted records to merge with what the store holds)."""
    live: list[Record] = []
    gone: list[Record] = []
    for item in page.items:
        for record in _map_item(source, item, page):
            (gone if record.deleted else live).append(record)
    return live, gone


def _map_item(source: str, item: Item, page: Page) -> list[Record]:
    records = map_payload(
        source, item.obj, item.payload, read_at=page.read_at, version=item.version
    )
    if item.deleted:
        records = [dataclasses.replace(r, deleted=True) for r in records]
    return records


async def _merge_deletions(store: Store, gone: Sequence[Record]) -> list[Record]:
    """A deletion keeps the record's last real content and only marks it deleted."""
    merged: list[Record] = []
    for record in gone:
        held = await store.get(type(record), record.source, record.source_id)
        if held is None:
            merged.append(record)
        else:
            merged.append(
                dataclasses.replace(
                    held, deleted=True, version=record.version, read_at=record.read_at
                )
            )
    return merged


@dataclass
class _Batch:
    """Consecutive pages written in one transaction, with the cursor after the last of them."""

    pages: list[Page] = field(default_factory=list)
    size: int = 0

    def add(self, page: Page) -> None:
        self.pages.append(page)
        self.size += len(page.items)


async def _write_batch(
    source: str,
    stream: Stream,
    store: Store,
    batch: _Batch,
    records: list[Record],
    cursor: str | None,
    counts: ObjectCounts,
    progress: ProgressCallback | None,
) -> None:
    async with store.transaction() as tx:
        written = await tx.upsert(records)
        await tx.set_checkpoint(source, stream.name, cursor, synced_at=batch.pages[-1].read_at)
    counts.read += batch.size
    counts.created += written.created
    counts.updated += written.updated
    counts.deleted += sum(1 for page in batch.pages for item in page.items if item.deleted)
    if progress is not None:
        progress(source, stream.name, batch.size)


async def sync_stream(
    source: str,
    stream: Stream,
    store: Store,
    *,
    full: bool,
    counts: ObjectCounts,
    notes: list[str],
    progress: ProgressCallback | None = None,
    batch_records: int = 1000,
) -> None:
    """Read, map and write one stream.

    Pages are gathered into batches of about `batch_records` items, each written with the cursor
    of its last page in one transaction. While one batch is being written, the next is fetched
    and mapped: the database, the vendor and this process work at the same time, and a
    checkpoint still only moves with the data it covers (batches commit in order).
    """
    checkpoint = None if full else await store.get_checkpoint(source, stream.name)
    cursor = checkpoint.cursor if checkpoint else None
    pages = _Prefetcher(stream.read(cursor))
    writing: asyncio.Task[None] | None = None
    batch = _Batch()
    try:
        async for page in pages:
            if page.note:
                notes.append(f"{stream.name}: {page.note}")
                log.warning("sync.note", source=source, object=stream.name, note=page.note)
            batch.add(page)
            if batch.size < batch_records:
                continue
            cursor = _last_cursor(batch, cursor)
            writing = await _hand_over(
                source, stream, store, batch, cursor, writing, counts, progress
            )
            batch = _Batch()
        if batch.pages:
            cursor = _last_cursor(batch, cursor)
            writing = await _hand_over(
                source, stream, store, batch, cursor, writing, counts, progress
            )
        if writing is not None:
            await writing
            writing = None
    finally:
        if writing is not None and not writing.done():
            # A failure while reading: the batch already handed over still commits.
            with contextlib.suppress(Exception):
                await writing
        await pages.aclose()


def _last_cursor(batch: _Batch, cursor: str | None) -> str | None:
    for page in batch.pages:
        if page.cursor is not None:
            cursor = page.cursor
    return cursor


async def _hand_over(
    source: str,
    stream: Stream,
    store: Store,
    batch: _Batch,
    cursor: str | None,
    writing: asyncio.Task[None] | None,
    counts: ObjectCounts,
    progress: ProgressCallback | None,
) -> asyncio.Task[None]:
    """Map `batch`, wait for the previous write, and start writing this one."""
    live: list[Record] = []
    gone: list[Record] = []
    for page in batch.pages:
        page_live, page_gone = map_items(source, page)
        live += page_live
        gone += page_gone
    if writing is not None:
        await writing  # batches commit in order, so checkpoints never run ahead
    merged = await _merge_deletions(store, gone) if gone else []
    return asyncio.create_task(
        _write_batch(source, stream, store, batch, [*live, *merged], cursor, counts, progress)
    )


async def sync_source(
    connector: Connector,
    store: Store,
    *,
    full: bool = False,
    objects: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    batch_records: int = 1000,
) -> SourceReport:
    """Sync every stream of one connector; failures are per stream and end up in the report."""
    source = connector.source.value
    report = SourceReport(source)
    with _older_objects_frozen():
        await _sync_streams(connector, store, report, full, objects, progress, batch_records)
    return report


async def _sync_streams(
    connector: Connector,
    store: Store,
    report: SourceReport,
    full: bool,
    objects: Sequence[str] | None,
    progress: ProgressCallback | None,
    batch_records: int,
) -> None:
    source = report.source
    streams = list(connector.streams(objects))
    for at, stream in enumerate(streams):
        counts = report.objects.setdefault(stream.name, ObjectCounts())
        try:
            await sync_stream(
                source,
                stream,
                store,
                full=full,
                counts=counts,
                notes=report.notes,
                progress=progress,
                batch_records=batch_records,
            )
        except (ConnectorError, MappingError) as exc:
            message = _failure_message(exc)
            report.errors[stream.name] = message
            log.error("sync.failed", source=source, object=stream.name, error=message)
            await store.record_sync_error(source, stream.name, message)
            if isinstance(exc, (AuthError, Unreachable)):
                await _not_tried(store, report, streams[at + 1 :], message)
                return


async def _not_tried(
    store: Store, report: SourceReport, streams: Sequence[Stream], message: str
) -> None:
    """Rejected credentials or a vendor that cannot be reached stop the source: every later
    object would meet the same wall after its own round of retries (a minute of them for a
    source of a dozen objects), so each is reported, and recorded for `status`, untried."""
    if not streams:
        return
    report.stopped_by = message
    for stream in streams:
        report.objects.setdefault(stream.name, ObjectCounts())
        report.not_tried.append(stream.name)
        await store.record_sync_error(report.source, stream.name, f"not tried: {message}")
    log.error("sync.source_stopped", source=report.source, not_tried=report.not_tried)


def _failure_message(exc: ConnectorError | MappingError) -> str:
    """The error in one line, with what stopped the request when no answer came."""
    reason = network_reason(exc)
    return f"{exc}: {reason}" if reason is not None else str(exc)


_frozen_depth = 0


@contextlib.contextmanager
def _older_objects_frozen() -> Iterator[None]:
    """Keep the cyclic collector from rescanning, during a sync, every object made before it.

    A sync makes millions of short-lived containers (parsed pages, records), so the collector
    runs full passes often, and each pass walked the whole heap the process had before the sync
    (modules, SDKs, the ORM: ~100k objects, 60 ms a pass) - a quarter of the sync's time.
    Frozen objects are still freed by reference counting; their cycles are only looked for
    again once the outermost of any overlapping syncs ends and unfreezes them.
    """
    global _frozen_depth
    if _frozen_depth == 0:
        gc.freeze()
    _frozen_depth += 1
    try:
        yield
    finally:
        _frozen_depth -= 1
        if _frozen_depth == 0:
            gc.unfreeze()
