"""Stripe money movement: payment intents, charges, refunds, disputes, credit notes, balance
transactions and payouts, in the current API shape (no `invoice` on charges or intents)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.dataset.stripe_billing import address

JSONObject = dict[str, Any]


@dataclass(frozen=True)
class Decline:
    """A card decline as Stripe reports it: error code, issuer decline code, customer message."""

    failure_code: str
    decline_code: str
    message: str
    outcome_type: str = "issuer_declined"


DECLINES: tuple[Decline, ...] = (
    Decline("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    Decline("card_declined", "do_not_honor", "Your card was declined."),
    Decline("card_declined", "generic_decline", "Your card was declined."),
    Decline("expired_card", "expired_card", "Your card has expired."),
    Decline("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
)


@dataclass
class ChargeFacts:
    id: str
    payment_intent: str
    customer: str
    amount: int
    currency: str
    created: int
    description: str
    card_last4: str
    card_brand: str
    country: str
    balance_transaction: str | None = None
    decline: Decline | None = None
    amount_refunded: int = 0
    disputed: bool = False

    @property
    def succeeded(self) -> bool:
        return self.decline is None


def _outcome(decline: Decline | None) -> JSONObject:
    if decline is None:
        return {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return {
        "advice_code": "try_again_later" if decline.decline_code == "insufficient_funds" else None,
        "network_advice_code": None,
        "network_decline_code": "51" if decline.decline_code == "insufficient_funds" else "05",
        "network_status": "declined_by_network",
        "reason": decline.decline_code,
        "risk_level": "normal",
        "seller_message": f"The bank returned the decline code `{decline.decline_code}`.",
        "type": decline.outcome_type,
    }


def _card_details(facts: ChargeFacts) -> JSONObject:
    return {
        "card": {
            "amount_authorized": facts.amount if facts.succeeded else None,
            "brand": facts.card_brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": facts.country,
            "exp_month": 8,
            "exp_year": 2030,
            "extended_authorization": {"status": "disabled"},
            "fingerprint": f"fp{facts.customer[-14:]}",
            "funding": "credit",
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "last4": facts.card_last4,
            "mandate": None,
            "multicapture": {"status": "unavailable"},
            "network": facts.card_brand,
            "network_token": {"used": False},
            "overcapture": {"maximum_amount_capturable": facts.amount, "status": "unavailable"},
            "three_d_secure": None,
            "wallet": None,
            "authorization_code": None,
            "regulated_status": "unregulated",
            "network_transaction_id": None,
            "transaction_link_id": None,
        },
        "type": "card",
    }


# https://docs.stripe.com/api/charges/object
def charge(facts: ChargeFacts, refunds: list[JSONObject]) -> JSONObject:
    ok = facts.succeeded
    return {
        "amount": facts.amount,
        "amount_captured": facts.amount if ok else 0,
        "amount_refunded": facts.amount_refunded,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": facts.balance_transaction,
        "billing_details": {
            "address": address(facts.country),
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "REVCYCLE SANDBOX",
        "captured": ok,
        "created": facts.created,
        "currency": facts.currency,
        "customer": facts.customer,
        "description": facts.description,
        "disputed": facts.disputed,
        "failure_balance_transaction": None,
        "failure_code": None if facts.decline is None else facts.decline.failure_code,
        "failure_message": None if facts.decline is None else facts.decline.message,
        "fraud_details": {},
        "id": facts.id,
        "livemode": False,
        "metadata": {},
        "object": "charge",
        "on_behalf_of": None,
        "outcome": _outcome(facts.decline),
        "paid": ok,
        "payment_intent": facts.payment_intent,
        "payment_method": f"pm_{facts.customer[4:]}",
        "payment_method_details": _card_details(facts),
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/payment/{facts.id}" if ok else None,
        "refunded": ok and facts.amount_refunded == facts.amount,
        "refunds": {
            "data": refunds,
            "has_more": False,
            "object": "list",
            "total_count": len(refunds),
            "url": f"/v1/charges/{facts.id}/refunds",
        },
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if ok else "failed",
        "transfer_data": None,
        "transfer_group": None,
        "source": None,
    }


@dataclass
class IntentFacts:
    id: str
    customer: str
    amount: int
    currency: str
    created: int
    description: str
    charges: list[ChargeFacts]
    metadata: dict[str, str]


def _last_payment_error(facts: IntentFacts) -> JSONObject | None:
    last = facts.charges[-1] if facts.charges else None
    if last is None or last.decline is None:
        return None
    return {
        "charge": last.id,
        "code": last.decline.failure_code,
        "decline_code": last.decline.decline_code,
        "doc_url": f"https://stripe.com/docs/error-codes/{last.decline.failure_code}",
        "message": last.decline.message,
        "type": "card_error",
    }


# https://docs.stripe.com/api/payment_intents/object
def payment_intent(facts: IntentFacts) -> JSONObject:
    succeeded = any(item.succeeded for item in facts.charges)
    latest = facts.charges[-1].id if facts.charges else None
    return {
        "amount": facts.amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": facts.amount if succeeded else 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{facts.id}_secret_{facts.id[-12:]}",
        "confirmation_method": "automatic",
        "created": facts.created,
        "currency": facts.currency,
        "customer": facts.customer,
        "description": facts.description,
        "id": facts.id,
        "last_payment_error": None if succeeded else _last_payment_error(facts),
        "latest_charge": latest,
        "livemode": False,
        "metadata": dict(facts.metadata),
        "next_action": None,
        "object": "payment_intent",
        "on_behalf_of": None,
        "payment_method": f"pm_{facts.customer[4:]}" if facts.charges else None,
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": "off_session",
        "shipping": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if succeeded else "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
        "source": None,
        "excluded_payment_method_types": None,
        "customer_account": None,
        "managed_payments": {"enabled": False},
    }


# https://docs.stripe.com/api/refunds/object
def refund(
    refund_id: str,
    charge_facts: ChargeFacts,
    amount: int,
    created: int,
    balance_transaction: str,
    reason: str,
) -> JSONObject:
    return {
        "amount": amount,
        "balance_transaction": balance_transaction,
        "charge": charge_facts.id,
        "created": created,
        "currency": charge_facts.currency,
        "destination_details": {
            "card": {
                "reference": None,
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "id": refund_id,
        "metadata": {},
        "object": "refund",
        "payment_intent": charge_facts.payment_intent,
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
        "customer": charge_facts.customer,
        "customer_account": None,
        "payment_method": f"pm_{charge_facts.customer[4:]}",
    }
