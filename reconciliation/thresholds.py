"""The reconciler's tunable limits, with DESIGN.md's defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Thresholds:
    ledger_grace_days: int = 3  # a Stripe object may take this long to reach QuickBooks
    deal_grace_days: int = 14  # a won deal may take this long to be billed
    underbilled_percent: int = 99  # billed below this share of the deal amount is underbilled
    discount_percent: int = 20  # discounts above this share of the subtotal need approval
    unrecovered_grace_days: int = 14  # failed payments are chased after this many days past due
    payout_window_days: int = 5  # an id-less deposit matches a payout arriving this close
    payment_window_days: int = 3  # fallback payment matching: this close to the charge
    metrics_period_days: int = 90  # the period DSO and CEI are measured over
