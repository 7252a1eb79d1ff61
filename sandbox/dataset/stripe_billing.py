"""Stripe billing objects (customers, subscriptions, invoices, invoice payments), current API shape.

Each builder returns the object exactly as `GET /v1/<resource>/<id>` does, every key of
Stripe's own fixture (fixtures3.json) present. Links follow the basil API: an invoice names its
subscription under `parent.subscription_details`, and invoice payments tie invoices to intents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSONObject = dict[str, Any]

_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def address(country: str | None, city: str | None = None, line1: str | None = None) -> JSONObject:
    values: dict[str, str | None] = dict.fromkeys(_ADDRESS_KEYS)
    values.update({"country": country, "city": city, "line1": line1})
    return values


@dataclass
class CustomerFacts:
    id: str
    name: str
    email: str
    currency: str
    country: str
    city: str
    created: int
    invoice_prefix: str
    metadata: dict[str, str]
    tax_exempt: bool
    balance: int = 0
    next_invoice_sequence: int = 1
    delinquent: bool = False


# https://docs.stripe.com/api/customers/object
def customer(facts: CustomerFacts) -> JSONObject:
    return {
        "address": address(facts.country, facts.city),
        "balance": facts.balance,
        "created": facts.created,
        "currency": facts.currency,
        "default_source": None,
        "delinquent": facts.delinquent,
        "description": None,
        "discount": None,
        "email": facts.email,
        "id": facts.id,
        "invoice_prefix": facts.invoice_prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": dict(facts.metadata),
        "name": facts.name,
        "next_invoice_sequence": facts.next_invoice_sequence,
        "object": "customer",
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "exempt" if facts.tax_exempt else "none",
        "test_clock": None,
    }


@dataclass
class LineFacts:
    id: str
    description: str
    unit_amount: int
    quantity: int
    price_id: str
    product_id: str
    period_start: int
    period_end: int
    discount: int = 0
    tax: int = 0
    subscription_item: str | None = None
    invoice_item: str | None = None

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity


@dataclass
class InvoiceFacts:
    id: str
    customer: CustomerFacts
    currency: str
    created: int
    collection_method: str
    lines: list[LineFacts]
    billing_reason: str
    status: str = "draft"
    number: str | None = None
    finalized_at: int | None = None
    due_date: int | None = None
    discount_id: str | None = None
    tax_rate_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    subscription: str | None = None
    subscription_metadata: dict[str, str] | None = None
    amount_paid: int = 0
    paid_at: int | None = None
    voided_at: int | None = None
    marked_uncollectible_at: int | None = None
    attempt_count: int = 0
    post_payment_credit_notes_amount: int = 0

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def discount(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def tax(self) -> int:
        return sum(line.tax for line in self.lines)

    @property
    def total_excluding_tax(self) -> int:
        return self.subtotal - self.discount

    @property
    def total(self) -> int:
        return self.total_excluding_tax + self.tax

    @property
    def amount_remaining(self) -> int:
        if self.status in ("paid", "void"):
            return 0
        return max(0, self.total - self.amount_paid)

    @property
    def period(self) -> tuple[int, int]:
        return self.lines[0].period_start, self.lines[0].period_end


def _taxes(amount: int, taxable: int, tax_rate_id: str | None) -> list[JSONObject] | None:
    if tax_rate_id is None:
        return []
    return [
        {
            "amount": amount,
            "tax_behavior": "exclusive",
            "tax_rate_details": {"tax_rate": tax_rate_id},
            "taxability_reason": "standard_rated",
            "taxable_amount": taxable,
            "type": "tax_rate_details",
        }
    ]


def _line_parent(line: LineFacts, subscription: str | None) -> JSONObject:
    if line.subscription_item is not None:
        return {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": subscription,
                "subscription_item": line.subscription_item,
            },
            "type": "subscription_item_details",
        }
    return {
        "invoice_item_details": {
            "invoice_item": line.invoice_item,
            "proration": False,
            "proration_details": {"credited_items": None},
            "subscription": None,
        },
        "subscription_item_details": None,
        "type": "invoice_item_details",
    }


# https://docs.stripe.com/api/invoice-line-item/object
def invoice_line(invoice: InvoiceFacts, line: LineFacts) -> JSONObject:
    discounted = line.discount > 0 and invoice.discount_id is not None
    return {
        "amount": line.amount,
        "currency": invoice.currency,
        "description": line.description,
        "discount_amounts": (
            [{"amount": line.discount, "discount": invoice.discount_id}] if discounted else []
        ),
        "discountable": True,
        "discounts": [invoice.discount_id] if discounted else [],
        "id": line.id,
        "invoice": invoice.id,
        "livemode": False,
        "metadata": {},
        "object": "line_item",
        "period": {"end": line.period_end, "start": line.period_start},
        "quantity": line.quantity,
        # basil moved the subscription link under `parent`; the old key stays null.
        "subscription": None,
        "pretax_credit_amounts": [],
        "taxes": _taxes(line.tax, line.amount - line.discount, invoice.tax_rate_id),
        "parent": _line_parent(line, invoice.subscription),
        "pricing": {
            "price_details": {"price": line.price_id, "product": line.product_id},
            "type": "price_details",
            "unit_amount_decimal": str(line.unit_amount),
        },
        "subtotal": line.amount,
        "quantity_decimal": str(line.quantity),
    }


def _invoice_parent(invoice: InvoiceFacts) -> JSONObject | None:
    if invoice.subscription is None:
        return None
    return {
        "quote_details": None,
        "subscription_details": {
            "metadata": dict(invoice.subscription_metadata or {}),
            "subscription": invoice.subscription,
        },
        "type": "subscription_details",
    }


def _invoice_amounts(invoice: InvoiceFacts) -> JSONObject:
    return {
        "amount_due": invoice.total,
        "amount_paid": invoice.amount_paid,
        "amount_remaining": invoice.amount_remaining,
        "amount_shipping": 0,
        "amount_overpaid": max(0, invoice.amount_paid - invoice.total),
        "subtotal": invoice.subtotal,
        "subtotal_excluding_tax": invoice.subtotal,
        "total": invoice.total,
        "total_discount_amounts": (
            [{"amount": invoice.discount, "discount": invoice.discount_id}]
            if invoice.discount_id is not None and invoice.discount > 0
            else []
        ),
        "total_excluding_tax": invoice.total_excluding_tax,
        "total_pretax_credit_amounts": [],
        "total_taxes": _taxes(invoice.tax, invoice.total_excluding_tax, invoice.tax_rate_id),
        "post_payment_credit_notes_amount": invoice.post_payment_credit_notes_amount,
        "pre_payment_credit_notes_amount": 0,
        "starting_balance": 0,
        "ending_balance": 0 if invoice.finalized_at is not None else None,
    }


def _invoice_customer(facts: CustomerFacts) -> JSONObject:
    return {
        "customer": facts.id,
        "customer_address": address(facts.country, facts.city),
        "customer_email": facts.email,
        "customer_name": facts.name,
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "exempt" if facts.tax_exempt else "none",
        "customer_tax_ids": [],
        "customer_account": None,
    }


_PAYMENT_SETTINGS: JSONObject = {
    "default_mandate": None,
    "payment_method_options": None,
    "payment_method_types": None,
}
_RENDERING: JSONObject = {
    "amount_tax_display": None,
    "pdf": {"page_size": "auto"},
    "template": None,
    "template_version": None,
}


# https://docs.stripe.com/api/invoices/object
def invoice(facts: InvoiceFacts, lines_per_page: int = 10) -> JSONObject:
    finalized = facts.finalized_at is not None
    hosted = f"https://invoice.stripe.com/i/acct_1Q0sandbox/test_{facts.id[3:]}"
    lines = [invoice_line(facts, line) for line in facts.lines]
    body: JSONObject = {
        "account_country": "US",
        "account_name": "Revcycle Sandbox Inc.",
        "account_tax_ids": None,
        "application": None,
        "attempt_count": facts.attempt_count,
        "attempted": facts.attempt_count > 0,
        "auto_advance": facts.status in ("draft", "open"),
        "automatic_tax": {
            "enabled": False,
            "liability": None,
            "status": None,
            "disabled_reason": None,
            "provider": None,
        },
        "billing_reason": facts.billing_reason,
        "collection_method": facts.collection_method,
        "created": facts.created,
        "currency": facts.currency,
        "custom_fields": None,
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [facts.discount_id] if facts.discount_id is not None else [],
        "due_date": facts.due_date,
        "effective_at": facts.finalized_at,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": hosted if finalized else None,
        "id": facts.id,
        "invoice_pdf": f"{hosted}/pdf?s=ap" if finalized else None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "data": lines[:lines_per_page],
            "has_more": len(lines) > lines_per_page,
            "object": "list",
            "total_count": len(lines),
            "url": f"/v1/invoices/{facts.id}/lines",
        },
        "livemode": False,
        "metadata": dict(facts.metadata),
        "next_payment_attempt": None,
        "number": facts.number,
        "object": "invoice",
        "on_behalf_of": None,
        "payment_settings": dict(_PAYMENT_SETTINGS),
        "period_end": facts.period[1],
        "period_start": facts.period[0],
        "receipt_number": None,
        "rendering": dict(_RENDERING),
        "shipping_cost": None,
        "shipping_details": None,
        "statement_descriptor": None,
        "status": facts.status,
        "status_transitions": {
            "finalized_at": facts.finalized_at,
            "marked_uncollectible_at": facts.marked_uncollectible_at,
            "paid_at": facts.paid_at,
            "voided_at": facts.voided_at,
        },
        "test_clock": None,
        "webhooks_delivered_at": facts.created + 1 if finalized else None,
        "automatically_finalizes_at": facts.created + 3600 if not finalized else None,
        "parent": _invoice_parent(facts),
        "subscription": None,
    }
    body.update(_invoice_customer(facts.customer))
    body.update(_invoice_amounts(facts))
    return body


# https://docs.stripe.com/api/invoice-payment/object
def invoice_payment(
    payment_id: str,
    invoice_id: str,
    payment_intent: str,
    currency: str,
    requested: int,
    paid_at: int | None,
    created: int,
    is_default: bool,
) -> JSONObject:
    return {
        "amount_paid": requested if paid_at is not None else None,
        "amount_requested": requested,
        "created": created,
        "currency": currency,
        "id": payment_id,
        "invoice": invoice_id,
        "is_default": is_default,
        "livemode": False,
        "object": "invoice_payment",
        "payment": {"type": "payment_intent", "payment_intent": payment_intent},
        "status": "paid" if paid_at is not None else "open",
        "status_transitions": {"canceled_at": None, "paid_at": paid_at},
    }
