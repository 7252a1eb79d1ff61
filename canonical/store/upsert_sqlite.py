"""The SQLite upsert: read the batch's stored versions, then write only what changes.

A store write transaction on SQLite begins IMMEDIATE, so it holds the database's write lock from
the start: the versions read here cannot change before the writes, which makes the counts exact
and lets new rows take ids past the current maximum (no second lookup for their lines). Updates
still go through the guarded `ON CONFLICT … WHERE newer AND different`, so the write stays
monotonic even if that reasoning were ever broken.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from canonical.store.batches import Encoded, Key, UpsertCounts
from canonical.store.codecs import VERSION_INDEX, RecordCodec, Row
from canonical.store.record_tables import TABLE_NAMES


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


@functools.cache
def _statements(codec: RecordCodec[Any]) -> tuple[str, str, str]:
    """(INSERT new rows with their ids, guarded UPSERT of newer rows, INSERT lines).

    The bookkeeping columns come last: appending them to an encoded tuple copies it once, where
    putting them first unpacks it through a list (half the time of building the line rows).
    """
    table = TABLE_NAMES[codec.record_type]
    names = [*codec.columns, "synced_at"]
    marks = ", ".join("?" for _ in names)
    insert = f"INSERT INTO {table} ({_quoted(names)}, id) VALUES ({marks}, ?)"
    updates = ", ".join(
        f'"{name}" = excluded."{name}"' for name in names if name not in ("source", "source_id")
    )
    upsert = (
        f"INSERT INTO {table} ({_quoted(names)}) VALUES ({marks}) "
        f"ON CONFLICT (source, source_id) DO UPDATE SET {updates} "
        f"WHERE excluded.version > {table}.version "
        f"AND excluded.content_hash <> {table}.content_hash"
    )
    line_names = [*codec.line_columns, "invoice_id", "position"]
    lines = (
        f"INSERT INTO invoice_lines ({_quoted(line_names)}) "
        f"VALUES ({', '.join('?' for _ in line_names)})"
    )
    return insert, upsert, lines


async def _stored(
    conn: AsyncConnection, table: str, items: list[Encoded]
) -> dict[Key, tuple[int, int, str]]:
    """(id, version, content_hash) of the stored rows among the batch's keys."""
    by_source: dict[str, list[str]] = {}
    for row, _ in items:
        by_source.setdefault(row[0], []).append(row[1])
    stored: dict[Key, tuple[int, int, str]] = {}
    for source, source_ids in by_source.items():
        result = await conn.exec_driver_sql(
            f"SELECT source_id, id, version, content_hash FROM {table} "
            "WHERE source = ? AND source_id IN (SELECT value FROM json_each(?))",
            (source, orjson.dumps(source_ids).decode()),
        )
        for source_id, row_id, version, content_hash in result:
            stored[(source, source_id)] = (row_id, version, content_hash)
    return stored


async def _next_id(conn: AsyncConnection, table: str) -> int:
    result = await conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
    return int(result.scalar_one())


async def write(
    conn: AsyncConnection, codec: RecordCodec[Any], items: list[Encoded], synced_at: int
) -> UpsertCounts:
    table = TABLE_NAMES[codec.record_type]
    insert, upsert, lines_insert = _statements(codec)
    stored = await _stored(conn, table, items)
    next_id = await _next_id(conn, table)
    new_rows: list[Row] = []
    newer_rows: list[Row] = []
    replaced: list[int] = []
    written: list[tuple[tuple[Row, ...], int]] = []  # each written row's lines and its id
    for row, lines in items:
        found = stored.get((row[0], row[1]))
        if found is None:
            new_rows.append(row + (synced_at, next_id))  # noqa: RUF005 - see _statements
            written.append((lines, next_id))
            next_id += 1
        elif row[VERSION_INDEX] > found[1] and row[-1] != found[2]:
            newer_rows.append(row + (synced_at,))  # noqa: RUF005 - see _statements
            replaced.append(found[0])
            written.append((lines, found[0]))
    if new_rows:
        await conn.exec_driver_sql(insert, new_rows)
    if newer_rows:
        await conn.exec_driver_sql(upsert, newer_rows)
    if codec.has_lines and written:
        if replaced:
            await conn.exec_driver_sql(
                "DELETE FROM invoice_lines WHERE invoice_id IN (SELECT value FROM json_each(?))",
                (orjson.dumps(replaced).decode(),),
            )
        line_rows = [
            line + (invoice_id, position)  # noqa: RUF005 - see _statements
            for lines, invoice_id in written
            for position, line in enumerate(lines)
        ]
        if line_rows:  # an empty parameter list would run the INSERT once with no parameters
            await conn.exec_driver_sql(lines_insert, line_rows)
    return UpsertCounts(len(new_rows), len(newer_rows), len(items) - len(written))
