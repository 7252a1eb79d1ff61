"""Stripe billing objects: customers, subscriptions, invoices (with their lines) and credit notes.

Stripe sends amounts in minor units and times as epoch seconds. Payloads from the current API
(the one `fixtures3.json` shows) and from older versions are both accepted: where a field moved,
the current place is read first and the old one second.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from canonical.money import Money
from canonical.records import (
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    InvoiceStatus,
    Party,
    Record,
    Subscription,
)
from mappings.normalise import email_domain
from mappings.reader import Reader

_SUBSCRIPTION_DETAILS = ("parent", "subscription_details")
_INVOICE_STATUS = {status.value: status for status in InvoiceStatus}


def map_customer(r: Reader) -> list[Record]:
    email = r.text("email")
    currency = r.text("currency")
    return [
        Party(
            **r.lineage(),
            name=r.text("name"),
            email=email,
            domain=email_domain(email),
            currency=r.currency("currency") if currency else None,
            salesforce_account_id=r.text("metadata", "salesforce_account_id") or None,
            created_at=r.epoch("created"),
        )
    ]


def map_subscription(r: Reader) -> list[Record]:
    currency = r.text("currency")
    return [
        Subscription(
            **r.lineage(),
            party_id=r.ref("customer"),
            status=r.required_text("status"),
            currency=r.currency("currency") if currency else None,
            deal_id=r.text("metadata", "salesforce_opportunity_id") or None,
            discount_approved_by=r.text("metadata", "discount_approved_by") or None,
            created_at=r.epoch("created"),
            current_period_end=_current_period_end(r),
        )
    ]


def _current_period_end(r: Reader) -> datetime | None:
    # Since the 2025 "basil" API the period lives on each subscription item, not the subscription.
    own = r.epoch("current_period_end")
    if own is not None:
        return own
    ends = [r.nested(item, "items").epoch("current_period_end") for item in r.items("items")]
    known = [end for end in ends if end is not None]
    return max(known) if known else None


def map_invoice(r: Reader) -> list[Record]:
    currency = r.currency("currency")
    invoice = Invoice(
        **r.lineage(),
        party_id=r.ref("customer"),
        status=_invoice_status(r),
        currency=currency,
        total=r.required_minor("total", currency=currency),
        subtotal=r.minor("subtotal", currency=currency),
        discount=_sum_amounts(r, r.get("total_discount_amounts"), currency),
        tax=_invoice_tax(r, currency),
        amount_paid=r.minor("amount_paid", currency=currency),
        balance=r.minor("amount_remaining", currency=currency),
        number=r.text("number"),
        issued_on=_issued_on(r),
        due_date=r.epoch_date("due_date"),
        created_at=r.epoch("created"),
        finalized_at=r.epoch("status_transitions", "finalized_at"),
        paid_at=r.epoch("status_transitions", "paid_at"),
        subscription_id=r.ref(*_SUBSCRIPTION_DETAILS, "subscription") or r.ref("subscription"),
        deal_id=_metadata(r, "salesforce_opportunity_id"),
        discount_approved_by=_metadata(r, "discount_approved_by"),
        attempt_count=r.integer("attempt_count") or 0,
        lines=tuple(_invoice_line(r.nested(line, "lines"), currency) for line in r.items("lines")),
    )
    return [invoice, *_legacy_invoice_payment(r, invoice)]


def _invoice_status(r: Reader) -> InvoiceStatus:
    status = r.text("status")
    if status is not None:
        known = _INVOICE_STATUS.get(status)
        if known is None:
            r.fail(f"unknown invoice status {status!r}", field="status")
        return known
    # The API documents `status` as nullable; the transitions say where the invoice got to.
    for key, inferred in (
        ("voided_at", InvoiceStatus.VOID),
        ("paid_at", InvoiceStatus.PAID),
        ("marked_uncollectible_at", InvoiceStatus.UNCOLLECTIBLE),
        ("finalized_at", InvoiceStatus.OPEN),
    ):
        if r.get("status_transitions", key) is not None:
            return inferred
    return InvoiceStatus.DRAFT


def _issued_on(r: Reader) -> date | None:
    # `effective_at` is the date printed on the invoice; older payloads only have the finalisation.
    moment = r.epoch("effective_at") or r.epoch("status_transitions", "finalized_at")
    return None if moment is None else moment.date()


def _invoice_tax(r: Reader, currency: str) -> Money | None:
    # The current API lists `total_taxes`; before "basil" it was `total_tax_amounts`, and before
    # that a single `tax` integer. Whichever the payload has, in that order.
    for key in ("total_taxes", "total_tax_amounts"):
        found = _sum_amounts(r, r.get(key), currency)
        if found is not None:
            return found
    return r.minor("tax", currency=currency)


def _sum_amounts(r: Reader, entries: object, currency: str) -> Money | None:
    """The sum of `[{"amount": …}, …]`, zero for an empty list, `None` when the list is absent."""
    if not isinstance(entries, list):
        return None
    total = Money.zero(currency)
    for entry in entries:
        if isinstance(entry, Mapping):
            amount = r.nested(entry, "amounts").minor("amount", currency=currency)
            total = total + (amount or Money.zero(currency))
    return total


def _metadata(r: Reader, key: str) -> str | None:
    # The invoice's own metadata first, then the subscription's snapshot the invoice carries.
    return r.text("metadata", key) or r.text(*_SUBSCRIPTION_DETAILS, "metadata", key) or None


def _invoice_line(r: Reader, currency: str) -> InvoiceLine:
    line_currency = r.text("currency")
    if line_currency is not None and r.currency("currency") != currency:
        r.fail(f"line currency {line_currency!r} differs from the invoice's {currency}")
    return InvoiceLine(
        line_id=r.required_text("id"),
        description=r.text("description"),
        quantity=_line_quantity(r),
        amount=r.required_minor("amount", currency=currency),
        unit_amount=_unit_amount(r, currency),
        discount=_sum_amounts(r, r.get("discount_amounts"), currency),
        tax=_line_tax(r, currency),
    )


def _line_quantity(r: Reader) -> Decimal | None:
    quantity = r.quantity("quantity_decimal")
    return r.quantity("quantity") if quantity is None else quantity


def _line_tax(r: Reader, currency: str) -> Money | None:
    # `taxes` since "basil", `tax_amounts` before.
    tax = _sum_amounts(r, r.get("taxes"), currency)
    return _sum_amounts(r, r.get("tax_amounts"), currency) if tax is None else tax


def _unit_amount(r: Reader, currency: str) -> Money | None:
    # `unit_amount_decimal` may hold fractions of a minor unit (metered prices): that is a rate, not
    # an amount owed, so it is kept only when it is a whole number of minor units.
    text = r.get("pricing", "unit_amount_decimal")
    if type(text) is str and text.isascii() and text.isdigit():
        return Money(int(text), currency)  # the usual whole count, without a Decimal
    decimal = r.quantity("pricing", "unit_amount_decimal")
    if decimal is None:
        decimal = r.quantity("price", "unit_amount_decimal")
    if decimal is not None:
        return Money(int(decimal), currency) if decimal == decimal.to_integral_value() else None
    return r.minor("price", "unit_amount", currency=currency)


def _legacy_invoice_payment(r: Reader, invoice: Invoice) -> Iterable[Record]:
    """Before "basil", an invoice named its charge; keep that link as an invoice payment.

    Its id joins the two ids, since Stripe never gave that link an id of its own.
    """
    charge_id = r.ref("charge")
    if charge_id is None:
        return []
    paid = invoice.amount_paid or Money.zero(invoice.currency)
    lineage = r.lineage()
    lineage["source_id"] = f"{invoice.source_id}:{charge_id}"
    return [
        InvoicePayment(
            **lineage,
            invoice_id=invoice.source_id,
            amount_paid=paid,
            status="paid" if invoice.status is InvoiceStatus.PAID else "open",
            payment_intent_id=r.ref("payment_intent"),
            charge_id=charge_id,
            created_at=invoice.created_at,
        )
    ]


def map_credit_note(r: Reader) -> list[Record]:
    currency = r.currency("currency")
    amount = r.minor("amount", currency=currency)
    if amount is None:
        amount = r.required_minor("total", currency=currency)
    return [
        CreditNote(
            **r.lineage(),
            amount=amount,
            status=r.text("status"),
            invoice_id=r.ref("invoice"),
            party_id=r.ref("customer"),
            number=r.text("number"),
            private_note=r.text("memo"),
            created_at=r.epoch("created"),
            txn_date=_credit_note_date(r),
        )
    ]


def _credit_note_date(r: Reader) -> date | None:
    moment = r.epoch("effective_at") or r.epoch("created")
    return None if moment is None else moment.date()
