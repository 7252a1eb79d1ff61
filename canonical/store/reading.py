"""Reading records back: one by key, all of a type by keyset pages, and counts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from canonical.records import Invoice, Record
from canonical.store.codecs import codec_for
from canonical.store.engine import connect
from canonical.store.record_tables import invoice_lines, table_for

R = TypeVar("R", bound=Record)


def _record_select(record_type: type[Record]) -> Select[Any]:
    """The field columns in decode order, then the surrogate id."""
    table = table_for(record_type)
    fields = codec_for(record_type).columns[:-1]  # all but content_hash
    return select(*(table.c[name] for name in fields), table.c.id)


def _lines_select() -> Select[Any]:
    """An invoice's line columns in decode order, then the invoice id."""
    columns = codec_for(Invoice).line_columns
    return select(
        *(invoice_lines.c[name] for name in columns), invoice_lines.c.invoice_id
    ).order_by(invoice_lines.c.invoice_id, invoice_lines.c.position)


async def _lines_between(
    conn: AsyncConnection, first_id: int, last_id: int
) -> dict[int, list[Sequence[Any]]]:
    query = _lines_select().where(invoice_lines.c.invoice_id.between(first_id, last_id))
    grouped: dict[int, list[Sequence[Any]]] = {}
    for row in await conn.execute(query):
        grouped.setdefault(row[-1], []).append(row)
    return grouped


async def get_record(
    engine: AsyncEngine, record_type: type[R], source: str, source_id: str
) -> R | None:
    codec = codec_for(record_type)
    table = table_for(record_type)
    query = _record_select(record_type).where(
        table.c.source == str(source), table.c.source_id == source_id
    )
    async with connect(engine) as conn:
        row = (await conn.execute(query)).first()
        if row is None:
            return None
        lines = await _lines_between(conn, row[-1], row[-1]) if codec.has_lines else {}
    return codec.decode(row, lines.get(row[-1], ()))


async def stream_records(
    engine: AsyncEngine, record_type: type[R], *, source: str | None, batch_size: int
) -> AsyncIterator[R]:
    """Every record of a type in id order, one short read per page so memory stays bounded."""
    codec = codec_for(record_type)
    table = table_for(record_type)
    query = _record_select(record_type).order_by(table.c.id).limit(batch_size)
    if source is not None:
        query = query.where(table.c.source == str(source))
    last_id = 0
    while True:
        async with connect(engine) as conn:
            rows = (await conn.execute(query.where(table.c.id > last_id))).all()
            lines = (
                await _lines_between(conn, rows[0][-1], rows[-1][-1])
                if rows and codec.has_lines
                else {}
            )
        for row in rows:
            yield codec.decode(row, lines.get(row[-1], ()))
        if len(rows) < batch_size:
            return
        last_id = rows[-1][-1]


async def count_records(
    engine: AsyncEngine, record_type: type[Record], source: str | None, kind: str | None = None
) -> int:
    table = table_for(record_type)
    query = select(func.count()).select_from(table)
    if source is not None:
        query = query.where(table.c.source == str(source))
    if kind is not None:
        query = query.where(table.c.kind == str(kind))
    async with connect(engine) as conn:
        return int((await conn.execute(query)).scalar_one())
