"""Edge-case tables: exponents, partial payments, voids, deletions, missing fields, precision."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from canonical.errors import MoneyError
from canonical.money import Money
from canonical.records import (
    Allocation,
    Deal,
    Invoice,
    InvoicePayment,
    InvoiceStatus,
    Payment,
    PaymentKind,
)
from mappings import MappingError, map_payload
from tests.mappings.helpers import READ_AT, recorded, stripe_fixture

EVENT_TIME = datetime(2026, 2, 27, 8, 30, tzinfo=UTC)


def one(source: str, obj: str, payload: dict[str, Any], **kw: Any) -> Any:
    (record,) = map_payload(source, obj, payload, read_at=READ_AT, **kw)
    return record


def stripe_invoice(**changes: Any) -> dict[str, Any]:
    payload = stripe_fixture("invoice")
    payload.update(changes)
    return payload


@pytest.mark.parametrize(
    ("currency", "minor", "expected"),
    [
        ("jpy", 1500, Money(1500, "JPY")),
        ("kwd", 12345, Money(12345, "KWD")),
        ("usd", 1050, Money(1050, "USD")),
    ],
)
def test_stripe_minor_units_keep_their_currency(currency: str, minor: int, expected: Money) -> None:
    invoice = one("stripe", "invoice", stripe_invoice(currency=currency, total=minor, lines=[]))
    assert invoice.total == expected
    assert invoice.total.to_decimal() == expected.to_decimal()


@pytest.mark.parametrize(
    ("currency", "total", "expected"),
    [
        ("KWD", 12.345, Money(12345, "KWD")),
        ("KWD", Decimal("12.345"), Money(12345, "KWD")),
        ("JPY", 1500, Money(1500, "JPY")),
        ("JPY", Decimal("1500"), Money(1500, "JPY")),
        ("USD", 0.1, Money(10, "USD")),
        ("USD", 1494.45, Money(149445, "USD")),
        ("EUR", "19.99", Money(1999, "EUR")),
    ],
)
def test_qbo_decimal_amounts_are_exact(currency: str, total: Any, expected: Money) -> None:
    payload = {"Id": "9", "TotalAmt": total, "Balance": 0, "CurrencyRef": {"value": currency}}
    assert one("quickbooks", "Invoice", payload).total == expected


@pytest.mark.parametrize(
    ("currency", "total"),
    [("JPY", 1500.5), ("USD", 10.005), ("USD", Decimal("10.005")), ("KWD", Decimal("1.2345"))],
)
def test_excess_precision_is_a_mapping_error_carrying_the_money_error(
    currency: str, total: Any
) -> None:
    payload = {"Id": "9", "TotalAmt": total, "CurrencyRef": {"value": currency}}
    with pytest.raises(MappingError) as caught:
        map_payload("quickbooks", "Invoice", payload, read_at=READ_AT)
    assert caught.value.field == "TotalAmt"
    assert caught.value.id == "9"
    assert isinstance(caught.value.cause, MoneyError)
    assert isinstance(caught.value.__cause__, MoneyError)


def test_sf_excess_precision_is_a_mapping_error() -> None:
    payload = recorded("salesforce", "Opportunity")
    payload["Amount"] = 100.001
    with pytest.raises(MappingError, match="Amount"):
        map_payload("salesforce", "Opportunity", payload, read_at=READ_AT)


@pytest.mark.parametrize(
    ("total", "balance", "note", "status"),
    [
        (100, 100, None, InvoiceStatus.OPEN),
        (100, 40, None, InvoiceStatus.OPEN),  # partial payment
        (100, 0, None, InvoiceStatus.PAID),
        (100, None, None, InvoiceStatus.OPEN),  # no balance: unpaid until shown paid
        (0, 0, "Voided", InvoiceStatus.VOID),
        (0, 0, "Voided - duplicate of 1041", InvoiceStatus.VOID),
        (0, 0, None, InvoiceStatus.PAID),  # a zero invoice nobody voided
        (100, 100, "Voided", InvoiceStatus.OPEN),  # a memo alone does not void money
    ],
)
def test_qbo_invoice_status_rule(
    total: int, balance: int | None, note: str | None, status: InvoiceStatus
) -> None:
    payload: dict[str, Any] = {"Id": "7", "TotalAmt": total, "PrivateNote": note}
    if balance is not None:
        payload["Balance"] = balance
    assert one("quickbooks", "Invoice", payload).status is status


@pytest.mark.parametrize(
    ("changes", "status", "paid", "balance"),
    [
        ({"status": "open", "amount_paid": 400, "amount_remaining": 600}, "open", 400, 600),
        ({"status": "paid", "amount_paid": 1000, "amount_remaining": 0}, "paid", 1000, 0),
        ({"status": "void", "amount_paid": 0, "amount_remaining": 0}, "void", 0, 0),
        ({"status": "uncollectible"}, "uncollectible", 0, 1000),
        ({"status": None, "status_transitions": {"voided_at": 1700000000}}, "void", 0, 1000),
        ({"status": None, "status_transitions": {"paid_at": 1700000000}}, "paid", 0, 1000),
        ({"status": None, "status_transitions": {"finalized_at": 1700000000}}, "open", 0, 1000),
        ({"status": None, "status_transitions": None}, "draft", 0, 1000),
    ],
)
def test_stripe_invoice_status_and_partial_payment(
    changes: dict[str, Any], status: str, paid: int, balance: int
) -> None:
    invoice = one("stripe", "invoice", stripe_invoice(**changes))
    assert invoice.status is InvoiceStatus(status)
    assert invoice.amount_paid == Money(paid, "USD")
    assert invoice.balance == Money(balance, "USD")


def test_stripe_multi_line_invoice_with_discount_and_current_taxes() -> None:
    payload = stripe_invoice(
        subtotal=3000,
        total=2970,
        total_discount_amounts=[{"amount": 300, "discount": "di_1"}],
        total_taxes=[
            {"amount": 200, "tax_behavior": "exclusive", "taxability_reason": "standard_rated"},
            {"amount": 70, "tax_behavior": "exclusive", "taxability_reason": "standard_rated"},
        ],
        metadata={"salesforce_opportunity_id": "006Dn00000Xy9ZaIAJ", "discount_approved_by": "cfo"},
        lines={
            "object": "list",
            "data": [
                {
                    "id": "il_a",
                    "amount": 2000,
                    "currency": "usd",
                    "quantity": 2,
                    "pricing": {"type": "price_details", "unit_amount_decimal": "1000"},
                    "discount_amounts": [{"amount": 200, "discount": "di_1"}],
                    "taxes": [{"amount": 180}],
                },
                {
                    "id": "il_b",
                    "amount": 1000,
                    "currency": "usd",
                    "quantity": 1,
                    "pricing": {"type": "price_details", "unit_amount_decimal": "999.5"},
                    "discount_amounts": [{"amount": 100, "discount": "di_1"}],
                    "taxes": [{"amount": 90}],
                },
            ],
        },
    )
    invoice = one("stripe", "invoice", payload)
    assert invoice.discount == Money(300, "USD")
    assert invoice.tax == Money(270, "USD")
    assert invoice.deal_id == "006Dn00000Xy9ZaIAJ"
    assert invoice.discount_approved_by == "cfo"
    first, second = invoice.lines
    assert (first.discount, first.tax, first.unit_amount) == (
        Money(200, "USD"),
        Money(180, "USD"),
        Money(1000, "USD"),
    )
    assert second.unit_amount is None  # a fractional-cent rate is not an amount owed
    assert second.quantity == Decimal(1)


def test_stripe_older_invoice_shapes_tax_amounts_and_subscription() -> None:
    payload = stripe_invoice(
        parent=None,
        subscription="sub_old",
        total_taxes=None,
        total_tax_amounts=[{"amount": 55, "inclusive": False, "tax_rate": "txr_1"}],
    )
    invoice = one("stripe", "invoice", payload)
    assert invoice.tax == Money(55, "USD")
    assert invoice.subscription_id == "sub_old"


def stripe_line(**fields: Any) -> dict[str, Any]:
    return {"id": "il_1", "amount": 1000, "currency": "usd", **fields}


@pytest.mark.parametrize(
    ("pricing", "unit_amount"),
    [
        ({"unit_amount_decimal": "1000"}, 1000),
        ({"unit_amount_decimal": "0007"}, 7),
        ({"unit_amount_decimal": "12.0"}, 12),
        ({"unit_amount_decimal": "-5"}, -5),
        ({"unit_amount_decimal": "\u0661\u0662"}, 12),  # Arabic-Indic digits, as Decimal reads them
        ({"unit_amount_decimal": "12.5"}, None),
        ({"unit_amount_decimal": None}, None),
        (None, None),
    ],
)
def test_stripe_line_unit_amount_is_a_whole_number_of_minor_units_or_none(
    pricing: dict[str, Any] | None, unit_amount: int | None
) -> None:
    payload = stripe_invoice(lines={"data": [stripe_line(pricing=pricing)], "has_more": False})
    (line,) = one("stripe", "invoice", payload).lines
    assert line.unit_amount == (None if unit_amount is None else Money(unit_amount, "USD"))


def test_stripe_line_unit_amount_that_is_not_a_number_is_a_mapping_error() -> None:
    payload = stripe_invoice(
        lines={"data": [stripe_line(pricing={"unit_amount_decimal": "ten"})], "has_more": False}
    )
    with pytest.raises(MappingError, match="unit_amount_decimal"):
        map_payload("stripe", "invoice", payload, read_at=READ_AT)


@pytest.mark.parametrize(
    ("fields", "quantity", "tax"),
    [
        ({"quantity_decimal": "2.5", "quantity": 3, "taxes": [{"amount": 7}]}, Decimal("2.5"), 7),
        ({"quantity": 3, "taxes": None, "tax_amounts": [{"amount": 9}]}, Decimal(3), 9),
        ({"taxes": [], "tax_amounts": [{"amount": 9}]}, None, 0),
        ({}, None, None),
    ],
)
def test_stripe_line_quantity_and_tax_fall_back_to_the_older_fields(
    fields: dict[str, Any], quantity: Decimal | None, tax: int | None
) -> None:
    payload = stripe_invoice(lines={"data": [stripe_line(**fields)], "has_more": False})
    (line,) = one("stripe", "invoice", payload).lines
    assert line.quantity == quantity
    assert line.tax == (None if tax is None else Money(tax, "USD"))


@pytest.mark.parametrize("parent", [None, "in_parent", [], {"subscription_details": None}])
def test_stripe_invoice_path_through_a_null_or_non_object_reads_as_absent(parent: Any) -> None:
    invoice = one("stripe", "invoice", stripe_invoice(parent=parent, subscription="sub_own"))
    assert invoice.subscription_id == "sub_own"
    assert invoice.deal_id is None


def test_stripe_unknown_invoice_status_is_a_mapping_error_naming_the_field() -> None:
    with pytest.raises(MappingError, match="unknown invoice status 'sent'") as raised:
        map_payload("stripe", "invoice", stripe_invoice(status="sent"), read_at=READ_AT)
    assert raised.value.field == "status"


def test_stripe_expanded_customer_object_maps_to_its_id() -> None:
    invoice = one("stripe", "invoice", stripe_invoice(customer={"id": "cus_x", "object": "c"}))
    assert invoice.party_id == "cus_x"


def test_stripe_legacy_invoice_charge_becomes_an_invoice_payment() -> None:
    payload = stripe_invoice(
        status="paid", amount_paid=1000, charge="ch_old", payment_intent="pi_o"
    )
    invoice, link = map_payload("stripe", "invoice", payload, read_at=READ_AT)
    assert isinstance(invoice, Invoice)
    assert isinstance(link, InvoicePayment)
    assert (link.invoice_id, link.charge_id, link.payment_intent_id) == (
        invoice.source_id,
        "ch_old",
        "pi_o",
    )
    assert link.amount_paid == Money(1000, "USD")


@pytest.mark.parametrize(
    ("fixture", "obj"), [("charge", "charge"), ("payment_intent", "payment_intent")]
)
def test_stripe_legacy_charge_invoice_becomes_an_allocation(fixture: str, obj: str) -> None:
    payload = stripe_fixture(fixture)
    payload["invoice"] = "in_old"
    payment = one("stripe", obj, payload)
    assert payment.allocations == (Allocation(invoice_id="in_old", amount=payment.amount),)


@pytest.mark.parametrize(
    ("source", "obj", "payload", "kind"),
    [
        ("stripe", "charge", {"id": "ch_1", "object": "charge", "deleted": True}, "charge"),
        ("stripe", "subscriptions", {"id": "sub_1", "deleted": True}, "subscription"),
        ("quickbooks", "Invoice", {"Id": "239", "status": "Deleted"}, "invoice"),
        ("quickbooks", "Payment", {"Id": "251", "status": "Deleted"}, "payment"),
        ("quickbooks", "JournalEntry", {"Id": "301", "status": "Deleted"}, "entry"),
    ],
)
def test_deleted_objects_map_to_deleted_records(
    source: str, obj: str, payload: dict[str, Any], kind: str
) -> None:
    record = one(source, obj, payload)
    assert record.deleted
    assert record.source_id == payload.get("id", payload.get("Id"))
    if isinstance(record, Payment):
        expected = PaymentKind.CHARGE if source == "stripe" else PaymentKind.LEDGER_PAYMENT
        assert record.kind is expected


def test_qbo_cdc_deletion_keeps_its_last_updated_time_as_version() -> None:
    payload = {
        "Id": "239",
        "status": "Deleted",
        "MetaData": {"LastUpdatedTime": "2026-02-11T09:00:00-08:00"},
    }
    assert one("quickbooks", "Invoice", payload).version == datetime(2026, 2, 11, 17, tzinfo=UTC)


def test_sf_is_deleted_record_keeps_its_content() -> None:
    payload = recorded("salesforce", "Opportunity")
    payload["IsDeleted"] = True
    deal = one("salesforce", "Opportunity", payload)
    assert isinstance(deal, Deal)
    assert deal.deleted
    assert deal.amount == Money(1845000, "USD")


@pytest.mark.parametrize(
    ("source", "obj", "payload"),
    [
        ("stripe", "invoices", {"id": "in_1", "currency": "eur", "total": 0}),
        ("stripe", "charges", {"id": "ch_1", "currency": "jpy", "amount": 5}),
        ("stripe", "customers", {"id": "cus_1"}),
        ("quickbooks", "Invoice", {"Id": "1", "TotalAmt": 5}),
        ("quickbooks", "Payment", {"Id": "1", "TotalAmt": 5}),
        ("quickbooks", "Customer", {"Id": "1"}),
        ("salesforce", "Opportunity", {"Id": "006000000000001AAA"}),
        ("salesforce", "Account", {"Id": "001000000000001AAA"}),
        ("salesforce", "Lead", {"Id": "00Q000000000001AAA", "IsConverted": None}),
    ],
)
def test_missing_optional_fields_never_raise(
    source: str, obj: str, payload: dict[str, Any]
) -> None:
    record = one(source, obj, payload)
    assert record.source_id == payload.get("id", payload.get("Id"))


def test_sf_opportunity_without_currency_field_is_usd() -> None:
    payload = recorded("salesforce", "Opportunity")
    del payload["CurrencyIsoCode"]
    assert one("salesforce", "Opportunity", payload).amount == Money(1845000, "USD")


@pytest.mark.parametrize(
    ("source", "obj", "payload", "field"),
    [
        ("stripe", "invoices", {"currency": "usd", "total": 1}, "id"),
        ("stripe", "invoices", {"id": "in_1", "total": 1}, "currency"),
        ("stripe", "invoices", {"id": "in_1", "currency": "usd"}, "total"),
        ("stripe", "charges", {"id": "ch_1", "currency": "usd", "amount": None}, "amount"),
        ("stripe", "refunds", {"id": "re_1", "currency": "usd", "amount": 5}, "status"),
        ("quickbooks", "Payment", {"Id": "1"}, "TotalAmt"),
        ("quickbooks", "Invoice", {"TotalAmt": 1}, "Id"),
        ("salesforce", "OpportunityLineItem", {"Id": "00k000000000001AAA"}, "OpportunityId"),
    ],
)
def test_missing_required_field_names_field_and_id(
    source: str, obj: str, payload: dict[str, Any], field: str
) -> None:
    with pytest.raises(MappingError) as caught:
        map_payload(source, obj, payload, read_at=READ_AT)
    assert caught.value.field == field
    assert caught.value.id == payload.get("id", payload.get("Id"))
    assert field in str(caught.value)


def test_unknown_currency_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="XYZ"):
        map_payload(
            "stripe", "charge", {"id": "ch_1", "currency": "xyz", "amount": 1}, read_at=READ_AT
        )


def test_payload_of_another_object_is_refused() -> None:
    with pytest.raises(MappingError, match="not a 'invoices'"):
        map_payload("stripe", "invoices", stripe_fixture("charge"), read_at=READ_AT)
    with pytest.raises(MappingError, match="Account"):
        map_payload("salesforce", "Lead", recorded("salesforce", "Account"), read_at=READ_AT)


@pytest.mark.parametrize(("source", "obj"), [("stripe", "widgets"), ("hubspot", "Deal")])
def test_unknown_source_or_object_is_a_mapping_error(source: str, obj: str) -> None:
    with pytest.raises(MappingError, match="unknown"):
        map_payload(source, obj, {"id": "x"}, read_at=READ_AT)


def test_stripe_version_is_the_event_time_else_the_read_time() -> None:
    payload = stripe_fixture("charge")
    assert one("stripe", "charge", payload, version=EVENT_TIME).version == EVENT_TIME
    record = one("stripe", "charge", payload)
    assert (record.version, record.read_at) == (READ_AT, READ_AT)


def test_sf_version_falls_back_to_last_modified_date() -> None:
    payload = recorded("salesforce", "Account")
    del payload["SystemModstamp"]
    assert one("salesforce", "Account", payload).version == datetime(2026, 1, 15, 9, 12, tzinfo=UTC)


def test_epoch_beyond_the_calendar_is_a_mapping_error() -> None:
    payload = stripe_fixture("charge")
    payload["created"] = 10**15
    with pytest.raises(MappingError) as caught:
        map_payload("stripe", "charge", payload, read_at=READ_AT)
    assert caught.value.field == "created"
