"""QuickBooks and Salesforce recorded payloads map to the records they describe."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from canonical.money import Money
from canonical.records import (
    Allocation,
    Contact,
    CreditNote,
    Deal,
    DealLine,
    Deposit,
    Invoice,
    InvoiceStatus,
    Lead,
    LedgerAccount,
    LedgerEntry,
    Party,
    Payment,
    PaymentKind,
    Refund,
    User,
)
from mappings import map_payload
from tests.mappings.helpers import READ_AT, recorded


def usd(text: str) -> Money:
    return Money.from_decimal(Decimal(text), "USD")


@pytest.mark.parametrize("decimals", [False, True], ids=["floats", "decimals"])
def test_qbo_invoice_with_discount_tax_and_partial_payment(decimals: bool) -> None:
    payload = recorded("quickbooks", "Invoice", decimals=decimals)
    (invoice,) = map_payload("quickbooks", "Invoice", payload, read_at=READ_AT)
    assert isinstance(invoice, Invoice)
    assert invoice.number == "INV-2026-0042"
    assert invoice.status is InvoiceStatus.OPEN
    assert invoice.total == usd("1494.45")
    assert invoice.subtotal == usd("1537.50")
    assert invoice.discount == usd("153.75")
    assert invoice.tax == usd("110.70")
    assert (invoice.balance, invoice.amount_paid) == (usd("494.45"), usd("1000.00"))
    assert invoice.private_note == "Stripe in_1QxA7tB7WZ01zgkWb2cR9mLp"
    assert (invoice.issued_on, invoice.due_date) == (date(2026, 2, 3), date(2026, 3, 5))
    assert invoice.party_id == "58"
    assert invoice.version == datetime(2026, 2, 10, 22, 2, 11, tzinfo=UTC)
    assert [line.amount for line in invoice.lines] == [usd("1200"), usd("337.50")]
    assert invoice.lines[1].quantity == Decimal("2.5")
    assert invoice.lines[1].unit_amount == usd("135")


def test_qbo_voided_invoice_is_void() -> None:
    payload = recorded("quickbooks", "Invoice_voided")
    (invoice,) = map_payload("quickbooks", "Invoice", payload, read_at=READ_AT)
    assert isinstance(invoice, Invoice)
    assert invoice.status is InvoiceStatus.VOID
    assert invoice.currency == "USD"  # no CurrencyRef: the home currency


def test_qbo_payment_allocates_only_invoice_links() -> None:
    (payment,) = map_payload(
        "quickbooks", "Payment", recorded("quickbooks", "Payment"), read_at=READ_AT
    )
    assert isinstance(payment, Payment)
    assert payment.kind is PaymentKind.LEDGER_PAYMENT
    assert payment.amount == usd("1500")
    assert payment.reference == "ch_3QxB2cB7WZ01zgkW0dEf4GhI"
    assert payment.private_note == "Stripe pi_3QxB2cB7WZ01zgkW1aBc2DeF"
    assert payment.paid_on == date(2026, 2, 10)
    assert payment.allocations == (
        Allocation(invoice_id="239", amount=usd("1000")),
        Allocation(invoice_id="240", amount=usd("500")),
    )


def test_qbo_credit_memo_refund_receipt_deposit() -> None:
    (memo,) = map_payload(
        "quickbooks", "CreditMemo", recorded("quickbooks", "CreditMemo"), read_at=READ_AT
    )
    (refund,) = map_payload(
        "quickbooks", "RefundReceipt", recorded("quickbooks", "RefundReceipt"), read_at=READ_AT
    )
    (deposit,) = map_payload(
        "quickbooks", "Deposit", recorded("quickbooks", "Deposit"), read_at=READ_AT
    )
    assert isinstance(memo, CreditNote)
    assert (memo.amount, memo.number) == (usd("25"), "CM-1007")
    assert isinstance(refund, Refund)
    assert refund.amount == usd("42.50")
    assert refund.private_note == "Stripe re_3QxB2cB7WZ01zgkW0x9Yz8Wv"
    assert isinstance(deposit, Deposit)
    assert deposit.amount == usd("1456.20")
    assert deposit.private_note == "Stripe payout po_1QxC7dB7WZ01zgkWm3N4o5P6"


def test_qbo_journal_entry_amount_is_its_debits() -> None:
    (entry,) = map_payload(
        "quickbooks", "JournalEntry", recorded("quickbooks", "JournalEntry"), read_at=READ_AT
    )
    assert isinstance(entry, LedgerEntry)
    assert entry.amount == usd("1515")
    assert [(line.posting, line.account_id) for line in entry.lines] == [
        ("debit", "92"),
        ("debit", "93"),
        ("credit", "35"),
    ]


def test_qbo_customer_and_account() -> None:
    (party,) = map_payload(
        "quickbooks", "Customer", recorded("quickbooks", "Customer"), read_at=READ_AT
    )
    (account,) = map_payload(
        "quickbooks", "Account", recorded("quickbooks", "Account"), read_at=READ_AT
    )
    assert isinstance(party, Party)
    assert (party.name, party.domain, party.currency) == (
        "Northwind Traders",
        "northwind.example",
        "USD",
    )
    assert party.created_at == datetime(2025, 11, 2, 23, 51, 22, tzinfo=UTC)
    assert isinstance(account, LedgerAccount)
    assert (account.name, account.account_type) == ("Undeposited Funds", "Other Current Asset")


def test_sf_account_domain_comes_from_the_website() -> None:
    (party,) = map_payload(
        "salesforce", "Account", recorded("salesforce", "Account"), read_at=READ_AT
    )
    assert isinstance(party, Party)
    assert party.domain == "northwind.example"
    assert party.owner_id == "005Dn000004AbCdIAK"
    assert party.version == datetime(2026, 1, 15, 9, 12, 3, tzinfo=UTC)  # SystemModstamp


def test_sf_opportunity_and_line_item_amounts() -> None:
    (deal,) = map_payload(
        "salesforce", "Opportunity", recorded("salesforce", "Opportunity"), read_at=READ_AT
    )
    (line,) = map_payload(
        "salesforce",
        "OpportunityLineItem",
        recorded("salesforce", "OpportunityLineItem"),
        read_at=READ_AT,
    )
    assert isinstance(deal, Deal)
    assert (deal.amount, deal.close_date) == (usd("18450"), date(2026, 1, 30))
    assert (deal.is_closed, deal.is_won, deal.stage) == (True, True, "Closed Won")
    assert isinstance(line, DealLine)
    assert line.deal_id == deal.source_id
    assert (line.quantity, line.unit_price, line.total) == (
        Decimal("12.0"),
        usd("1537.50"),
        usd("18450"),
    )


def test_sf_converted_and_open_leads() -> None:
    (converted,) = map_payload(
        "salesforce", "Lead", recorded("salesforce", "Lead_converted"), read_at=READ_AT
    )
    (open_lead,) = map_payload(
        "salesforce", "Lead", recorded("salesforce", "Lead_open"), read_at=READ_AT
    )
    assert isinstance(converted, Lead)
    assert isinstance(open_lead, Lead)
    assert converted.is_converted
    assert converted.converted_deal_id == "006Dn00000Xy9ZaIAJ"
    assert converted.converted_on == date(2025, 10, 28)
    assert not open_lead.is_converted
    assert (open_lead.converted_account_id, open_lead.converted_on) == (None, None)


def test_sf_contact_and_user() -> None:
    (contact,) = map_payload(
        "salesforce", "Contact", recorded("salesforce", "Contact"), read_at=READ_AT
    )
    (user,) = map_payload("salesforce", "User", recorded("salesforce", "User"), read_at=READ_AT)
    assert isinstance(contact, Contact)
    assert (contact.party_id, contact.email) == (
        "001Dn00000PzQ7dIAF",
        "dana.whitfield@northwind.example",
    )
    assert isinstance(user, User)
    assert (user.name, user.active) == ("Maria Gomez", True)
