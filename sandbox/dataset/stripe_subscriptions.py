"""Stripe subscriptions, current API shape (every key of fixtures3.json's subscription)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSONObject = dict[str, Any]


@dataclass
class SubscriptionFacts:
    id: str
    customer: str
    currency: str
    created: int
    interval: str  # "month" or "year"
    item_id: str
    price_id: str
    product_id: str
    unit_amount: int
    quantity: int
    current_period_start: int
    current_period_end: int
    status: str = "active"
    canceled_at: int | None = None
    ended_at: int | None = None
    latest_invoice: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    collection_method: str = "charge_automatically"
    days_until_due: int | None = None


def _price(facts: SubscriptionFacts) -> JSONObject:
    return {
        "active": True,
        "billing_scheme": "per_unit",
        "created": facts.created - 86400,
        "currency": facts.currency,
        "custom_unit_amount": None,
        "id": facts.price_id,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "object": "price",
        "product": facts.product_id,
        "recurring": {
            "interval": facts.interval,
            "interval_count": 1,
            "meter": None,
            "usage_type": "licensed",
            "trial_period_days": None,
        },
        "tax_behavior": "exclusive",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring",
        "unit_amount": facts.unit_amount,
        "unit_amount_decimal": str(facts.unit_amount),
    }


def _plan(facts: SubscriptionFacts) -> JSONObject:
    return {
        "active": True,
        "amount": facts.unit_amount,
        "amount_decimal": str(facts.unit_amount),
        "billing_scheme": "per_unit",
        "created": facts.created - 86400,
        "currency": facts.currency,
        "id": facts.price_id,
        "interval": facts.interval,
        "interval_count": 1,
        "livemode": False,
        "metadata": {},
        "meter": None,
        "nickname": None,
        "object": "plan",
        "product": facts.product_id,
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def _subscription_item(facts: SubscriptionFacts) -> JSONObject:
    return {
        "created": facts.created,
        "discounts": [],
        "id": facts.item_id,
        "metadata": {},
        "object": "subscription_item",
        "price": _price(facts),
        "quantity": facts.quantity,
        "subscription": facts.id,
        "tax_rates": [],
        "plan": _plan(facts),
        "current_period_end": facts.current_period_end,
        "current_period_start": facts.current_period_start,
        "billing_thresholds": None,
    }


# https://docs.stripe.com/api/subscriptions/object
def subscription(facts: SubscriptionFacts) -> JSONObject:
    return {
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"enabled": False, "liability": None, "disabled_reason": None},
        "billing_cycle_anchor": facts.created,
        "billing_cycle_anchor_config": None,
        "cancel_at": None,
        "canceled_at": facts.canceled_at,
        "cancellation_details": {
            "comment": None,
            "feedback": None,
            "reason": "payment_failed" if facts.canceled_at is not None else None,
        },
        "collection_method": facts.collection_method,
        "created": facts.created,
        "currency": facts.currency,
        "customer": facts.customer,
        "days_until_due": facts.days_until_due,
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "ended_at": facts.ended_at,
        "id": facts.id,
        "invoice_settings": {
            "account_tax_ids": None,
            "issuer": {"type": "self"},
            "custom_fields": None,
            "description": None,
            "footer": None,
        },
        "items": {
            "data": [_subscription_item(facts)],
            "has_more": False,
            "object": "list",
            "total_count": 1,
            "url": f"/v1/subscription_items?subscription={facts.id}",
        },
        "latest_invoice": facts.latest_invoice,
        "livemode": False,
        "metadata": dict(facts.metadata),
        "next_pending_invoice_item_invoice": None,
        "object": "subscription",
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": facts.created,
        "status": facts.status,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
        "cancel_at_period_end": False,
        "billing_thresholds": None,
        "billing_mode": {"type": "classic", "flexible": None},
        "customer_account": None,
        "managed_payments": {"enabled": False},
        "billing_schedules": [],
    }
