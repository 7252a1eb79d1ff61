"""Stripe's synced objects and their mappers (minor units, epoch seconds, `deleted: true`)."""

from __future__ import annotations

from canonical.records import (
    BalanceTransaction,
    CreditNote,
    Dispute,
    Invoice,
    InvoicePayment,
    Party,
    Payment,
    PaymentKind,
    Payout,
    Refund,
    Subscription,
)
from mappings import stripe_billing as billing
from mappings import stripe_payments as payments
from mappings.spec import ObjectSpec

OBJECTS: tuple[ObjectSpec, ...] = (
    ObjectSpec("customers", Party, billing.map_customer, ("customer",)),
    ObjectSpec("subscriptions", Subscription, billing.map_subscription, ("subscription",)),
    ObjectSpec("invoices", Invoice, billing.map_invoice, ("invoice",)),
    ObjectSpec(
        "invoice_payments", InvoicePayment, payments.map_invoice_payment, ("invoice_payment",)
    ),
    ObjectSpec("charges", Payment, payments.map_charge, ("charge",), PaymentKind.CHARGE),
    ObjectSpec(
        "payment_intents",
        Payment,
        payments.map_payment_intent,
        ("payment_intent",),
        PaymentKind.PAYMENT_INTENT,
    ),
    ObjectSpec("refunds", Refund, payments.map_refund, ("refund",)),
    ObjectSpec("disputes", Dispute, payments.map_dispute, ("dispute",)),
    ObjectSpec("credit_notes", CreditNote, billing.map_credit_note, ("credit_note",)),
    ObjectSpec("payouts", Payout, payments.map_payout, ("payout",)),
    ObjectSpec(
        "balance_transactions",
        BalanceTransaction,
        payments.map_balance_transaction,
        ("balance_transaction",),
    ),
)
