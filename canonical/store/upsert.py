"""Bulk, idempotent, monotonic upserts of canonical records.

A stored row is replaced only when the incoming `version` is newer AND its content hash differs; an
older or equal version never overwrites. Within one call, several versions of one record collapse
to the newest (the others count as unchanged). An invoice's lines are replaced with the invoice.

PostgreSQL: one `INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO UPDATE … WHERE` per batch, whose
`RETURNING (xmax = 0)` tells created from updated; concurrent writers serialise on the row and the
WHERE re-checks against the winner. SQLite: the write transaction holds the database lock from its
BEGIN IMMEDIATE, so the batch's stored versions are read first, then only the rows to write go
through one `executemany` of the same guarded upsert.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from canonical.errors import StoreError
from canonical.records import InvoiceLine, Record
from canonical.store.codecs import VERSION_INDEX, RecordCodec, Row, codec_for
from canonical.store.fields import Kind, field_specs
from canonical.store.record_tables import TABLE_NAMES

BATCH_SIZE: Final = 10_000

Encoded = tuple[Row, tuple[Row, ...]]  # a record's row and its line rows
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.created + other.created,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


async def upsert_records(
    conn: AsyncConnection, records: Sequence[Record], *, synced_at: int
) -> UpsertCounts:
    """Write `records` (any mix of synced types) on `conn`, inside the caller's transaction."""
    by_type: dict[type[Record], list[Record]] = {}
    for record in records:
        by_type.setdefault(type(record), []).append(record)
    postgres = conn.dialect.name == "postgresql"
    counts = UpsertCounts()
    for record_type, group in by_type.items():
        if record_type not in TABLE_NAMES:
            raise StoreError(f"{record_type.__name__} is not a synced record type")
        codec = codec_for(record_type)
        for start in range(0, len(group), BATCH_SIZE):
            encoded = _encode(codec, group[start : start + BATCH_SIZE])
            newest = _newest_by_key(encoded)
            counts += UpsertCounts(unchanged=len(encoded) - len(newest))
            if postgres:
                counts += await _postgres_upsert(conn, codec, newest, synced_at)
            else:
                counts += await _sqlite_upsert(conn, codec, newest, synced_at)
    return counts


def _encode(codec: RecordCodec[Any], records: Sequence[Record]) -> list[Encoded]:
    encode = codec.encode
    try:
        return [encode(record) for record in records]
    except (TypeError, AttributeError, ValueError) as error:
        bad = next(r for r in records if not _encodes(codec, r))
        name = codec.record_type.__name__
        raise StoreError(f"cannot store {name} {bad.source}/{bad.source_id}: {error}") from error


def _encodes(codec: RecordCodec[Any], record: Record) -> bool:
    try:
        codec.encode(record)
    except (TypeError, AttributeError, ValueError):
        return False
    return True


def _newest_by_key(encoded: list[Encoded]) -> list[Encoded]:
    """One entry per (source, source_id), the newest; sorted so concurrent batches lock in order."""
    newest: dict[Key, Encoded] = {}
    for item in encoded:
        row = item[0]
        key = (row[0], row[1])
        kept = newest.get(key)
        if kept is None or row[VERSION_INDEX] > kept[0][VERSION_INDEX]:
            newest[key] = item
    return [newest[key] for key in sorted(newest)]


# --- PostgreSQL -----------------------------------------------------------------------------------

# Rows carry only text, integers and booleans; these columns are cast back to their type in SQL.
_PG_ARRAY_TYPE: Final = {Kind.INT: "bigint", Kind.INSTANT: "bigint", Kind.BOOL: "boolean"}
_PG_CAST: Final = {Kind.DECIMAL: "::numeric", Kind.DATE: "::date", Kind.ITEMS: "::json"}


def _pg_columns(codec: RecordCodec[Any], *, lines: bool) -> list[tuple[str, str, str]]:
    """(name, array element type, cast) for every column of the record's or its lines' rows."""
    if lines:
        specs = field_specs(InvoiceLine)
        out = [("invoice_id", "bigint", ""), ("position", "integer", "")]
    else:
        specs = codec.specs
        out = []
    for spec in specs:
        if spec.kind is Kind.MONEY:
            out += [(spec.columns[0], "bigint", ""), (spec.columns[1], "text", "")]
        else:
            array = _PG_ARRAY_TYPE.get(spec.kind, "text")
            out.append((spec.name, array, _PG_CAST.get(spec.kind, "")))
    if not lines:
        out.append(("content_hash", "text", ""))
    return out


def _unnest_insert(table: str, columns: list[tuple[str, str, str]], extra: str = "") -> str:
    names = ", ".join(f'"{name}"' for name, _, _ in columns)
    arrays = ", ".join(f"${i}::{column[1]}[]" for i, column in enumerate(columns, start=1))
    select = ", ".join(f'u."{name}"{cast}' for name, _, cast in columns)
    target = f"{names}, synced_at" if extra else names
    return (
        f"INSERT INTO {table} ({target}) SELECT {select}{extra} FROM unnest({arrays}) AS u({names})"
    )


@functools.cache
def _pg_upsert_sql(codec: RecordCodec[Any]) -> str:
    table = TABLE_NAMES[codec.record_type]
    columns = _pg_columns(codec, lines=False)
    updates = ", ".join(
        f'"{name}" = EXCLUDED."{name}"'
        for name, _, _ in columns
        if name not in ("source", "source_id")
    )
    insert = _unnest_insert(table, columns, extra=f", ${len(columns) + 1}::bigint")
    return (
        f"{insert} ON CONFLICT (source, source_id) DO UPDATE SET {updates}, "
        "synced_at = EXCLUDED.synced_at "
        f"WHERE EXCLUDED.version > {table}.version "
        f"AND EXCLUDED.content_hash <> {table}.content_hash "
        "RETURNING id, source, source_id, (xmax = 0)"
    )


@functools.cache
def _pg_lines_sql(codec: RecordCodec[Any]) -> str:
    return _unnest_insert("invoice_lines", _pg_columns(codec, lines=True))


async def _postgres_upsert(
    conn: AsyncConnection, codec: RecordCodec[Any], items: list[Encoded], synced_at: int
) -> UpsertCounts:
    columns = list(zip(*[item[0] for item in items], strict=True))
    result = await conn.exec_driver_sql(_pg_upsert_sql(codec), (*columns, synced_at))
    written = result.all()
    created = sum(1 for row in written if row[3])
    if codec.has_lines and written:
        ids = {(row[1], row[2]): row[0] for row in written}
        replaced = [row[0] for row in written if not row[3]]
        if replaced:
            await conn.exec_driver_sql(
                "DELETE FROM invoice_lines WHERE invoice_id = ANY($1::bigint[])", (replaced,)
            )
        line_rows = _line_rows(items, ids)
        if line_rows:
            await conn.exec_driver_sql(_pg_lines_sql(codec), tuple(zip(*line_rows, strict=True)))
    return UpsertCounts(created, len(written) - created, len(items) - len(written))


def _line_rows(items: list[Encoded], ids: dict[Key, int]) -> list[Row]:
    rows: list[Row] = []
    for row, lines in items:
        invoice_id = ids.get((row[0], row[1]))
        if invoice_id is not None:
            rows += [(invoice_id, position, *line) for position, line in enumerate(lines)]
    return rows


# --- SQLite ---------------------------------------------------------------------------------------


@functools.cache
def _sqlite_upsert_sql(codec: RecordCodec[Any]) -> str:
    table = TABLE_NAMES[codec.record_type]
    names = [*codec.columns, "synced_at"]
    quoted = ", ".join(f'"{name}"' for name in names)
    updates = ", ".join(
        f'"{name}" = excluded."{name}"' for name in names if name not in ("source", "source_id")
    )
    return (
        f"INSERT INTO {table} ({quoted}) "
        f"VALUES ({', '.join('?' for _ in names)}) "
        f"ON CONFLICT (source, source_id) DO UPDATE SET {updates} "
        f"WHERE excluded.version > {table}.version "
        f"AND excluded.content_hash <> {table}.content_hash"
    )


@functools.cache
def _sqlite_lines_sql(codec: RecordCodec[Any]) -> str:
    names = ["invoice_id", "position", *codec.line_columns]
    quoted = ", ".join(f'"{name}"' for name in names)
    return f"INSERT INTO invoice_lines ({quoted}) VALUES ({', '.join('?' for _ in names)})"


async def _sqlite_stored(
    conn: AsyncConnection, table: str, keys: list[Key]
) -> dict[Key, tuple[int, int, str]]:
    """(id, version, content_hash) of the stored rows among `keys`."""
    by_source: dict[str, list[str]] = {}
    for source, source_id in keys:
        by_source.setdefault(source, []).append(source_id)
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


async def _sqlite_upsert(
    conn: AsyncConnection, codec: RecordCodec[Any], items: list[Encoded], synced_at: int
) -> UpsertCounts:
    table = TABLE_NAMES[codec.record_type]
    stored = await _sqlite_stored(conn, table, [(item[0][0], item[0][1]) for item in items])
    to_write: list[Row] = []
    created: list[Key] = []
    replaced: dict[Key, int] = {}
    for row, _ in items:
        key = (row[0], row[1])
        found = stored.get(key)
        if found is None:
            created.append(key)
        elif row[VERSION_INDEX] > found[1] and row[-1] != found[2]:
            replaced[key] = found[0]
        else:
            continue
        to_write.append((*row, synced_at))
    if to_write:
        await conn.exec_driver_sql(_sqlite_upsert_sql(codec), to_write)
    if codec.has_lines and to_write:
        await _sqlite_replace_lines(conn, codec, items, created, replaced)
    return UpsertCounts(len(created), len(replaced), len(items) - len(to_write))


async def _sqlite_replace_lines(
    conn: AsyncConnection,
    codec: RecordCodec[Any],
    items: list[Encoded],
    created: list[Key],
    replaced: dict[Key, int],
) -> None:
    if replaced:
        await conn.exec_driver_sql(
            "DELETE FROM invoice_lines WHERE invoice_id IN (SELECT value FROM json_each(?))",
            (orjson.dumps(list(replaced.values())).decode(),),
        )
    table = TABLE_NAMES[codec.record_type]
    ids = dict(replaced)
    ids.update(
        {key: found[0] for key, found in (await _sqlite_stored(conn, table, created)).items()}
    )
    line_rows = _line_rows(items, ids)
    if line_rows:
        await conn.exec_driver_sql(_sqlite_lines_sql(codec), line_rows)
