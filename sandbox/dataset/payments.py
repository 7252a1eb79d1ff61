"""Payment attempts for an invoice or a one-off payment: intents, charges, balance transactions.

Outcomes are decided by the caller; this module turns "succeeded after two declines" into the
Stripe objects with consistent times, fees and balance movements.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.dataset import stripe_payments as sp
from sandbox.dataset.context import Context, available_on, processing_fee
from sandbox.dataset.party import Party
from sandbox.stripe_shapes import balance_transaction


@dataclass
class Attempt:
    at: int
    succeeded: bool


@dataclass
class IntentResult:
    intent: sp.IntentFacts
    succeeded: sp.ChargeFacts | None

    @property
    def failed(self) -> list[sp.ChargeFacts]:
        return [charge for charge in self.intent.charges if not charge.succeeded]


def run_intent(
    ctx: Context,
    party: Party,
    amount: int,
    created: int,
    attempts: list[Attempt],
    description: str,
    metadata: dict[str, str],
) -> IntentResult:
    """An intent for `amount` and its charges, one per attempt; declines draw a real code."""
    intent = sp.IntentFacts(
        id=ctx.ids.stripe("pi"),
        customer=party.stripe.id,
        amount=amount,
        currency=party.currency,
        created=created,
        description=description,
        charges=[],
        metadata=dict(metadata),
    )
    succeeded: sp.ChargeFacts | None = None
    for attempt in attempts:
        charge = sp.ChargeFacts(
            id=ctx.ids.stripe("ch"),
            payment_intent=intent.id,
            customer=party.stripe.id,
            amount=amount,
            currency=party.currency,
            created=attempt.at,
            description=description,
            card_last4=party.card_last4,
            card_brand=party.card_brand,
            country=party.country,
        )
        if attempt.succeeded:
            charge.balance_transaction = ctx.ids.stripe("txn")
            succeeded = charge
        else:
            charge.decline = ctx.rng.choice(sp.DECLINES)
        intent.charges.append(charge)
    return IntentResult(intent, succeeded)


def settle_charge(ctx: Context, charge: sp.ChargeFacts) -> None:
    """The balance transaction of a succeeded charge, and its net landing in the balance."""
    assert charge.balance_transaction is not None
    fee = processing_fee(charge.amount, charge.currency)
    available = available_on(charge.created)
    ctx.emit(
        "stripe",
        "balance_transactions",
        balance_transaction(
            charge.balance_transaction,
            charge.amount,
            fee,
            charge.currency,
            charge.created,
            available,
            charge.id,
            "charge",
            charge.description,
            pending=available >= ctx.clock.now,
        ),
    )
    ctx.land_in_balance(charge.currency, available, charge.amount - fee)


def emit_intent(
    ctx: Context, result: IntentResult, refunds: dict[str, list[dict[str, object]]]
) -> None:
    """Write the intent and its charges (with any refunds embedded), settling the successes."""
    ctx.emit("stripe", "payment_intents", sp.payment_intent(result.intent))
    for charge in result.intent.charges:
        ctx.emit("stripe", "charges", sp.charge(charge, list(refunds.get(charge.id, []))))
        if charge.succeeded:
            settle_charge(ctx, charge)
