"""Pieces of Stripe's object shapes that the dataset generator and the emulator both build."""

from __future__ import annotations

from typing import Any

# https://docs.stripe.com/api/disputes/object#dispute_object-evidence
DISPUTE_EVIDENCE_KEYS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)


# https://docs.stripe.com/api/balance_transactions/object
def balance_transaction(
    txn_id: str,
    amount: int,
    fee: int,
    currency: str,
    created: int,
    available_on: int,
    source: str,
    kind: str,
    description: str | None,
    pending: bool,
) -> dict[str, Any]:
    category = {"charge": "charge", "refund": "refund", "payout": "payout"}.get(kind, "dispute")
    fee_details = (
        [
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ]
        if fee
        else []
    )
    return {
        "amount": amount,
        "available_on": available_on,
        "created": created,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": fee_details,
        "id": txn_id,
        "net": amount - fee,
        "object": "balance_transaction",
        "reporting_category": category,
        "source": source,
        "status": "pending" if pending else "available",
        "type": kind,
        "balance_type": "payments",
    }
