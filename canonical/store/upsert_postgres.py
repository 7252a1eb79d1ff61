"""The PostgreSQL upsert: new rows are COPYed straight in; the others go through a staging table
and one guarded INSERT … ON CONFLICT.

Binary COPY is the cheapest way into PostgreSQL, so a batch is split by one indexed lookup:
- rows whose key is not stored yet take ids from the table's sequence and are COPYed into the
  table itself, inside a savepoint. If a concurrent writer stored one of those keys meanwhile, the
  unique index refuses the COPY, the savepoint rolls back, and the batch takes the guarded path.
- rows already stored are COPYed into a temporary staging table, then `INSERT … SELECT … ON
  CONFLICT DO UPDATE … WHERE newer AND different`: a concurrent writer waits on the row lock and
  re-checks the WHERE against the winner, so the write stays monotonic. `RETURNING (xmax = 0)`
  tells created from updated.
Lines of the written invoices are deleted (for updates) and COPYed into `invoice_lines`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Final

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncConnection

from canonical.store.batches import Encoded, Key, UpsertCounts, line_rows
from canonical.store.codecs import RecordCodec
from canonical.store.fields import Kind
from canonical.store.record_tables import TABLE_NAMES

# The staging table holds rows as encoded; decimals and JSON arrive as text and are cast in SQL.
_STAGE_TYPE: Final = {
    Kind.INT: "bigint",
    Kind.INSTANT: "bigint",
    Kind.BOOL: "boolean",
    Kind.DATE: "date",
}
_CAST: Final = {Kind.DECIMAL: "::numeric", Kind.ITEMS: "::json"}
_STAGE: Final = "revcycle_stage"


def _stage_columns(codec: RecordCodec[Any]) -> list[tuple[str, str, str]]:
    """(column, staging type, cast to the real type) in row order."""
    out: list[tuple[str, str, str]] = []
    for spec in codec.specs:
        if spec.kind is Kind.MONEY:
            out += [(spec.columns[0], "bigint", ""), (spec.columns[1], "text", "")]
        else:
            out.append((spec.name, _STAGE_TYPE.get(spec.kind, "text"), _CAST.get(spec.kind, "")))
    out.append(("content_hash", "text", ""))
    return out


@functools.cache
def _statements(codec: RecordCodec[Any]) -> tuple[str, str, str, str]:
    """(find stored keys, draw ids, CREATE the staging table, INSERT from it ON CONFLICT)."""
    table = TABLE_NAMES[codec.record_type]
    stored = (
        f"SELECT t.source, t.source_id FROM {table} AS t "
        "JOIN unnest($1::text[], $2::text[]) AS k(source, source_id) USING (source, source_id)"
    )
    ids = f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"
    columns = _stage_columns(codec)
    create = (
        f"CREATE TEMP TABLE {_STAGE} ("
        + ", ".join(f'"{name}" {sql_type}' for name, sql_type, _ in columns)
        + ") ON COMMIT DROP"
    )
    names = ", ".join(f'"{name}"' for name, _, _ in columns)
    select = ", ".join(f'"{name}"{cast}' for name, _, cast in columns)
    updates = ", ".join(
        f'"{name}" = EXCLUDED."{name}"'
        for name, _, _ in columns
        if name not in ("source", "source_id")
    )
    upsert = (
        f"INSERT INTO {table} ({names}, synced_at) SELECT {select}, $1::bigint FROM {_STAGE} "
        f"ON CONFLICT (source, source_id) DO UPDATE SET {updates}, synced_at = EXCLUDED.synced_at "
        f"WHERE EXCLUDED.version > {table}.version "
        f"AND EXCLUDED.content_hash <> {table}.content_hash "
        "RETURNING id, source, source_id, (xmax = 0)"
    )
    return stored, ids, create, upsert


async def write(
    conn: AsyncConnection, codec: RecordCodec[Any], items: list[Encoded], synced_at: int
) -> UpsertCounts:
    # The first statement goes through SQLAlchemy: that opens the driver's transaction, which
    # the COPYs on the driver connection then join.
    find_stored, _, _, _ = _statements(codec)
    keys = list(zip(*[(row[0], row[1]) for row, _ in items], strict=True))
    stored: set[Key] = {(s, i) for s, i in await conn.exec_driver_sql(find_stored, tuple(keys))}
    driver = (await conn.get_raw_connection()).driver_connection
    fresh = [item for item in items if (item[0][0], item[0][1]) not in stored]
    if fresh and await _copy_fresh(conn, driver, codec, fresh, synced_at):
        counts = UpsertCounts(created=len(fresh))
        rest = [item for item in items if (item[0][0], item[0][1]) in stored]
    else:
        counts, rest = UpsertCounts(), items
    if rest:
        counts += await _guarded_upsert(conn, driver, codec, rest, synced_at)
    return counts


async def _copy_fresh(
    conn: AsyncConnection,
    driver: Any,
    codec: RecordCodec[Any],
    items: list[Encoded],
    synced_at: int,
) -> bool:
    """COPY rows not stored yet; False (and nothing written) if another writer stored one first."""
    _, draw_ids, _, _ = _statements(codec)
    ids = [row[0] for row in await conn.exec_driver_sql(draw_ids, (len(items),))]
    rows = [(row_id, *row, synced_at) for row_id, (row, _) in zip(ids, items, strict=True)]
    columns = ["id", *codec.columns, "synced_at"]
    savepoint = await conn.begin_nested()
    try:
        await driver.copy_records_to_table(
            TABLE_NAMES[codec.record_type], records=rows, columns=columns
        )
        if codec.has_lines:
            await _copy_lines(driver, codec, items, dict(zip(_keys(items), ids, strict=True)))
    except asyncpg.UniqueViolationError:
        await savepoint.rollback()
        return False
    await savepoint.commit()
    return True


async def _guarded_upsert(
    conn: AsyncConnection,
    driver: Any,
    codec: RecordCodec[Any],
    items: list[Encoded],
    synced_at: int,
) -> UpsertCounts:
    _, _, create, upsert = _statements(codec)
    await conn.exec_driver_sql(create)
    columns = [name for name, _, _ in _stage_columns(codec)]
    await driver.copy_records_to_table(_STAGE, records=[row for row, _ in items], columns=columns)
    written = (await conn.exec_driver_sql(upsert, (synced_at,))).all()
    await conn.exec_driver_sql(f"DROP TABLE {_STAGE}")
    created = sum(1 for row in written if row[3])
    if codec.has_lines and written:
        await _replace_lines(conn, driver, codec, items, written)
    return UpsertCounts(created, len(written) - created, len(items) - len(written))


def _keys(items: list[Encoded]) -> list[Key]:
    return [(row[0], row[1]) for row, _ in items]


async def _replace_lines(
    conn: AsyncConnection,
    driver: Any,
    codec: RecordCodec[Any],
    items: list[Encoded],
    written: Sequence[Any],
) -> None:
    replaced = [row[0] for row in written if not row[3]]
    if replaced:
        await conn.exec_driver_sql(
            "DELETE FROM invoice_lines WHERE invoice_id = ANY($1::bigint[])", (replaced,)
        )
    await _copy_lines(driver, codec, items, {(row[1], row[2]): row[0] for row in written})


async def _copy_lines(
    driver: Any, codec: RecordCodec[Any], items: list[Encoded], ids: dict[Key, int]
) -> None:
    rows = line_rows(items, ids)
    if rows:  # asyncpg's binary COPY encodes the decimal text of `quantity` as numeric itself
        columns = ["invoice_id", "position", *codec.line_columns]
        await driver.copy_records_to_table("invoice_lines", records=rows, columns=columns)
