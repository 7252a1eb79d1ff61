"""Currencies of the dataset: exponents, price scaling, tax rates, minor -> decimal conversion."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class CurrencyProfile:
    code: str  # lower-case, as Stripe writes it
    exponent: int
    # Minor units per 1000 US cents, so plans cost about the same everywhere
    # (100 US cents ~ 150 yen ~ 307 fils). Integers: no float ever touches an amount.
    per_1000_usd_cents: int
    tax_rate_bp: int  # basis points of VAT/sales tax applied to taxable customers; 0 = untaxed
    tax_name: str
    country: str
    bank_suffix: str


CURRENCIES: dict[str, CurrencyProfile] = {
    "usd": CurrencyProfile("usd", 2, 1000, 725, "Sales Tax", "US", "US"),
    "eur": CurrencyProfile("eur", 2, 920, 1900, "VAT", "DE", "DE"),
    "gbp": CurrencyProfile("gbp", 2, 790, 2000, "VAT", "GB", "GB"),
    "jpy": CurrencyProfile("jpy", 0, 1500, 1000, "JCT", "JP", "JP"),
    "kwd": CurrencyProfile("kwd", 3, 3070, 0, "", "KW", "KW"),
}
CURRENCY_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("usd", 58),
    ("eur", 15),
    ("gbp", 11),
    ("jpy", 9),
    ("kwd", 7),
)
HOME_CURRENCY = "usd"


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units -> the exact major-unit Decimal, normalised (10.50 -> 10.5, 1500 -> 1500)."""
    exponent = CURRENCIES[currency].exponent
    value = Decimal(minor).scaleb(-exponent)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def scale_price(usd_cents: int, currency: str, step: int) -> int:
    """A USD-cent list price in `currency` minor units, rounded to a multiple of `step`."""
    scaled = usd_cents * CURRENCIES[currency].per_1000_usd_cents
    return max(step, (scaled + 500 * step) // (1000 * step) * step)


def tax_for(net: int, rate_bp: int) -> int:
    """Tax in minor units, rounded half up as Stripe Tax does per line."""
    return (net * rate_bp + 5000) // 10000
