import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canonical.errors import MoneyError, UnknownCurrency
from canonical.money import Money, exponent

CURRENCIES_BY_EXPONENT = {
    0: ["JPY", "KRW", "VND"],
    2: ["USD", "EUR", "GBP"],
    3: ["KWD", "BHD", "TND"],
}
ALL = [code for codes in CURRENCIES_BY_EXPONENT.values() for code in codes]
minor_units = st.integers(min_value=-(10**15), max_value=10**15)


@pytest.mark.parametrize(
    ("code", "expected"),
    [(c, e) for e, codes in CURRENCIES_BY_EXPONENT.items() for c in codes],
)
def test_exponent_comes_from_the_currency(code: str, expected: int) -> None:
    assert exponent(code) == expected
    assert exponent(code.lower()) == expected


@given(minor=minor_units, currency=st.sampled_from(ALL))
def test_decimal_round_trip_is_exact(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    assert Money.from_decimal(money.to_decimal(), currency) == money
    assert Money.from_decimal(str(money.to_decimal()), currency) == money


@given(minor=st.integers(min_value=-(10**12), max_value=10**12), currency=st.sampled_from(ALL))
def test_sdk_float_round_trip_is_exact(minor: int, currency: str) -> None:
    # An SDK hands us float(the decimal the vendor wrote); its repr is that decimal again.
    as_float = float(Money(minor, currency).to_decimal())
    assert Money.from_decimal(as_float, currency) == Money(minor, currency)


@given(currency=st.sampled_from(ALL), minor=minor_units)
def test_one_digit_too_many_is_an_error_not_a_rounding(currency: str, minor: int) -> None:
    too_precise = Decimal(minor).scaleb(-exponent(currency)) + Decimal(1).scaleb(
        -exponent(currency) - 1
    )
    with pytest.raises(MoneyError, match="decimal places"):
        Money.from_decimal(too_precise, currency)


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        ("10.50", "usd", 1050),
        (Decimal("12.345"), "KWD", 12345),
        (12.345, "KWD", 12345),
        (1500, "JPY", 1500),
        ("1500.0", "JPY", 1500),
        (0.1, "USD", 10),
        ("-3.10", "EUR", -310),
        ("1E+2", "USD", 10000),
    ],
)
def test_from_decimal_table(value: Decimal | str | float, currency: str, minor: int) -> None:
    assert Money.from_decimal(value, currency) == Money(minor, currency.upper())


@pytest.mark.parametrize("bad", ["", "abc", "NaN", "Infinity", True])
def test_non_amounts_are_rejected(bad: str | bool) -> None:
    with pytest.raises(MoneyError):
        Money.from_decimal(bad, "USD")


def test_unknown_currency_is_rejected() -> None:
    with pytest.raises(UnknownCurrency):
        Money(1, "XYZ")


def test_minor_units_must_be_an_int() -> None:
    with pytest.raises(MoneyError):
        Money(1.0, "USD")  # type: ignore[arg-type]


def test_arithmetic_refuses_mixed_currencies() -> None:
    assert Money(100, "USD") + Money(5, "USD") == Money(105, "USD")
    with pytest.raises(MoneyError, match="USD with EUR"):
        _ = Money(100, "USD") - Money(5, "EUR")


def test_str_shows_the_currency_exponent() -> None:
    assert str(Money(1500, "JPY")) == "1500 JPY"
    assert str(Money(12345, "KWD")) == "12.345 KWD"
    assert str(Money(-5, "USD")) == "-0.05 USD"


@pytest.mark.parametrize("written", ["usd", " Usd ", "USD"])
def test_construction_normalises_the_currency_code(written: str) -> None:
    money = Money(250, written)
    assert money.currency == "USD"
    assert money == Money(250, "USD")
    assert hash(money) == hash(Money(250, "USD"))


def test_money_stays_frozen_and_replaceable() -> None:
    money = Money(250, "EUR")
    with pytest.raises(dataclasses.FrozenInstanceError):
        money.minor = 1  # type: ignore[misc]
    assert dataclasses.replace(money, minor=300) == Money(300, "EUR")


def test_zero_is_normalised_and_shared_per_currency() -> None:
    assert Money.zero("eur") == Money(0, "EUR")
    assert Money.zero("EUR") is Money.zero("EUR")
    with pytest.raises(UnknownCurrency):
        Money.zero("XYZ")


@pytest.mark.parametrize(("code", "places"), [("usd", 2), ("JPY", 0), ("kwd", 3), ("CLF", 4)])
def test_exponent_accepts_either_case(code: str, places: int) -> None:
    assert exponent(code) == places
