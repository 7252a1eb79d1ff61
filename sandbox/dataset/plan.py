"""Which records carry a planted finding, and the ground truth they add up to.

A `Planter` is asked `take(kind)` at each record eligible for a kind: it answers from the kind's
rate, except that with `force_each_kind` on, the first eligible record of a kind still missing
from the truth is always planted, so a modest dataset holds every kind. `need(kind)` lets the
story generators create an eligible record (a lost dispute, say) while a kind is still missing.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, fields
from typing import Any

from sandbox.dataset.money import CURRENCIES


@dataclass(frozen=True)
class PlantRates:
    """Fraction of eligible records that get each planted finding kind."""

    missing_in_ledger: float = 0.03
    missing_in_billing: float = 0.02
    amount_mismatch: float = 0.03
    currency_mismatch: float = 0.02
    status_mismatch: float = 0.02
    duplicate_payment: float = 0.01
    unbilled_deal: float = 0.04
    underbilled_deal: float = 0.04
    excess_discount: float = 0.05
    unrecovered_payment: float = 0.05
    unrecorded_dispute: float = 0.15
    payout_mismatch: float = 0.03


FINDING_KINDS: tuple[str, ...] = tuple(field.name for field in fields(PlantRates))
TRAP_KINDS: tuple[str, ...] = (
    "inside_ledger_grace",
    "partial_payment",
    "zero_decimal_currency",
    "three_decimal_currency",
    "refund_as_credit_memo",
    "deal_closed_yesterday",
    "approved_discount",
    "payout_in_transit",
)
# Enough of each trap that a test can rely on "several".
TRAP_TARGET = 3


@dataclass(frozen=True)
class Finding:
    kind: str
    source: str
    id: str
    minor: int
    currency: str

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source,
            "id": self.id,
            "amount_at_stake": {"minor": self.minor, "currency": self.currency.upper()},
        }


class Planter:
    def __init__(self, rng: random.Random, rates: PlantRates, force_each_kind: bool) -> None:
        self._rng = rng
        self._rates = rates
        self._force = force_each_kind
        self.findings: list[Finding] = []
        self.counts: Counter[str] = Counter()
        self.traps: dict[str, list[str]] = {kind: [] for kind in TRAP_KINDS}

    def need(self, kind: str) -> bool:
        return self._force and self.counts[kind] == 0

    def take(self, kind: str) -> bool:
        rate: float = getattr(self._rates, kind)
        return self.need(kind) or self._rng.random() < rate

    def record(self, kind: str, source: str, record_id: str, minor: int, currency: str) -> None:
        if minor <= 0:
            raise ValueError(f"{kind} on {record_id}: amount at stake must be positive")
        if currency not in CURRENCIES:
            raise ValueError(f"unknown currency {currency}")
        self.counts[kind] += 1
        self.findings.append(Finding(kind, source, record_id, minor, currency))

    def trap_wanted(self, kind: str) -> bool:
        return self._force and len(self.traps[kind]) < TRAP_TARGET

    def trap(self, kind: str, record_id: str) -> None:
        self.traps[kind].append(record_id)

    def truth(self) -> list[dict[str, Any]]:
        ordered = sorted(self.findings, key=lambda f: (f.kind, f.source, f.id))
        return [finding.as_json() for finding in ordered]
