"""The PostgreSQL upsert: new rows are COPYed straight in; the others go through a staging table
and one guarded INSERT … ON CONFLICT.

Binary COPY is the cheapest way into PostgreSQL, so a batch is planned by one lookup that returns
each key's stored version and content hash, and draws a sequence id for each key not stored yet.
When no stored key falls inside the batch's key range (a first sync, new records), the lookup
says so after one index probe and draws the ids without looking each key up:
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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

import asyncpg  # type: ignore[import-untyped]
import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from canonical.store.batches import Encoded, Key, KeyOrdered, UpsertCounts
from canonical.store.codecs import VERSION_INDEX, RecordCodec, Row
from canonical.store.copy_rows import copy_line_rows, then_soon, with_numerics
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


@dataclass(frozen=True, slots=True)
class Plan:
    """What the lookup found for a batch's keys, each list in the batch's order."""

    stored: bool  # False: no key of the batch is stored, and every key has a fresh id
    versions: list[int | None]  # the stored version, or None; empty when `stored` is False
    digests: list[str | None]  # the stored content hash, or None; empty likewise
    new_ids: list[int | None]  # a fresh id for a key not stored, or None


@functools.cache
def plan_statement(codec: RecordCodec[Any]) -> str:
    """The lookup of a batch's keys: `$1` sources and `$2` source ids, as JSON arrays of text,
    in the rows' order. One row: (any stored key in range, versions, hashes, fresh ids); when no
    key is stored, versions and hashes are NULL."""
    table = TABLE_NAMES[codec.record_type]
    sequence = f"(SELECT pg_get_serial_sequence('{table}', 'id')::regclass)"
    # One round trip per batch.
    # - The keys travel as JSON text and the answer as arrays: binding two text[] of 10,000
    #   elements cost this process 5 ms a batch, reading 10,000 rows back 2 ms more.
    # - First one index probe of the batch's key range per source, bounded by the server's own
    #   collation. When no stored key falls inside, none of the batch's keys is stored: the
    #   second branch only draws one fresh id per key (a one-time filter skips the other), 12 ms
    #   a batch of 10,000 against 16 ms for a per-key pass that finds nothing. A key that
    #   another writer stores meanwhile is caught by the unique index when the batch is written.
    # - Otherwise CASE draws a fresh id only for a key not stored. The sequence is looked up
    #   once, in a sub-select: called per row, the lookup and the text -> regclass cast cost as
    #   much as nextval itself.
    # - The stored row is a LATERAL subquery with LIMIT 1 so that it stays one index probe per
    #   key: as a plain join, the planner, misled by a stale size estimate, hashed the whole
    #   table for every batch (40 ms a batch at 100,000 rows).
    return (
        "WITH k AS MATERIALIZED (SELECT * FROM ROWS FROM (json_array_elements_text($1::json), "
        "json_array_elements_text($2::json)) WITH ORDINALITY AS k(source, source_id, n)), "
        "probe AS MATERIALIZED (SELECT EXISTS (SELECT 1 FROM (SELECT source, "
        "min(source_id) AS lo, max(source_id) AS hi FROM k GROUP BY source) AS b WHERE EXISTS ("
        f"SELECT 1 FROM {table} AS s WHERE s.source = b.source "
        "AND s.source_id >= b.lo AND s.source_id <= b.hi)) AS stored) "
        "SELECT true, array_agg(version), array_agg(content_hash), array_agg(new_id) "
        "FROM (SELECT t.version, t.content_hash, "
        f"CASE WHEN t.id IS NULL THEN nextval({sequence}) END AS new_id "
        f"FROM k LEFT JOIN LATERAL (SELECT s.id, s.version, s.content_hash FROM {table} AS s "
        "WHERE s.source = k.source AND s.source_id = k.source_id LIMIT 1) AS t ON true "
        "ORDER BY k.n) AS found HAVING (SELECT stored FROM probe) "
        f"UNION ALL SELECT false, NULL, NULL, array_agg(nextval({sequence})) FROM k "
        "HAVING NOT (SELECT stored FROM probe)"
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


async def plan(conn: AsyncConnection, codec: RecordCodec[Any], keys: list[Key]) -> Plan:
    """Each key's stored version and hash, or a fresh id."""
    # This goes through SQLAlchemy: as the transaction's first statement, that opens the driver's
    # transaction, which the COPYs on the driver connection then join.
    sources = orjson.dumps([source for source, _ in keys]).decode()
    source_ids = orjson.dumps([source_id for _, source_id in keys]).decode()
    result = await conn.exec_driver_sql(plan_statement(codec), (sources, source_ids))
    stored, versions, digests, new_ids = result.one()
    return Plan(stored, versions or [], digests or [], new_ids)


async def write(
    conn: AsyncConnection, codec: RecordCodec[Any], batch: KeyOrdered, plan: Plan, synced_at: int
) -> UpsertCounts:
    """Write `batch` as `plan` found its keys."""
    fresh: Sequence[int]
    ids: Sequence[int]
    if plan.stored:
        fresh, ids, newer, unchanged = _sorted_out(batch, plan)
        items: KeyOrdered | list[Encoded] = [batch[index] for index in fresh]
    else:  # a batch of new records only, read in order and encoded as the COPY reads it
        fresh, newer, unchanged = range(len(batch)), [], 0
        ids = sorted(cast(list[int], plan.new_ids))  # every key has one
        items = batch
    counts = UpsertCounts(unchanged=unchanged)
    driver = (await conn.get_raw_connection()).driver_connection
    if fresh and await _copy_fresh(conn, driver, codec, items, ids, synced_at):
        counts += UpsertCounts(created=len(fresh))
    elif fresh:
        # Sorted by key again, so that concurrent writers take the row locks in one order.
        newer = sorted([*newer, *(batch[index] for index in fresh)], key=_key_of)
    if newer:
        counts += await _guarded_upsert(conn, driver, codec, newer, synced_at)
    return counts


def _sorted_out(batch: KeyOrdered, plan: Plan) -> tuple[list[int], list[int], list[Encoded], int]:
    """(positions of new keys, their ids, items newer than stored, how many are unchanged)."""
    fresh: list[int] = []
    ids: list[int] = []
    newer: list[Encoded] = []
    unchanged = 0
    found = zip(range(len(batch)), plan.versions, plan.digests, plan.new_ids, strict=True)
    for index, version, digest, new_id in found:
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
    ids.sort()
    return fresh, ids, newer, unchanged


def _key_of(item: Encoded) -> Key:
    return item[0][0], item[0][1]


async def _copy_fresh(
    conn: AsyncConnection,
    driver: Any,
    codec: RecordCodec[Any],
    items: KeyOrdered | list[Encoded],
    ids: Sequence[int],
    synced_at: int,
) -> bool:
    """COPY rows not stored yet; False (and nothing written) if another writer stored one first."""
    # Ascending ids (sorted, whatever order the server drew them in) append at the right edge
    # of each index.
    # The bookkeeping goes last: appending to the encoded tuple copies it once, while unpacking
    # it goes through a list. The rows are made (and records not encoded yet, encoded) as the
    # COPY reads them, so PostgreSQL inserts the first ones meanwhile.
    rows = (item[0] + (synced_at, row_id) for item, row_id in zip(items, ids, strict=True))
    columns = [*codec.columns, "synced_at", "id"]
    savepoint = await conn.begin_nested()
    try:
        await driver.copy_records_to_table(
            TABLE_NAMES[codec.record_type],
            records=with_numerics(rows, codec.decimal_columns),
            columns=columns,
        )
    except asyncpg.UniqueViolationError:
        await savepoint.rollback()
        return False
    if codec.has_lines and any(lines for _, lines in items):
        # The lines' COPY is bound by the server's inserts (its index), so the encoded batch,
        # no longer needed once the lines are read, is freed while the server finishes them
        # rather than after the commit, when this process would be the one busy.
        lines = copy_line_rows(codec, items, ids)
        release = items.release if isinstance(items, KeyOrdered) else _nothing
        await _copy_lines(driver, codec, then_soon(lines, release))
    await savepoint.commit()
    return True


def _nothing() -> None:
    return None


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
    written_items = [by_key[(row[1], row[2])] for row in written]
    if any(lines for _, lines in written_items):
        rows = copy_line_rows(codec, written_items, [row[0] for row in written])
        await _copy_lines(driver, codec, rows)


async def _copy_lines(driver: Any, codec: RecordCodec[Any], rows: Iterable[Row]) -> None:
    columns = [*codec.line_columns, "invoice_id", "position"]
    await driver.copy_records_to_table("invoice_lines", records=rows, columns=columns)
