from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from canonical.records import Invoice
from canonical.store.codecs import codec_for
from canonical.store.copy_rows import (
    CopyNumeric,
    Numerics,
    copy_line_rows,
    then_soon,
    with_numerics,
)
from tests.canonical.test_store_samples import invoice

AWKWARD_DECIMALS = ["0", "1", "1.50", "-0.001", "1E+3", "123456789012345678.000000001", "-7"]


@pytest.mark.parametrize("text", AWKWARD_DECIMALS)
def test_a_copy_numeric_is_the_decimal_of_its_text_digits_and_scale_included(text: str) -> None:
    value = Numerics()[text]

    assert isinstance(value, CopyNumeric)
    assert value == Decimal(text)
    assert str(value) == str(Decimal(text))
    assert value.as_tuple() == Decimal(text).as_tuple()


def test_numerics_make_each_text_once_and_keep_none() -> None:
    numerics = Numerics()

    assert numerics["2.5"] is numerics["2.5"]
    assert numerics[None] is None


def test_line_rows_carry_their_invoice_id_and_position_last() -> None:
    codec = codec_for(Invoice)
    first, second = codec.encode(invoice("in_1")), codec.encode(invoice("in_2"))

    rows = list(copy_line_rows(codec, [first, second], [7, 9]))

    expected = [line + (7, n) for n, line in enumerate(first[1])]  # noqa: RUF005
    expected += [line + (9, n) for n, line in enumerate(second[1])]  # noqa: RUF005
    assert rows == [
        tuple(
            Decimal(value) if at in codec.line_decimal_columns else value
            for at, value in enumerate(row)
        )
        for row in expected
    ]
    assert len(first[1]) > 0


def test_line_rows_hand_the_copy_decimals_not_their_text() -> None:
    codec = codec_for(Invoice)
    (at,) = codec.line_decimal_columns

    (row, *_) = copy_line_rows(codec, [codec.encode(invoice("in_1"))], [1])

    assert codec.line_columns[at] == "quantity"
    assert type(row[at]) is CopyNumeric


def test_rows_with_numerics_swap_only_the_decimal_columns() -> None:
    rows = [("a", "1.5", 3, None), ("b", None, 4, "x")]

    swapped = list(with_numerics(rows, (1,)))

    assert swapped == [("a", Decimal("1.5"), 3, None), ("b", None, 4, "x")]
    assert type(swapped[0][1]) is CopyNumeric


def test_rows_without_decimal_columns_pass_through_as_they_are() -> None:
    rows = [("a", 1)]

    assert with_numerics(rows, ()) is rows


async def test_then_soon_calls_back_on_the_loop_once_every_row_is_read() -> None:
    calls: list[int] = []
    rows = then_soon([(1,), (2,)], lambda: calls.append(len(calls)))

    assert list(rows) == [(1,), (2,)]
    assert calls == []  # not while the reader is still busy with the rows
    await asyncio.sleep(0)
    assert calls == [0]


async def test_then_soon_does_not_call_back_for_rows_left_unread() -> None:
    calls: list[int] = []
    rows = then_soon([(1,), (2,)], lambda: calls.append(1))

    assert next(rows) == (1,)
    await asyncio.sleep(0)
    assert calls == []
