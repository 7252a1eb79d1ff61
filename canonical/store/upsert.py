"""Bulk, idempotent, monotonic upserts of canonical records.

A stored row is replaced only when the incoming `version` is newer AND its content hash differs; an
older or equal version never overwrites. Within one call, several versions of one record collapse
to the newest (the others count as unchanged). An invoice's lines are replaced with the invoice.
Deleted records are written with `deleted=True`, never removed.

The backend writers (`upsert_postgres`, `upsert_sqlite`) take batches already encoded and
deduplicated (`batches`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncConnection

from canonical.errors import StoreError
from canonical.records import Record
from canonical.store import upsert_postgres, upsert_sqlite
from canonical.store.batches import Encoded, UpsertCounts, encode_batch, newest_by_key
from canonical.store.codecs import RecordCodec, codec_for
from canonical.store.record_tables import TABLE_NAMES

BATCH_SIZE: Final = 10_000
PIPELINED_BATCH_SIZE: Final = 2_500
YIELD_EVERY: Final = 500

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
            counts += await _pipelined(conn, codec, group, synced_at)
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
        encoded = encode_batch(codec, records[start : start + BATCH_SIZE])
        newest = newest_by_key(encoded)
        counts += UpsertCounts(unchanged=len(encoded) - len(newest))
        counts += await upsert_sqlite.write(conn, codec, newest, synced_at)
    return counts


async def _pipelined(
    conn: AsyncConnection, codec: RecordCodec[Any], records: Sequence[Record], synced_at: int
) -> UpsertCounts:
    """Encode the next batch while PostgreSQL, in its own process, writes the previous one."""
    counts = UpsertCounts()
    writing: asyncio.Task[UpsertCounts] | None = None
    try:
        for start in range(0, len(records), PIPELINED_BATCH_SIZE):
            items, dropped = await _encode_yielding(
                codec, records[start : start + PIPELINED_BATCH_SIZE]
            )
            counts += UpsertCounts(unchanged=dropped)
            if writing is not None:
                counts += await writing
            writing = asyncio.create_task(upsert_postgres.write(conn, codec, items, synced_at))
        if writing is not None:
            counts += await writing
    except BaseException:
        if writing is not None:  # never leave a statement running on the connection
            await asyncio.gather(writing, return_exceptions=True)
        raise
    return counts


async def _encode_yielding(
    codec: RecordCodec[Any], records: Sequence[Record]
) -> tuple[list[Encoded], int]:
    """The batch's newest rows and how many older duplicates were dropped, encoded in slices
    with a yield after each, so the write in flight can take its next step."""
    encoded: list[Encoded] = []
    for start in range(0, len(records), YIELD_EVERY):
        encoded += encode_batch(codec, records[start : start + YIELD_EVERY])
        await asyncio.sleep(0)
    newest = newest_by_key(encoded)
    return newest, len(encoded) - len(newest)
