"""Every Stripe object we sync maps from Stripe's own example (fixtures3.json)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from canonical.money import Money
from canonical.records import (
    BalanceTransaction,
    CreditNote,
    Dispute,
    Invoice,
    InvoicePayment,
    InvoiceStatus,
    Party,
    Payment,
    PaymentKind,
    PaymentStatus,
    Payout,
    Refund,
    Source,
    Subscription,
)
from mappings import MappingError, map_payload, objects_for
from tests.mappings.helpers import READ_AT, stripe_fixture

FIXTURE_TIME = datetime(2009, 2, 13, 23, 31, 30, tzinfo=UTC)  # the fixtures' `created`

SYNCED = [
    ("customer", "customers", Party),
    ("subscription", "subscriptions", Subscription),
    ("invoice", "invoices", Invoice),
    ("charge", "charges", Payment),
    ("payment_intent", "payment_intents", Payment),
    ("refund", "refunds", Refund),
    ("dispute", "disputes", Dispute),
    ("credit_note", "credit_notes", CreditNote),
    ("payout", "payouts", Payout),
    ("balance_transaction", "balance_transactions", BalanceTransaction),
]


def test_every_synced_object_name_is_covered() -> None:
    covered = {dataset for _, dataset, _ in SYNCED} | {"invoice_payments"}
    assert covered == set(objects_for("stripe"))


@pytest.mark.parametrize(("fixture", "dataset", "record_type"), SYNCED)
def test_fixture_maps_by_dataset_name_and_by_object_value(
    fixture: str, dataset: str, record_type: type
) -> None:
    payload = stripe_fixture(fixture)
    by_dataset = map_payload("stripe", dataset, payload, read_at=READ_AT)
    by_object = map_payload(Source.STRIPE, payload["object"], payload, read_at=READ_AT)
    assert by_dataset == by_object
    (record,) = by_dataset
    assert isinstance(record, record_type)
    assert record.source_id == payload["id"]
    assert record.version == READ_AT  # a list read: Stripe has no updated field
    assert not record.deleted


def test_invoice_payment_fixture_with_a_real_currency_maps() -> None:
    # Stripe's example writes the placeholder "currency" where an ISO code belongs; nothing exact
    # can be made of that, so only the placeholder is replaced.
    payload = stripe_fixture("invoice_payment")
    payload["currency"] = "usd"
    (record,) = map_payload("stripe", "invoice_payment", payload, read_at=READ_AT)
    assert isinstance(record, InvoicePayment)
    assert record.invoice_id == "invoice"
    assert record.amount_paid == Money(0, "USD")  # null until paid
    assert record.payment_intent_id is None


def test_invoice_payment_fixture_placeholder_currency_is_a_named_error() -> None:
    with pytest.raises(MappingError) as caught:
        map_payload("stripe", "invoice_payment", stripe_fixture("invoice_payment"), read_at=READ_AT)
    assert caught.value.field == "currency"
    assert caught.value.id == "obj_123"


def test_invoice_fixture_values() -> None:
    (invoice,) = map_payload("stripe", "invoice", stripe_fixture("invoice"), read_at=READ_AT)
    assert isinstance(invoice, Invoice)
    assert invoice.status is InvoiceStatus.DRAFT
    assert invoice.party_id == "cus_QXg1o8vcGmoR32"
    assert (invoice.total, invoice.subtotal) == (Money(1000, "USD"), Money(1000, "USD"))
    assert (invoice.amount_paid, invoice.balance) == (Money(0, "USD"), Money(1000, "USD"))
    assert invoice.discount == Money(0, "USD")  # an empty `total_discount_amounts`
    assert invoice.tax is None  # `total_taxes: null`
    assert invoice.subscription_id == "subscription"  # parent.subscription_details
    assert invoice.due_date == date(2009, 2, 13)
    assert invoice.created_at == FIXTURE_TIME
    (line,) = invoice.lines
    assert line.line_id == "il_1Pgc6sB7WZ01zgkWFnxLrLCq"
    assert line.amount == Money(1000, "USD")


def test_charge_fixture_values() -> None:
    (charge,) = map_payload("stripe", "charge", stripe_fixture("charge"), read_at=READ_AT)
    assert isinstance(charge, Payment)
    assert charge.kind is PaymentKind.CHARGE
    assert charge.status is PaymentStatus.SUCCEEDED
    assert charge.amount == Money(100, "USD")
    assert charge.amount_refunded == Money(0, "USD")
    assert charge.charge_id == "ch_1PgafuB7WZ01zgkWXYmPNZs8"
    assert charge.allocations == ()


def test_payment_intent_fixture_after_a_failed_attempt_is_failed() -> None:
    (intent,) = map_payload(
        "stripe", "payment_intent", stripe_fixture("payment_intent"), read_at=READ_AT
    )
    assert isinstance(intent, Payment)
    assert intent.kind is PaymentKind.PAYMENT_INTENT
    assert intent.amount == Money(1099, "USD")
    # requires_payment_method with a last_payment_error: an attempt failed
    assert intent.status is PaymentStatus.FAILED


def test_money_movement_fixture_values() -> None:
    (refund,) = map_payload("stripe", "refund", stripe_fixture("refund"), read_at=READ_AT)
    (dispute,) = map_payload("stripe", "dispute", stripe_fixture("dispute"), read_at=READ_AT)
    (payout,) = map_payload("stripe", "payout", stripe_fixture("payout"), read_at=READ_AT)
    (txn,) = map_payload(
        "stripe", "balance_transaction", stripe_fixture("balance_transaction"), read_at=READ_AT
    )
    assert isinstance(refund, Refund)
    assert refund.payment_id == "ch_1PgafuB7WZ01zgkWXYmPNZs8"
    assert isinstance(dispute, Dispute)
    assert dispute.amount == Money(1000, "USD")
    assert dispute.status == "warning_needs_response"
    assert isinstance(payout, Payout)
    assert payout.arrival_date == date(2009, 2, 13)
    assert isinstance(txn, BalanceTransaction)
    assert (txn.amount, txn.fee, txn.net) == (Money(100, "USD"), Money(0, "USD"), Money(100, "USD"))
    assert txn.source_object_id == "ch_1PgafuB7WZ01zgkWXYmPNZs8"


def test_credit_note_and_customer_and_subscription_fixture_values() -> None:
    (note,) = map_payload("stripe", "credit_note", stripe_fixture("credit_note"), read_at=READ_AT)
    (party,) = map_payload("stripe", "customer", stripe_fixture("customer"), read_at=READ_AT)
    (sub,) = map_payload("stripe", "subscription", stripe_fixture("subscription"), read_at=READ_AT)
    assert isinstance(note, CreditNote)
    assert (note.amount, note.number) == (Money(1690, "USD"), "ABCD-1234-CN-01")
    assert note.invoice_id == "in_1Pgc75B7WZ01zgkWYv4iMwt7"
    assert isinstance(party, Party)
    assert party.currency == "USD"
    assert party.email is None
    assert isinstance(sub, Subscription)
    assert sub.status == "active"
    # since "basil" the period end lives on the items
    assert sub.current_period_end == datetime.fromtimestamp(976287773, tz=UTC)


def test_deleted_customer_fixture_is_a_deleted_party() -> None:
    (party,) = map_payload(
        "stripe", "customer", stripe_fixture("deleted_customer"), read_at=READ_AT
    )
    assert isinstance(party, Party)
    assert party.deleted
    assert party.source_id == "cus_QXg1o8vcGmoR32"


def test_deleted_invoice_fixture_is_a_tombstone() -> None:
    (invoice,) = map_payload(
        "stripe", "invoice", stripe_fixture("deleted_invoice"), read_at=READ_AT
    )
    assert isinstance(invoice, Invoice)
    assert invoice.deleted
    assert invoice.total.minor == 0
