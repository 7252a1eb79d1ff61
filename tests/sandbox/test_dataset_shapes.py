"""Every generated Stripe object carries the keys and value types of Stripe's own example of
that object (fixtures3.json); a null is accepted only where Stripe documents the field nullable."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sandbox.dataset import generate
from tests.shared_fixtures import STRIPE_FIXTURES

FIXTURES = STRIPE_FIXTURES
FILES = {
    "customer": "customers",
    "subscription": "subscriptions",
    "invoice": "invoices",
    "invoice_payment": "invoice_payments",
    "charge": "charges",
    "payment_intent": "payment_intents",
    "refund": "refunds",
    "dispute": "disputes",
    "credit_note": "credit_notes",
    "payout": "payouts",
    "balance_transaction": "balance_transactions",
}
# Fields the fixture fills in but Stripe's API reference marks nullable, and that are null in
# realistic data (no shipping, no 3DS, not yet canceled, a plain card with no wallet, ...).
NULLABLE = {
    "charge.balance_transaction",
    "charge.billing_details.name",
    "charge.payment_method_details.card.installments",
    "charge.payment_method_details.card.three_d_secure",
    "charge.payment_method_details.card.wallet",
    "charge.receipt_url",
    "charge.shipping",
    "charge.source",
    "charge.transfer_data",
    "credit_note.lines.data[].invoice_line_item",
    "credit_note.shipping_cost",
    "credit_note.voided_at",
    "customer.discount",
    "customer.invoice_settings.rendering_options",
    "customer.shipping",
    "invoice.automatic_tax.liability",
    "invoice.customer_shipping",
    "invoice.due_date",
    "invoice.effective_at",
    "invoice.from_invoice",
    "invoice.last_finalization_error",
    "invoice.lines.data[].parent.invoice_item_details",
    "invoice.lines.data[].parent.invoice_item_details.proration_details.credited_items",
    "invoice.lines.data[].parent.subscription_item_details",
    "invoice.lines.data[].parent.subscription_item_details.proration_details.credited_items",
    "invoice.next_payment_attempt",
    "invoice.parent",
    "invoice.parent.quote_details",
    "invoice.payment_settings.payment_method_options",
    "invoice.shipping_cost",
    "invoice.shipping_details",
    "invoice.webhooks_delivered_at",
    "payment_intent.automatic_payment_methods",
    "payment_intent.canceled_at",
    "payment_intent.last_payment_error",
    "payment_intent.next_action",
    "payment_intent.payment_method_configuration_details",
    "payment_intent.processing",
    "payment_intent.shipping",
    "payment_intent.transfer_data",
    "subscription.automatic_tax.liability",
    "subscription.billing_cycle_anchor_config",
    "subscription.billing_mode.flexible",
    "subscription.billing_thresholds",
    "subscription.cancel_at",
    "subscription.canceled_at",
    "subscription.ended_at",
    "subscription.items.data[].billing_thresholds",
    "subscription.items.data[].plan.transform_usage",
    "subscription.items.data[].price.custom_unit_amount",
    "subscription.items.data[].price.transform_quantity",
    "subscription.next_pending_invoice_item_invoice",
    "subscription.pause_collection",
    "subscription.payment_settings.payment_method_options",
    "subscription.pending_invoice_item_interval",
    "subscription.pending_update",
    "subscription.transfer_data",
    "subscription.trial_end",
    "subscription.trial_start",
}


def shape_errors(path: str, expected: Any, actual: Any, errors: list[str]) -> None:
    if expected is None:
        return
    if actual is None:
        if path not in NULLABLE:
            errors.append(f"{path}: null where the fixture has {type(expected).__name__}")
        return
    if type(expected) is not type(actual):
        errors.append(f"{path}: {type(actual).__name__}, fixture {type(expected).__name__}")
    elif isinstance(expected, dict):
        for key, value in expected.items():
            if key not in actual:
                errors.append(f"{path}.{key}: missing")
            else:
                shape_errors(f"{path}.{key}", value, actual[key], errors)
    elif isinstance(expected, list) and expected and isinstance(expected[0], dict):
        for item in actual:
            shape_errors(f"{path}[]", expected[0], item, errors)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shapes")
    generate(out, seed=11, customers=120, as_of=date(2026, 3, 1))
    return out


@pytest.mark.parametrize("object_type", sorted(FILES))
def test_every_stripe_object_has_the_fixture_keys_and_types(
    dataset: Path, object_type: str
) -> None:
    fixture = json.loads(FIXTURES.read_text())["resources"][object_type]
    items = json.loads((dataset / "stripe" / f"{FILES[object_type]}.json").read_text())
    errors: list[str] = []

    for item in items:
        assert item["object"] == object_type
        assert item.get("livemode", False) is False
        shape_errors(object_type, fixture, item, errors)

    assert items, f"no {object_type} generated"
    assert sorted(set(errors)) == []


def test_shape_check_rejects_a_missing_key_and_a_wrong_type() -> None:
    errors: list[str] = []

    shape_errors("refund", {"amount": 1, "charge": "ch_1"}, {"amount": "1"}, errors)

    assert errors == ["refund.amount: str, fixture int", "refund.charge: missing"]
