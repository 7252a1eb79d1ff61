"""Bulk, idempotent, monotonic upserts of canonical records.

A stored row is replaced only when the incoming `version` is newer AND its content hash differs; an
older or equal version never overwrites. Within one call, several versions of one record collapse
to the newest (the others count as unchanged). An invoice's lines are replaced with the invoice.
Deleted records are written with `deleted=True`, never removed.

The backend writers (`upsert_postgres`, `upsert_sqlite`) take batches already encoded and
deduplicated (`batches`). On PostgreSQL the lookup of a batch's keys is sent before the batch is
encoded, so the server runs it while this process builds the rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncConnection

from canonical.errors import StoreError
from canonical.records import Record
from canonical.store import upsert_postgres, upsert_sqlite
from canonical.store.batches import (
    Encoded,
    KeyOrdered,
    UpsertCounts,
    by_key,
    encode_batch,
    gc_paused,
    newest_by_key,
)
from canonical.store.codecs import RecordCodec, codec_for
from canonical.store.record_tables import TABLE_NAMES

BATCH_SIZE: Final = 10_000
# Records encoded between two looks at the lookup in flight: about 0.5 ms of work, so its answer
# is taken up soon after it arrives and the COPY starts (at 500, a batch's lookup of about 15 ms
# on the server was taken up after 36 ms, and the server sat idle meanwhile).
YIELD_EVERY: Final = 100

__all__ = ["UpsertCounts", "upsert_records"]


async def upsert_records(
    conn: AsyncConnection, records: Sequence[Record], *, synced_at: int
) -> UpsertCounts:
    """Write `records` (any mix of synced types) on `conn`, inside the caller's transaction."""
    by_type: dict[type[Record], list[Record]] = {}
    for record in records:
        by_type.setdefault(type(record), []).append(record)
    counts = UpsertCounts()
    for record_type, group in by_type.items():
        if record_type not in TABLE_NAMES:
            raise StoreError(f"{record_type.__name__} is not a synced record type")
        codec = codec_for(record_type)
        if conn.dialect.name == "postgresql":
            counts += await _planned_while_encoding(conn, codec, group, synced_at)
        else:
            counts += await _one_batch_at_a_time(conn, codec, group, synced_at)
    return counts


async def _one_batch_at_a_time(
    conn: AsyncConnection, codec: RecordCodec[Any], records: Sequence[Record], synced_at: int
) -> UpsertCounts:
    # SQLite runs in aiosqlite's thread and needs the GIL for every row it binds: encoding the
    # next batch meanwhile would only make the two fight over the GIL.
    counts = UpsertCounts()
    for start in range(0, len(records), BATCH_SIZE):
        with gc_paused():
            counts += await _sqlite_batch(
                conn, codec, records[start : start + BATCH_SIZE], synced_at
            )
    return counts


async def _sqlite_batch(
    conn: AsyncConnection, codec: RecordCodec[Any], records: Sequence[Record], synced_at: int
) -> UpsertCounts:
    # A function of its own so that the batch's rows are freed when it returns, while the
    # collector is still paused: alive when it resumes, the collector's first pass walked all of
    # them (about a third of the time of encoding them, under a profiler), only to find nothing
    # to free.
    encoded = encode_batch(codec, records)
    newest = newest_by_key(encoded)
    written = await upsert_sqlite.write(conn, codec, newest, synced_at)
    return written + UpsertCounts(unchanged=len(encoded) - len(newest))


async def _planned_while_encoding(
    conn: AsyncConnection, codec: RecordCodec[Any], records: Sequence[Record], synced_at: int
) -> UpsertCounts:
    counts = UpsertCounts()
    for start in range(0, len(records), BATCH_SIZE):
        with gc_paused():
            counts += await _postgres_batch(
                conn, codec, records[start : start + BATCH_SIZE], synced_at
            )
    return counts


async def _postgres_batch(
    conn: AsyncConnection, codec: RecordCodec[Any], records: Sequence[Record], synced_at: int
) -> UpsertCounts:
    """Look the keys up while encoding the records: the lookup needs only the keys, so
    PostgreSQL, in its own process, runs it while this one builds rows and hashes. Once the
    answer is in, the writes start; the records not encoded yet are encoded as they are sent."""
    keyed = by_key(codec, records)
    planning = asyncio.create_task(upsert_postgres.plan(conn, codec, list(keyed)))
    try:
        await asyncio.sleep(0)  # the lookup goes out before any encoding
        if len(keyed) == len(records):
            batch = KeyOrdered(codec, list(keyed.values()), [])
            for _ in range(0, len(records), YIELD_EVERY):
                if planning.done() or not batch.encode_ahead(YIELD_EVERY):
                    break
                await asyncio.sleep(0)  # lets the lookup be sent and its answer read
            dropped = 0
        else:  # a key repeats: encode everything to keep each key's newest version
            batch, dropped = await _newest_encoded(codec, records)
        found = await planning
    except BaseException:
        await asyncio.gather(planning, return_exceptions=True)  # never leave it running
        raise
    written = await upsert_postgres.write(conn, codec, batch, found, synced_at)
    return written + UpsertCounts(unchanged=dropped)


async def _newest_encoded(
    codec: RecordCodec[Any], records: Sequence[Record]
) -> tuple[KeyOrdered, int]:
    """The batch's newest rows and how many older duplicates were dropped, encoded in slices
    with a yield after each, so the lookup in flight is sent and its answer read."""
    encoded: list[Encoded] = []
    for start in range(0, len(records), YIELD_EVERY):
        encoded += encode_batch(codec, records[start : start + YIELD_EVERY])
        await asyncio.sleep(0)
    newest = newest_by_key(encoded)
    return KeyOrdered.encoded(codec, newest), len(encoded) - len(newest)
