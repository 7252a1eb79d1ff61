"""Bulk, idempotent, monotonic upserts of canonical records.

A stored row is replaced only when the incoming `version` is newer AND its content hash differs; an
older or equal version never overwrites. Within one call, several versions of one record collapse
to the newest (the others count as unchanged). An invoice's lines are replaced with the invoice.
Deleted records are written with `deleted=True`, never removed.

The backend writers (`upsert_postgres`, `upsert_sqlite`) take batches already encoded and
deduplicated (`batches`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy.ext.asyncio import AsyncConnection

from canonical.errors import StoreError
from canonical.records import Record
from canonical.store import upsert_postgres, upsert_sqlite
from canonical.store.batches import UpsertCounts, encode_batch, newest_by_key
from canonical.store.codecs import codec_for
from canonical.store.record_tables import TABLE_NAMES

BATCH_SIZE: Final = 10_000

__all__ = ["BATCH_SIZE", "UpsertCounts", "upsert_records"]


async def upsert_records(
    conn: AsyncConnection, records: Sequence[Record], *, synced_at: int
) -> UpsertCounts:
    """Write `records` (any mix of synced types) on `conn`, inside the caller's transaction."""
    write = upsert_postgres.write if conn.dialect.name == "postgresql" else upsert_sqlite.write
    by_type: dict[type[Record], list[Record]] = {}
    for record in records:
        by_type.setdefault(type(record), []).append(record)
    counts = UpsertCounts()
    for record_type, group in by_type.items():
        if record_type not in TABLE_NAMES:
            raise StoreError(f"{record_type.__name__} is not a synced record type")
        codec = codec_for(record_type)
        for start in range(0, len(group), BATCH_SIZE):
            encoded = encode_batch(codec, group[start : start + BATCH_SIZE])
            newest = newest_by_key(encoded)
            counts += UpsertCounts(unchanged=len(encoded) - len(newest))
            counts += await write(conn, codec, newest, synced_at)
    return counts
