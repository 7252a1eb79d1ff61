"""Stripe money movements: charges, payment intents, invoice payments, refunds, disputes, payouts
and balance transactions.

Since the 2025 "basil" API an invoice reaches its payments only through invoice payment objects.
Older payloads still carry `charge.invoice` / `payment_intent.invoice`; those become an allocation
of the payment's amount to that invoice, which is what they said.
"""

from __future__ import annotations

from canonical.money import Money
from canonical.records import (
    Allocation,
    BalanceTransaction,
    Dispute,
    InvoicePayment,
    Payment,
    PaymentKind,
    PaymentStatus,
    Payout,
    Record,
    Refund,
)
from mappings.reader import Reader

_CHARGE_STATUS = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "pending": PaymentStatus.PENDING,
    "failed": PaymentStatus.FAILED,
}

# A payment intent waiting for a payment method after an attempt failed is a failed payment; the
# same status before any attempt (no `last_payment_error`) is merely pending.
_INTENT_STATUS = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
    "processing": PaymentStatus.PENDING,
    "requires_capture": PaymentStatus.PENDING,
    "requires_confirmation": PaymentStatus.PENDING,
    "requires_action": PaymentStatus.PENDING,
    "requires_payment_method": PaymentStatus.PENDING,
}


def map_charge(r: Reader) -> list[Record]:
    currency = r.currency("currency")
    amount = r.required_minor("amount", currency=currency)
    return [
        Payment(
            **r.lineage(),
            kind=PaymentKind.CHARGE,
            party_id=r.ref("customer"),
            amount=amount,
            status=_charge_status(r),
            created_at=r.epoch("created"),
            payment_intent_id=r.ref("payment_intent"),
            charge_id=r.source_id,
            failure_code=r.text("failure_code"),
            failure_message=r.text("failure_message"),
            amount_refunded=r.minor("amount_refunded", currency=currency),
            allocations=_legacy_allocation(r, amount),
        )
    ]


def _charge_status(r: Reader) -> PaymentStatus:
    status = r.text("status")
    if status is None:  # older payloads: `paid` says whether the money moved
        return PaymentStatus.SUCCEEDED if r.flag("paid") else PaymentStatus.PENDING
    if status not in _CHARGE_STATUS:
        r.fail(f"unknown charge status {status!r}", field="status")
    return _CHARGE_STATUS[status]


def map_payment_intent(r: Reader) -> list[Record]:
    currency = r.currency("currency")
    amount = r.required_minor("amount", currency=currency)
    return [
        Payment(
            **r.lineage(),
            kind=PaymentKind.PAYMENT_INTENT,
            party_id=r.ref("customer"),
            amount=amount,
            status=_intent_status(r),
            created_at=r.epoch("created"),
            payment_intent_id=r.source_id,
            charge_id=r.ref("latest_charge"),
            failure_code=r.text("last_payment_error", "code"),
            failure_message=r.text("last_payment_error", "message"),
            allocations=_legacy_allocation(r, amount),
        )
    ]


def _intent_status(r: Reader) -> PaymentStatus:
    status = r.text("status")
    if status is None:
        return PaymentStatus.PENDING
    if status not in _INTENT_STATUS:
        r.fail(f"unknown payment intent status {status!r}", field="status")
    if status == "requires_payment_method" and r.get("last_payment_error") is not None:
        return PaymentStatus.FAILED
    return _INTENT_STATUS[status]


def _legacy_allocation(r: Reader, amount: Money) -> tuple[Allocation, ...]:
    invoice_id = r.ref("invoice")
    return () if invoice_id is None else (Allocation(invoice_id=invoice_id, amount=amount),)


def map_invoice_payment(r: Reader) -> list[Record]:
    currency = r.currency("currency")
    # `amount_paid` stays null until the payment succeeds: nothing has been paid yet.
    paid = r.minor("amount_paid", currency=currency)
    return [
        InvoicePayment(
            **r.lineage(),
            invoice_id=r.required_text("invoice"),
            amount_paid=Money.zero(currency) if paid is None else paid,
            status=r.required_text("status"),
            payment_intent_id=r.ref("payment", "payment_intent"),
            charge_id=r.ref("payment", "charge"),
            created_at=r.epoch("created"),
        )
    ]


def map_refund(r: Reader) -> list[Record]:
    currency = r.currency("currency")
    return [
        Refund(
            **r.lineage(),
            amount=r.required_minor("amount", currency=currency),
            status=r.required_text("status"),
            payment_id=r.ref("charge") or r.ref("payment_intent"),
            party_id=r.ref("customer"),
            reason=r.text("reason"),
            private_note=r.text("description"),
            created_at=r.epoch("created"),
        )
    ]


def map_dispute(r: Reader) -> list[Record]:
    currency = r.currency("currency")
    return [
        Dispute(
            **r.lineage(),
            amount=r.required_minor("amount", currency=currency),
            status=r.required_text("status"),
            payment_id=r.ref("charge"),
            payment_intent_id=r.ref("payment_intent"),
            reason=r.text("reason"),
            created_at=r.epoch("created"),
        )
    ]


def map_payout(r: Reader) -> list[Record]:
    currency = r.currency("currency")
    return [
        Payout(
            **r.lineage(),
            amount=r.required_minor("amount", currency=currency),
            status=r.required_text("status"),
            arrival_date=r.epoch_date("arrival_date"),
            created_at=r.epoch("created"),
        )
    ]


def map_balance_transaction(r: Reader) -> list[Record]:
    currency = r.currency("currency")
    amount = r.required_minor("amount", currency=currency)
    fee = r.minor("fee", currency=currency) or Money.zero(currency)
    net = r.minor("net", currency=currency) or amount - fee
    source_object_id = r.ref("source")
    return [
        BalanceTransaction(
            **r.lineage(),
            amount=amount,
            fee=fee,
            net=net,
            type=r.required_text("type"),
            source_object_id=source_object_id,
            # A balance transaction names its payout only when the payout is its source; the
            # payout that settled a charge is known from listing with `?payout=`, not from here.
            payout_id=source_object_id if (source_object_id or "").startswith("po_") else None,
            created_at=r.epoch("created"),
            available_on=r.epoch_date("available_on"),
        )
    ]
