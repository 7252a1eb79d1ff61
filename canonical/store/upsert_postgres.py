"""The PostgreSQL upsert: new rows are COPYed straight in; the others go through a staging table
and one guarded INSERT … ON CONFLICT.

Binary COPY is the cheapest way into PostgreSQL, so a batch is planned by one indexed lookup that
returns each key's stored version and content hash, and draws a sequence id for each key not
stored yet:
- rows not stored yet are COPYed with those ids into the table itself, inside a savepoint. If a
  concurrent writer stored one of those keys meanwhile, the unique index refuses the COPY, the
  savepoint rolls back, and the batch takes the guarded path.
- rows stored with an older version and other content are COPYed into a temporary staging table,
  then `INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE newer AND different`: a concurrent writer
  waits on the row lock and re-checks the WHERE against the winner, so the write stays monotonic.
  `RETURNING (xmax = 0)` tells created from updated.
- the rest (not newer, or the same content) are unchanged and not sent again: versions only grow,
  so no later commit could make them newer.
Lines of the written invoices are deleted (for updates) and COPYed into `invoice_lines`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Final

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncConnection

from canonical.store.batches import Encoded, Key, KeyOrdered, UpsertCounts, keyed_line_rows
from canonical.store.codecs import VERSION_INDEX, RecordCodec
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
def plan_statement(codec: RecordCodec[Any]) -> str:
    """The lookup of a batch's keys: `$1` sources and `$2` source ids, in the rows' order."""
    table = TABLE_NAMES[codec.record_type]
    # One round trip per batch: each key's stored version and hash, and for a key not stored yet
    # a fresh id from the table's sequence (CASE evaluates nextval only for those). The sequence
    # is looked up once, in a sub-select: called per row, the lookup and the text -> regclass
    # cast cost as much as nextval itself. The stored row is a LATERAL subquery with LIMIT 1 so
    # that it stays one index probe per key: as a plain join, the planner, misled by a stale
    # size estimate, hashed the whole table for every batch (40 ms a batch at 100,000 rows).
    return (
        f"SELECT t.version, t.content_hash, CASE WHEN t.id IS NULL THEN "
        f"nextval((SELECT pg_get_serial_sequence('{table}', 'id')::regclass)) END "
        "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(source, source_id, n) "
        f"LEFT JOIN LATERAL (SELECT s.id, s.version, s.content_hash FROM {table} AS s "
        "WHERE s.source = k.source AND s.source_id = k.source_id LIMIT 1) AS t ON true "
        "ORDER BY k.n"
    )


@functools.cache
def _statements(codec: RecordCodec[Any]) -> tuple[str, str]:
    """(CREATE the staging table, INSERT from it ON CONFLICT)."""
    table = TABLE_NAMES[codec.record_type]
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
    return create, upsert


async def plan(conn: AsyncConnection, codec: RecordCodec[Any], keys: list[Key]) -> Sequence[Any]:
    """For each key, in order: (stored version, stored hash, None), or (None, None, a fresh id)."""
    # This goes through SQLAlchemy: as the transaction's first statement, that opens the driver's
    # transaction, which the COPYs on the driver connection then join.
    sources = [source for source, _ in keys]
    source_ids = [source_id for _, source_id in keys]
    result = await conn.exec_driver_sql(plan_statement(codec), (sources, source_ids))
    return result.all()


async def write(
    conn: AsyncConnection,
    codec: RecordCodec[Any],
    batch: KeyOrdered,
    stored: Sequence[Any],
    synced_at: int,
) -> UpsertCounts:
    """Write `batch` as `plan` found its keys (`stored`)."""
    fresh: list[int] = []  # positions in the batch
    ids: list[int] = []
    newer: list[Encoded] = []
    unchanged = 0
    for index, (version, digest, new_id) in zip(range(len(batch)), stored, strict=True):
        if new_id is not None:
            fresh.append(index)
            ids.append(new_id)
            continue
        item = batch[index]
        row = item[0]
        if row[VERSION_INDEX] > version and row[-1] != digest:
            newer.append(item)  # the guarded statement re-checks this under the row lock
        else:
            # Versions only grow, so a row older than (or as new as) the stored one, or with
            # its content, stays unchanged whatever another writer commits meanwhile.
            unchanged += 1
    counts = UpsertCounts(unchanged=unchanged)
    # Ascending ids append at the right edge of each index (the plan draws them in key order
    # today; sorting keeps that whatever plan the server picks).
    ids.sort()
    driver = (await conn.get_raw_connection()).driver_connection
    if fresh and await _copy_fresh(conn, driver, codec, batch, fresh, ids, synced_at):
        counts += UpsertCounts(created=len(fresh))
    else:
        newer += [batch[index] for index in fresh]
    if newer:
        counts += await _guarded_upsert(conn, driver, codec, newer, synced_at)
    return counts


async def _copy_fresh(
    conn: AsyncConnection,
    driver: Any,
    codec: RecordCodec[Any],
    batch: KeyOrdered,
    fresh: list[int],
    ids: list[int],
    synced_at: int,
) -> bool:
    """COPY rows not stored yet; False (and nothing written) if another writer stored one first."""
    # The bookkeeping goes last: appending to the encoded tuple copies it once, while unpacking
    # it goes through a list. The rows are made (and records not encoded yet, encoded) as the
    # COPY reads them, so PostgreSQL inserts the first ones meanwhile.
    rows = (batch[index][0] + (synced_at, row_id) for index, row_id in zip(fresh, ids, strict=True))
    columns = [*codec.columns, "synced_at", "id"]
    savepoint = await conn.begin_nested()
    try:
        await driver.copy_records_to_table(
            TABLE_NAMES[codec.record_type], records=rows, columns=columns
        )
        if codec.has_lines:
            await _copy_lines(driver, codec, [batch[index] for index in fresh], ids)
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
    create, upsert = _statements(codec)
    await conn.exec_driver_sql(create)
    columns = [name for name, _, _ in _stage_columns(codec)]
    await driver.copy_records_to_table(_STAGE, records=[row for row, _ in items], columns=columns)
    written = (await conn.exec_driver_sql(upsert, (synced_at,))).all()
    await conn.exec_driver_sql(f"DROP TABLE {_STAGE}")
    created = sum(1 for row in written if row[3])
    if codec.has_lines and written:
        await _replace_lines(conn, driver, codec, items, written)
    return UpsertCounts(created, len(written) - created, len(items) - len(written))


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
    by_key = {(item[0][0], item[0][1]): item for item in items}
    await _copy_lines(
        driver, codec, [by_key[(row[1], row[2])] for row in written], [row[0] for row in written]
    )


async def _copy_lines(
    driver: Any, codec: RecordCodec[Any], items: list[Encoded], ids: list[int]
) -> None:
    if any(lines for _, lines in items):
        # asyncpg's binary COPY encodes the decimal text of `quantity` as numeric itself
        columns = [*codec.line_columns, "invoice_id", "position"]
        rows = keyed_line_rows(items, ids)
        await driver.copy_records_to_table("invoice_lines", records=rows, columns=columns)
