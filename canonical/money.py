"""Money: an integer count of a currency's minor units plus its ISO-4217 code.

Vendors disagree on the wire: Stripe sends minor units, QuickBooks and Salesforce send decimals
(sometimes as JSON floats). Every conversion here is exact or raises `MoneyError`; nothing rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Final

from canonical.errors import MoneyError, UnknownCurrency

# ISO-4217 minor-unit exponents that differ from 2. Everything else we accept has 2.
_EXPONENT_0: Final = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()  # noqa: SIM905
)
_EXPONENT_3: Final = frozenset("BHD IQD JOD KWD LYD OMR TND".split())  # noqa: SIM905
_EXPONENT_4: Final = frozenset("CLF UYW".split())  # noqa: SIM905
_EXPONENT_2: Final = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ
    GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA
    MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR
    RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD
    TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL""".split()  # noqa: SIM905
)


# Every known upper-case code and its exponent: one dict lookup on the hot path, where mapped
# amounts carry codes that are already normalised.
_EXPONENTS: Final = {
    code: places
    for places, codes in ((0, _EXPONENT_0), (2, _EXPONENT_2), (3, _EXPONENT_3), (4, _EXPONENT_4))
    for code in codes
}


def exponent(currency: str) -> int:
    """The number of decimal places of `currency`'s minor unit (JPY 0, USD 2, KWD 3)."""
    places = _EXPONENTS.get(currency)
    if places is None:
        places = _EXPONENTS.get(currency.upper())
        if places is None:
            raise UnknownCurrency(f"unknown currency code {currency!r}")
    return places


_set_field: Final = object.__setattr__


@lru_cache(maxsize=512)
def normalise_currency(currency: str) -> str:
    """The upper-case ISO code, after checking that we know its exponent."""
    code = currency.strip().upper()
    exponent(code)
    return code


@dataclass(frozen=True, slots=True, order=True, init=False)
class Money:
    """An exact amount: `minor` units of `currency` (upper-case ISO-4217)."""

    minor: int
    currency: str

    def __init__(self, minor: int, currency: str) -> None:
        # Written out instead of the generated frozen `__init__` and a `__post_init__`: a sync
        # makes several per record, and this costs about a quarter less.
        if type(minor) is not int:
            raise MoneyError(f"minor units must be an int, got {type(minor).__name__}")
        if currency not in _EXPONENTS:
            currency = normalise_currency(currency)
        _set_field(self, "minor", minor)
        _set_field(self, "currency", currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """From a count of minor units, as Stripe sends them."""
        return cls(minor, currency)

    @classmethod
    def from_decimal(cls, value: Decimal | str | int | float, currency: str) -> Money:
        """From a major-unit amount: a `Decimal`, a decimal string, an int, or an SDK float.

        A float is read through its shortest repr (`Decimal(str(x))`), which is the decimal the
        vendor wrote before a JSON parser turned it into a float. More fractional digits than the
        currency has raise `MoneyError`: finance would rather see an error than a silent rounding.
        """
        code = normalise_currency(currency)
        number = _to_decimal(value)
        scaled = number.scaleb(exponent(code))
        if scaled != scaled.to_integral_value():
            raise MoneyError(
                f"{value!r} has more decimal places than {code} allows ({exponent(code)})"
            )
        return cls(int(scaled), code)

    def to_decimal(self) -> Decimal:
        """The major-unit amount, exactly: `Money(1050, "USD").to_decimal() == Decimal("10.50")`."""
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def __str__(self) -> str:
        return f"{self.to_decimal():.{exponent(self.currency)}f} {self.currency}"

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.minor), self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return _zero(currency)

    def as_json(self) -> dict[str, int | str]:
        return {"minor": self.minor, "currency": self.currency}


@lru_cache(maxsize=512)
def _zero(currency: str) -> Money:
    # Money is immutable, so one zero per currency serves every caller.
    return Money(0, currency)


def _to_decimal(value: Decimal | str | int | float) -> Decimal:
    if isinstance(value, bool):
        raise MoneyError(f"not an amount: {value!r}")
    if isinstance(value, float):
        value = repr(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise MoneyError(f"not a decimal amount: {value!r}") from exc
    if not number.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    return number
