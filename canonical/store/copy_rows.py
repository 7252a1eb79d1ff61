"""Encoded rows as PostgreSQL's binary COPY takes them: decimals as `Decimal`s, lines keyed.

Rows are encoded once for every backend (decimal text, lines without their invoice), so the COPY
paths make the last form here, row by row as the COPY reads them, in as few Python steps as
possible: this is per line, and a batch of 10,000 invoices has 30,000.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal, DecimalTuple
from typing import Any

from canonical.store.batches import Encoded
from canonical.store.codecs import RecordCodec, Row

LineRows = Callable[[Iterable[Encoded], Sequence[int], "Numerics"], Iterator[Row]]


class CopyNumeric(Decimal):
    """A decimal that hands asyncpg's binary numeric encoder its digits without recomputing them.

    That encoder calls `as_tuple()` on every value, and building the named tuple cost more than
    all the other columns of an invoice line together. A batch holds few distinct quantities,
    so each is made once per batch (`Numerics`) with its tuple. The value is an ordinary
    `Decimal` in every other respect, so any other encoder would see the same number.
    """

    __slots__ = ("_digits",)

    _digits: DecimalTuple

    def as_tuple(self) -> DecimalTuple:
        return self._digits


class Numerics(dict[str | None, CopyNumeric | None]):
    """Decimal text, as encoded, to its `CopyNumeric`: made on first sight, None kept None."""

    def __init__(self) -> None:
        super().__init__({None: None})

    def __missing__(self, text: str | None) -> CopyNumeric:
        if text is None:  # pragma: no cover - None is always present
            raise KeyError(text)
        value = self[text] = CopyNumeric(text)
        value._digits = Decimal(text).as_tuple()
        return value


def with_numerics(rows: Iterable[Row], columns: tuple[int, ...]) -> Iterable[Row]:
    """`rows` with the decimal text at `columns` made `CopyNumeric`s, as they are read."""
    if not columns:
        return rows
    numerics = Numerics()
    return (_swapped(row, columns, numerics) for row in rows)


def _swapped(row: Row, columns: tuple[int, ...], numerics: Numerics) -> Row:
    values = list(row)
    for at in columns:
        values[at] = numerics[values[at]]
    return tuple(values)


def then_soon(rows: Iterable[Row], callback: Callable[[], object]) -> Iterator[Row]:
    """`rows`, then `callback` scheduled on the running loop once they are all read.

    asyncpg's COPY sends its last buffer when the rows run out, then waits for the server to
    insert it (a few milliseconds for its 512 KB): the callback runs then, in time this process
    would otherwise spend waiting.
    """
    yield from rows
    asyncio.get_running_loop().call_soon(callback)


def copy_line_rows(
    codec: RecordCodec[Any], items: Iterable[Encoded], ids: Sequence[int]
) -> Iterator[Row]:
    """`(*line, invoice_id, position)` for every line of `items[i]`, under invoice id `ids[i]`,
    decimals made `CopyNumeric`s; made as they are read."""
    return _line_rows_function(codec.line_columns, codec.line_decimal_columns)(
        items, ids, Numerics()
    )


@functools.cache
def _line_rows_function(columns: tuple[str, ...], decimals: tuple[int, ...]) -> LineRows:
    # Compiled for the line's width: unpacking each line into names and building its row in
    # one step takes half the time of slicing the decimal out and concatenating the key.
    names = [f"v{at}" for at in range(len(columns))]
    values = [f"_n[{name}]" if at in decimals else name for at, name in enumerate(names)]
    source = (
        "def line_rows(items, ids, _n):\n"
        f"    return (({', '.join(values)}, invoice_id, position)\n"
        "        for (_, lines), invoice_id in zip(items, ids, strict=True)\n"
        f"        for position, ({', '.join(names)},) in enumerate(lines))\n"
    )
    namespace: dict[str, object] = {}
    exec(compile(source, "<revcycle copy line rows>", "exec"), namespace)  # noqa: S102 - built from positions
    function: LineRows = namespace["line_rows"]  # type: ignore[assignment]
    return function
