"""Properties: money is exact, variants of real payloads never raise unexpectedly, determinism."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from canonical.money import Money, exponent
from canonical.records import Payment, Record
from mappings import MappingError, map_payload
from tests.mappings.helpers import READ_AT, recorded, stripe_fixture

CURRENCIES = ["USD", "EUR", "JPY", "KRW", "KWD", "BHD", "GBP", "CHF"]

# What each object cannot do without; anything else may be dropped or nulled.
STRIPE_REQUIRED: dict[str, set[str]] = {
    "customer": {"id"},
    "subscription": {"id", "status"},
    "invoice": {"id", "currency", "total"},
    "invoice_payment": {"id", "currency", "invoice", "status"},
    "charge": {"id", "currency", "amount"},
    "payment_intent": {"id", "currency", "amount"},
    "refund": {"id", "currency", "amount", "status"},
    "dispute": {"id", "currency", "amount", "status"},
    "credit_note": {"id", "currency", "total"},  # `total` is read only when `amount` is absent
    "payout": {"id", "currency", "amount", "status"},
    "balance_transaction": {"id", "currency", "amount", "type"},
}
STRIPE_AMOUNTS = {"amount", "total", "subtotal", "amount_paid", "amount_remaining", "fee", "net"}

RECORDED: dict[tuple[str, str, str], set[str]] = {
    ("quickbooks", "Invoice", "Invoice"): {"Id", "TotalAmt"},
    ("quickbooks", "Invoice", "Invoice_voided"): {"Id", "TotalAmt"},
    ("quickbooks", "Payment", "Payment"): {"Id", "TotalAmt"},
    ("quickbooks", "CreditMemo", "CreditMemo"): {"Id", "TotalAmt"},
    ("quickbooks", "RefundReceipt", "RefundReceipt"): {"Id", "TotalAmt"},
    ("quickbooks", "JournalEntry", "JournalEntry"): {"Id", "TotalAmt"},  # when no debit lines
    ("quickbooks", "Deposit", "Deposit"): {"Id", "TotalAmt"},
    ("quickbooks", "Customer", "Customer"): {"Id"},
    ("quickbooks", "Account", "Account"): {"Id", "Name"},
    ("salesforce", "Account", "Account"): {"Id"},
    ("salesforce", "Contact", "Contact"): {"Id"},
    ("salesforce", "User", "User"): {"Id"},
    ("salesforce", "Lead", "Lead_converted"): {"Id"},
    ("salesforce", "Lead", "Lead_open"): {"Id"},
    ("salesforce", "Opportunity", "Opportunity"): {"Id"},
    ("salesforce", "OpportunityLineItem", "OpportunityLineItem"): {"Id", "OpportunityId"},
}


def stripe_payload(name: str) -> dict[str, Any]:
    payload = stripe_fixture(name)
    if name == "invoice_payment":
        payload["currency"] = "usd"  # the example's placeholder is not a currency
    return payload


@st.composite
def stripe_variants(draw: st.DrawFn) -> tuple[str, dict[str, Any], set[str]]:
    name = draw(st.sampled_from(sorted(STRIPE_REQUIRED)))
    payload = stripe_payload(name)
    keys = sorted(payload)
    dropped = set(draw(st.lists(st.sampled_from(keys), max_size=6, unique=True)))
    nulled = set(draw(st.lists(st.sampled_from(keys), max_size=6, unique=True))) - dropped
    for key in keys:
        if key in STRIPE_AMOUNTS and isinstance(payload[key], int):
            payload[key] = draw(st.integers(-(10**12), 10**12))
    if isinstance(payload.get("currency"), str):
        payload["currency"] = draw(st.sampled_from(CURRENCIES)).lower()
        for line in (payload.get("lines") or {}).get("data", []):
            line["currency"] = payload["currency"]  # Stripe bills every line in its invoice's
    for key in dropped:
        del payload[key]
    for key in nulled:
        payload[key] = None
    return name, payload, dropped | nulled


@given(stripe_variants())
@settings(max_examples=300, deadline=None)
def test_stripe_variants_only_fail_on_required_fields(
    variant: tuple[str, dict[str, Any], set[str]],
) -> None:
    name, payload, removed = variant
    result = outcome("stripe", name, payload)
    if isinstance(result, MappingError):
        assert result.field in STRIPE_REQUIRED[name] & removed, result
    else:
        assert result[0].source_id == payload["id"]


@st.composite
def recorded_variants(draw: st.DrawFn) -> tuple[str, str, dict[str, Any], set[str]]:
    source, obj, name = draw(st.sampled_from(sorted(RECORDED)))
    payload = recorded(source, name, decimals=draw(st.booleans()))
    keys = sorted(payload)
    dropped = set(draw(st.lists(st.sampled_from(keys), max_size=6, unique=True)))
    nulled = set(draw(st.lists(st.sampled_from(keys), max_size=6, unique=True))) - dropped
    # Amounts here have 2 decimals, so any currency with at least 2 keeps them exact.
    currency = draw(st.sampled_from(["USD", "EUR", "KWD", "BHD", "GBP"]))
    if source == "quickbooks" and "CurrencyRef" in payload:
        payload["CurrencyRef"] = {"value": currency}
    if source == "salesforce" and "CurrencyIsoCode" in payload:
        payload["CurrencyIsoCode"] = currency
    for key in dropped:
        del payload[key]
    for key in nulled:
        payload[key] = None
    return source, obj, payload, dropped | nulled


@given(recorded_variants())
@settings(max_examples=300, deadline=None)
def test_recorded_variants_only_fail_on_required_fields(
    variant: tuple[str, str, dict[str, Any], set[str]],
) -> None:
    source, obj, payload, removed = variant
    result = outcome(source, obj, payload)
    if isinstance(result, MappingError):
        assert result.field in RECORDED[(source, obj, _name_of(source, obj))] & removed, result
    else:
        assert result


def _name_of(source: str, obj: str) -> str:
    matches = [name for (s, o, name) in RECORDED if (s, o) == (source, obj)]
    return matches[0]  # every recorded file of one object has the same required fields


@given(
    minor=st.integers(-(10**13), 10**13),
    currency=st.sampled_from(CURRENCIES),
)
@settings(max_examples=300, deadline=None)
def test_qbo_float_amounts_round_trip_exactly(minor: int, currency: str) -> None:
    # The amount as QuickBooks writes it in JSON, parsed the way an SDK does: into a float.
    major = Decimal(minor).scaleb(-exponent(currency))
    text = f'{{"Id": "1", "TotalAmt": {major:f}, "CurrencyRef": {{"value": "{currency}"}}}}'
    as_float = json.loads(text)
    as_decimal = json.loads(text, parse_float=Decimal)
    for payload in (as_float, as_decimal):
        (record,) = map_payload("quickbooks", "Payment", payload, read_at=READ_AT)
        assert isinstance(record, Payment)
        assert record.amount == Money(minor, currency)


@given(stripe_variants())
@settings(max_examples=100, deadline=None)
def test_mapping_is_deterministic(variant: tuple[str, dict[str, Any], set[str]]) -> None:
    name, payload, _ = variant
    first = outcome("stripe", name, payload)
    second = outcome("stripe", name, json.loads(json.dumps(payload)))
    if isinstance(first, MappingError):
        assert str(second) == str(first)
    else:
        assert second == first


def outcome(source: str, obj: str, payload: dict[str, Any]) -> list[Record] | MappingError:
    """The records, or the MappingError (any other exception fails the test)."""
    try:
        return map_payload(source, obj, payload, read_at=READ_AT)
    except MappingError as exc:
        return exc
