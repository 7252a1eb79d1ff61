"""New Stripe billing objects (customers, invoices), as the API returns them (key sets follow
fixtures3.json of stripe 16.1.0); `payments` makes the payment side.

The scenarios create payments, disputes and invoices with these; tests and the benchmark build
datasets with them. Amounts are integer minor units, times are Unix seconds.
"""

from __future__ import annotations

import time

from sandbox.emulators.stripe.collection import JSONObject
from sandbox.emulators.stripe.ids import new_id

EMPTY_ADDRESS = {
    "city": None,
    "country": None,
    "line1": None,
    "line2": None,
    "postal_code": None,
    "state": None,
}


def unix_now() -> int:
    return int(time.time())


def customer(
    *, email: str, name: str, created: int | None = None, metadata: dict[str, str] | None = None
) -> JSONObject:
    return {
        "id": new_id("cus"),
        "object": "customer",
        "address": dict(EMPTY_ADDRESS),
        "balance": 0,
        "created": created if created is not None else unix_now(),
        "currency": "usd",
        "customer_account": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": email,
        "invoice_prefix": new_id("x")[-8:].upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": metadata or {},
        "name": name,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def invoice_line(invoice_id: str, amount: int, currency: str, description: str) -> JSONObject:
    start = unix_now()
    return {
        "id": new_id("il"),
        "object": "line_item",
        "amount": amount,
        "currency": currency,
        "description": description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "parent": None,
        "period": {"end": start, "start": start},
        "pretax_credit_amounts": [],
        "pricing": {"type": "price_details", "unit_amount_decimal": str(amount)},
        "quantity": 1,
        "quantity_decimal": "1",
        "subscription": None,
        "subtotal": amount,
        "taxes": [],
    }


def invoice(
    *,
    customer_id: str,
    amount: int,
    currency: str = "usd",
    status: str = "open",
    number: str | None = None,
    created: int | None = None,
    metadata: dict[str, str] | None = None,
) -> JSONObject:
    invoice_id = new_id("in")
    created = created if created is not None else unix_now()
    paid = status == "paid"
    lines = [invoice_line(invoice_id, amount, currency, "Subscription")]
    body: JSONObject = {
        "id": invoice_id,
        "object": "invoice",
        **_invoice_parties(customer_id),
        "amount_due": amount,
        "amount_overpaid": 0,
        "amount_paid": amount if paid else 0,
        "amount_remaining": 0 if paid else amount,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 1 if paid else 0,
        "attempted": paid,
        "auto_advance": status == "open",
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": "manual",
        "collection_method": "send_invoice",
        "created": created,
        "currency": currency,
        "custom_fields": None,
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": created + 30 * 86400,
        "effective_at": None if status == "draft" else created,
        "ending_balance": None if status == "draft" else 0,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": metadata or {},
        "next_payment_attempt": None,
        "number": number,
        "on_behalf_of": None,
        "parent": None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": created,
        "period_start": created,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": status,
        "subscription": None,
        "status_transitions": {
            "finalized_at": None if status == "draft" else created,
            "marked_uncollectible_at": None,
            "paid_at": created if paid else None,
            "voided_at": None,
        },
        "subtotal": amount,
        "subtotal_excluding_tax": amount,
        "test_clock": None,
        "total": amount,
        "total_discount_amounts": [],
        "total_excluding_tax": amount,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": created,
    }
    return body


def _invoice_parties(customer_id: str) -> JSONObject:
    return {
        "account_country": "US",
        "account_name": "revcycle sandbox",
        "account_tax_ids": None,
        "customer": customer_id,
        "customer_account": None,
        "customer_address": None,
        "customer_email": None,
        "customer_name": None,
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
    }
