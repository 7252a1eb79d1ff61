"""Leakage at stake: open findings by kind and by currency, never summed across currencies.

A converted total is made only from rates given explicitly (units of the target currency per
unit of each source currency) and carries a label naming them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from canonical.money import Money, exponent
from canonical.records import Finding, FindingKind, FindingStatus
from reconciliation.metrics.common import per_currency
from reconciliation.model import ConvertedTotal, Leakage, LeakageByKind


def leakage(
    findings: Sequence[Finding],
    *,
    rates: Mapping[str, Decimal] | None = None,
    rates_currency: str | None = None,
) -> Leakage:
    live = [f for f in findings if f.status is not FindingStatus.RESOLVED]
    counts = Counter(f.kind for f in live)
    by_kind = tuple(
        LeakageByKind(
            kind,
            counts[kind],
            per_currency(
                (f.amount_at_stake.currency, f.amount_at_stake.minor)
                for f in live
                if f.kind is kind
            ),
        )
        for kind in FindingKind
        if counts[kind]
    )
    by_currency = per_currency((f.amount_at_stake.currency, f.amount_at_stake.minor) for f in live)
    converted = None
    if rates and rates_currency:
        converted = convert(by_currency, rates, rates_currency.upper())
    return Leakage(by_kind, by_currency, converted)


def convert(amounts: Sequence[Money], rates: Mapping[str, Decimal], target: str) -> ConvertedTotal:
    """Sum `amounts` in `target` at `rates`, rounding each to the target's minor unit."""
    known = {c.upper(): r for c, r in rates.items()} | {target: Decimal(1)}
    total = 0
    for money in amounts:
        if money.currency not in known:
            raise ValueError(f"no conversion rate given for {money.currency}")
        major = money.to_decimal() * known[money.currency]
        total += int(major.scaleb(exponent(target)).quantize(Decimal(1), ROUND_HALF_EVEN))
    listed = ", ".join(f"1 {c} = {r} {target}" for c, r in sorted(known.items()) if c != target)
    label = f"converted to {target} at given rates ({listed})"
    return ConvertedTotal(label, target, dict(known), Money(total, target))
