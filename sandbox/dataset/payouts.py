"""Daily automatic payouts per currency, their balance transactions, and the QuickBooks deposits
that record them. Runs once every customer is done, from the per-day balance totals.

Planted here: `payout_mismatch` (no deposit, or a deposit naming the payout with another amount).
Most deposits name the `po_` id; some match only by amount within ±5 days of arrival, and the
generator makes those amounts unique in that window so the match is unambiguous.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sandbox.dataset import quickbooks as qbo
from sandbox.dataset import quickbooks_journal as qbj
from sandbox.dataset import stripe_adjustments as sa
from sandbox.dataset.context import DAY, Context
from sandbox.dataset.money import to_decimal
from sandbox.stripe_shapes import balance_transaction

AMOUNT_ONLY_SHARE = 0.15
MATCH_WINDOW_DAYS = 5


@dataclass(frozen=True)
class Payout:
    id: str
    currency: str
    amount: int
    created: int
    arrival: int
    paid: bool


def schedule(ctx: Context) -> list[Payout]:
    """Sweep each currency's balance day by day; a positive balance is paid out that day."""
    today = ctx.clock.now // DAY
    payouts: list[Payout] = []
    currencies = sorted({currency for currency, _ in ctx.balance_by_day})
    for currency in currencies:
        days = sorted(day for cur, day in ctx.balance_by_day if cur == currency and day < today)
        running = 0
        for day in days:
            running += ctx.balance_by_day[(currency, day)]
            if running <= 0:
                continue
            arrival = (day + 1) * DAY
            payout = Payout(
                ctx.ids.stripe("po"),
                currency,
                running,
                day * DAY + 6 * 3600,
                arrival,
                paid=day + 1 < today,
            )
            payouts.append(payout)
            running = 0
    return payouts


def emit_payouts(ctx: Context) -> None:
    payouts = schedule(ctx)
    by_amount: defaultdict[tuple[str, int], list[Payout]] = defaultdict(list)
    for payout in payouts:
        by_amount[(payout.currency, payout.amount)].append(payout)
    for payout in payouts:
        txn = ctx.ids.stripe("txn")
        ctx.emit(
            "stripe",
            "payouts",
            sa.payout(
                payout.id,
                payout.amount,
                payout.currency,
                payout.created,
                payout.arrival,
                txn,
                f"ba_{payout.currency.upper()}sandboxbank01",
                payout.paid,
            ),
        )
        ctx.emit(
            "stripe",
            "balance_transactions",
            balance_transaction(
                txn,
                -payout.amount,
                0,
                payout.currency,
                payout.created,
                payout.created,
                payout.id,
                "payout",
                "STRIPE PAYOUT",
                pending=False,
            ),
        )
        _record_deposit(ctx, payout, by_amount[(payout.currency, payout.amount)])


def _unique_in_window(payout: Payout, same_amount: list[Payout]) -> bool:
    """No other payout of this currency and amount arrives within twice the match window."""
    window = 2 * MATCH_WINDOW_DAYS * DAY
    return not any(
        other.id != payout.id and abs(other.arrival - payout.arrival) <= window
        for other in same_amount
    )


def _record_deposit(ctx: Context, payout: Payout, same_amount: list[Payout]) -> None:
    if not payout.paid:
        ctx.planter.trap("payout_in_transit", payout.id)
        return
    amount, note = payout.amount, f"Stripe payout {payout.id}"
    if ctx.planter.take("payout_mismatch"):
        if ctx.rng.random() < 0.5:
            ctx.planter.record("payout_mismatch", "stripe", payout.id, amount, payout.currency)
            return
        delta = max(1, amount // ctx.rng.choice((20, 50, 100)))
        amount -= delta
        ctx.planter.record("payout_mismatch", "stripe", payout.id, delta, payout.currency)
    elif ctx.rng.random() < AMOUNT_ONLY_SHARE and _unique_in_window(payout, same_amount):
        note = "Stripe transfer"
    bank = qbo.bank_account(ctx.accounts, payout.currency.upper())
    created = min(payout.arrival + ctx.rng.randint(3600, 20 * 3600), ctx.clock.now - 1)
    ctx.emit(
        "quickbooks",
        "Deposit",
        qbj.deposit(
            ctx.ids.quickbooks("Deposit"),
            payout.currency.upper(),
            ctx.clock.date_of(payout.arrival),
            to_decimal(amount, payout.currency),
            note,
            bank,
            created,
        ),
    )
