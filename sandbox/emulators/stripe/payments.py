"""New Stripe payment objects (payment intents, charges, balance transactions, invoice payments,
disputes), as the API returns them; key sets follow fixtures3.json of stripe 16.1.0."""

from __future__ import annotations

from typing import Any

from sandbox import stripe_shapes
from sandbox.emulators.stripe.collection import JSONObject
from sandbox.emulators.stripe.ids import new_id
from sandbox.emulators.stripe.objects import EMPTY_ADDRESS, unix_now
from sandbox.stripe_shapes import DISPUTE_EVIDENCE_KEYS


def payment_intent(*, customer_id: str | None, amount: int, currency: str) -> JSONObject:
    created = unix_now()
    return {
        "id": new_id("pi"),
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": None,
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": customer_id,
        "customer_account": None,
        "description": None,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": "pm_card_visa",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }


# Real decline codes and the messages Stripe gives them.
DECLINES: dict[str, str] = {
    "insufficient_funds": "Your card has insufficient funds.",
    "card_declined": "Your card was declined.",
    "expired_card": "Your card has expired.",
}


def charge(
    *,
    customer_id: str | None,
    amount: int,
    currency: str,
    payment_intent_id: str | None,
    decline_code: str | None = None,
    balance_transaction_id: str | None = None,
) -> JSONObject:
    failed = decline_code is not None
    charge_id = new_id("ch")
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": 0 if failed else amount,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": balance_transaction_id,
        "billing_details": {
            "address": dict(EMPTY_ADDRESS),
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "REVCYCLE SANDBOX",
        "captured": not failed,
        "created": unix_now(),
        "currency": currency,
        "customer": customer_id,
        "description": None,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": _failure_code(decline_code),
        "failure_message": DECLINES.get(decline_code or "", None),
        "fraud_details": {},
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
        "outcome": _outcome(decline_code),
        "paid": not failed,
        "payment_intent": payment_intent_id,
        "payment_method": "pm_card_visa",
        "payment_method_details": {"card": _card_details(), "type": "card"},
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/charges/{charge_id}/refunds",
        },
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "failed" if failed else "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }


def _failure_code(decline_code: str | None) -> str | None:
    # Stripe reports most issuer declines as `card_declined`, with the reason in `outcome`.
    if decline_code is None:
        return None
    return decline_code if decline_code == "expired_card" else "card_declined"


def _outcome(decline_code: str | None) -> JSONObject:
    if decline_code is None:
        return {**_OUTCOME, "network_status": "approved_by_network", "type": "authorized"}
    return {
        **_OUTCOME,
        "advice_code": "try_again_later",
        "network_status": "declined_by_network",
        "reason": decline_code,
        "seller_message": f"The bank returned the decline code `{decline_code}`.",
        "type": "issuer_declined",
    }


_OUTCOME: JSONObject = {
    "advice_code": None,
    "network_advice_code": None,
    "network_decline_code": None,
    "reason": None,
    "risk_level": "normal",
    "seller_message": "Payment complete.",
}


def _card_details() -> JSONObject:
    return {
        "brand": "visa",
        "country": "US",
        "exp_month": 12,
        "exp_year": 2034,
        "fingerprint": "sandboxFingerprnt",
        "funding": "credit",
        "last4": "4242",
        "network": "visa",
    }


def balance_transaction(*, source_id: str, amount: int, currency: str, kind: str) -> JSONObject:
    """A pending balance transaction for a movement made just now; Stripe's fee on charges only."""
    created = unix_now()
    fee = (amount * 29 + 999) // 1000 + (30 if currency not in ("jpy", "krw") else 0)
    return stripe_shapes.balance_transaction(
        txn_id=new_id("txn"),
        amount=amount,
        fee=fee if kind == "charge" else 0,
        currency=currency,
        created=created,
        available_on=created + 2 * 86400,
        source=source_id,
        kind=kind,
        description=None,
        pending=True,
    )


def invoice_payment(
    *, invoice_id: str, amount: int, currency: str, payment_intent_id: str
) -> JSONObject:
    paid_at = unix_now()
    return {
        "id": new_id("inpay"),
        "object": "invoice_payment",
        "amount_paid": amount,
        "amount_requested": amount,
        "created": paid_at,
        "currency": currency,
        "invoice": invoice_id,
        "is_default": True,
        "livemode": False,
        "payment": {"type": "payment_intent", "payment_intent": payment_intent_id},
        "status": "paid",
        "status_transitions": {"canceled_at": None, "paid_at": paid_at},
    }


def dispute(*, charge_obj: JSONObject, reason: str = "fraudulent") -> JSONObject:
    created = unix_now()
    evidence: dict[str, Any] = dict.fromkeys(DISPUTE_EVIDENCE_KEYS)
    evidence["enhanced_evidence"] = {}
    return {
        "id": new_id("dp"),
        "object": "dispute",
        "amount": charge_obj["amount"],
        "balance_transactions": [],
        "charge": charge_obj["id"],
        "created": created,
        "currency": charge_obj["currency"],
        "enhanced_eligibility_types": [],
        "evidence": evidence,
        "evidence_details": {
            "due_by": created + 7 * 86400,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge_obj.get("payment_intent"),
        "payment_method_details": {
            "card": {"brand": "visa", "case_type": "chargeback", "network_reason_code": "10.4"},
            "type": "card",
        },
        "reason": reason,
        "status": "needs_response",
    }
