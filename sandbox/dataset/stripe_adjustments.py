"""Stripe disputes, credit notes and payouts, in the current API shape."""

from __future__ import annotations

from typing import Any

from sandbox.stripe_shapes import DISPUTE_EVIDENCE_KEYS

JSONObject = dict[str, Any]


# https://docs.stripe.com/api/disputes/object
def dispute(
    dispute_id: str,
    charge: JSONObject,
    status: str,
    reason: str,
    created: int,
    balance_transactions: list[JSONObject],
) -> JSONObject:
    evidence: JSONObject = dict.fromkeys(DISPUTE_EVIDENCE_KEYS)
    evidence["enhanced_evidence"] = {}
    submitted = status in ("won", "lost")
    if submitted:
        evidence["uncategorized_text"] = "Customer used the service during the disputed period."
    return {
        "amount": charge["amount"],
        "balance_transactions": balance_transactions,
        "charge": charge["id"],
        "created": created,
        "currency": charge["currency"],
        "evidence": evidence,
        "evidence_details": {
            "due_by": created + 14 * 86400 - 1,
            "has_evidence": submitted,
            "past_due": False,
            "submission_count": 1 if submitted else 0,
            "enhanced_eligibility": {},
        },
        "id": dispute_id,
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "object": "dispute",
        "payment_intent": charge["payment_intent"],
        "payment_method_details": {
            "card": {
                "brand": charge["payment_method_details"]["card"]["brand"],
                "case_type": "chargeback",
                "network_reason_code": "10.4" if reason == "fraudulent" else "13.1",
                "network": charge["payment_method_details"]["card"]["network"],
            },
            "type": "card",
        },
        "reason": reason,
        "status": status,
        "enhanced_eligibility_types": [],
    }


# https://docs.stripe.com/api/credit_notes/object
def credit_note(
    note_id: str,
    line_id: str,
    number: str,
    invoice: JSONObject,
    amount: int,
    created: int,
    customer_balance_transaction: str,
) -> JSONObject:
    line = {
        "amount": amount,
        "description": "Service credit",
        "discount_amount": 0,
        "discount_amounts": [],
        "id": line_id,
        "invoice_line_item": None,
        "livemode": False,
        "object": "credit_note_line_item",
        "quantity": 1,
        "tax_rates": [],
        "type": "custom_line_item",
        "unit_amount": amount,
        "unit_amount_decimal": str(amount),
        "pretax_credit_amounts": [],
        "taxes": [],
        "metadata": {},
    }
    return {
        "amount": amount,
        "amount_shipping": 0,
        "created": created,
        "currency": invoice["currency"],
        "customer": invoice["customer"],
        "customer_balance_transaction": customer_balance_transaction,
        "discount_amount": 0,
        "discount_amounts": [],
        "effective_at": created,
        "id": note_id,
        "invoice": invoice["id"],
        "lines": {
            "data": [line],
            "has_more": False,
            "object": "list",
            "total_count": 1,
            "url": f"/v1/credit_notes/{note_id}/lines",
        },
        "livemode": False,
        "memo": "Service credit for downtime",
        "metadata": {},
        "number": number,
        "object": "credit_note",
        "out_of_band_amount": None,
        "pdf": f"https://pay.stripe.com/credit_notes/acct_1Q0sandbox/{note_id}/pdf",
        "shipping_cost": None,
        "status": "issued",
        "subtotal": amount,
        "subtotal_excluding_tax": amount,
        "total": amount,
        "total_excluding_tax": amount,
        "type": "post_payment",
        "voided_at": None,
        "pretax_credit_amounts": [],
        "total_taxes": [],
        "refunds": [],
        "post_payment_amount": amount,
        "pre_payment_amount": 0,
        "reason": "product_unsatisfactory",
        "customer_account": None,
    }


# https://docs.stripe.com/api/payouts/object
def payout(
    payout_id: str,
    amount: int,
    currency: str,
    created: int,
    arrival_date: int,
    balance_transaction: str,
    destination: str,
    paid: bool,
) -> JSONObject:
    return {
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": arrival_date,
        "automatic": True,
        "balance_transaction": balance_transaction,
        "created": created,
        "currency": currency,
        "description": "STRIPE PAYOUT",
        "destination": destination,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "id": payout_id,
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "object": "payout",
        "original_payout": None,
        "reconciliation_status": "completed" if paid else "in_progress",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": "paid" if paid else "in_transit",
        "type": "bank_account",
        "trace_id": {"status": "supported" if paid else "pending", "value": None},
        "payout_method": None,
    }
