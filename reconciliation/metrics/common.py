"""Small helpers the metrics share: per-currency sums and exact ratios."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from canonical.money import Money


def per_currency(amounts: Iterable[tuple[str, int]]) -> tuple[Money, ...]:
    """Sum (currency, minor) pairs per currency, sorted by currency; never across currencies."""
    totals: dict[str, int] = defaultdict(int)
    for currency, minor in amounts:
        totals[currency.upper()] += minor
    return tuple(Money(totals[c], c) for c in sorted(totals))


def ratio(numerator: int, denominator: int, places: str = "0.0001") -> Decimal | None:
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(places))


def median(values: list[int]) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[mid])
    return (Decimal(ordered[mid - 1] + ordered[mid]) / 2).quantize(Decimal("0.1"))
