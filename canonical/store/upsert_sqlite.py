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

from canonical.store.batches import Encoded, Key, UpsertCounts, line_rows
from canonical.store.codecs import VERSION_INDEX, RecordCodec, Row
from canonical.store.record_tables import TABLE_NAMES


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


@functools.cache
def _statements(codec: RecordCodec[Any]) -> tuple[str, str, str]:
    """(INSERT new rows with their ids, guarded UPSERT of newer rows, INSERT lines)."""
    table = TABLE_NAMES[codec.record_type]
    names = [*codec.columns, "synced_at"]
    marks = ", ".join("?" for _ in names)
    insert = f"INSERT INTO {table} (id, {_quoted(names)}) VALUES (?, {marks})"
    updates = ", ".join(
        f'"{name}" = excluded."{name}"' for name in names if name not in ("source", "source_id")
    )
    upsert = (
        f"INSERT INTO {table} ({_quoted(names)}) VALUES ({marks}) "
        f"ON CONFLICT (source, source_id) DO UPDATE SET {updates} "
        f"WHERE excluded.version > {table}.version "
        f"AND excluded.content_hash <> {table}.content_hash"
    )
    line_names = ["invoice_id", "position", *codec.line_columns]
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
    ids: dict[Key, int] = {}
    new_rows: list[Row] = []
    newer_rows: list[Row] = []
    for row, _ in items:
        key = (row[0], row[1])
        found = stored.get(key)
        if found is None:
            ids[key] = next_id
            new_rows.append((next_id, *row, synced_at))
            next_id += 1
        elif row[VERSION_INDEX] > found[1] and row[-1] != found[2]:
            ids[key] = found[0]
            newer_rows.append((*row, synced_at))
    if new_rows:
        await conn.exec_driver_sql(insert, new_rows)
    if newer_rows:
        await conn.exec_driver_sql(upsert, newer_rows)
    if codec.has_lines and ids:
        replaced = [ids[(row[0], row[1])] for row in newer_rows]
        if replaced:
            await conn.exec_driver_sql(
                "DELETE FROM invoice_lines WHERE invoice_id IN (SELECT value FROM json_each(?))",
                (orjson.dumps(replaced).decode(),),
            )
        lines = line_rows(items, ids)
        if lines:  # an empty parameter list would run the INSERT once with no parameters
            await conn.exec_driver_sql(lines_insert, lines)
    written = len(new_rows) + len(newer_rows)
    return UpsertCounts(len(new_rows), len(newer_rows), len(items) - written)
