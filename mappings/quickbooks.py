"""QuickBooks Online entities: Customer, Invoice, Payment, CreditMemo, RefundReceipt, JournalEntry,
Deposit, Account.

Amounts are major-unit decimals that may arrive as JSON floats (python-quickbooks) or as `Decimal`
(`json.loads(..., parse_float=Decimal)`); both are read exactly, and a value with more decimals
than its currency allows is a `MappingError`. A transaction without `CurrencyRef` is in the
company's home currency, which we take to be USD. CDC reports a deletion as
`{"Id", "status": "Deleted"}`.

Invoice status, which QuickBooks does not store:
- VOID when the total is zero and the private note says "Voided" (QuickBooks zeroes a voided
  invoice and writes "Voided" into its memo);
- otherwise OPEN while `Balance` > 0 (or when `Balance` is absent: unpaid until shown paid),
  and PAID once `Balance` is 0.
"""

from __future__ import annotations

import re

from canonical.errors import MoneyError
from canonical.money import Money
from canonical.records import (
    Allocation,
    CreditNote,
    Deposit,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LedgerAccount,
    LedgerEntry,
    LedgerLine,
    Party,
    Payment,
    PaymentKind,
    PaymentStatus,
    Record,
    Refund,
)
from mappings.normalise import email_domain, website_domain
from mappings.reader import Payload, Reader
from mappings.spec import ObjectSpec

HOME_CURRENCY = "USD"
REFUND_RECORDED = "recorded"  # a refund receipt records money already returned
_VOIDED = re.compile(r"\bvoided\b", re.IGNORECASE)
_SALES_LINE = "SalesItemLineDetail"


def _currency(r: Reader) -> str:
    return r.currency("CurrencyRef", "value", default=HOME_CURRENCY)


def map_customer(r: Reader) -> list[Record]:
    email = r.text("PrimaryEmailAddr", "Address")
    currency = r.text("CurrencyRef", "value")
    return [
        Party(
            **r.lineage(),
            name=r.text("DisplayName") or r.text("CompanyName"),
            email=email,
            domain=email_domain(email) or website_domain(r.text("WebAddr", "URI")),
            currency=_currency(r) if currency else None,
            created_at=r.instant("MetaData", "CreateTime"),
        )
    ]


def map_invoice(r: Reader) -> list[Record]:
    currency = _currency(r)
    total = r.required_major("TotalAmt", currency=currency)
    balance = r.major("Balance", currency=currency)
    lines = r.items("Line")
    sales = _sales_lines(r, lines)
    private_note = r.text("PrivateNote")
    return [
        Invoice(
            **r.lineage(),
            party_id=r.text("CustomerRef", "value"),
            status=_invoice_status(total, balance, private_note),
            currency=currency,
            total=total,
            subtotal=_subtotal(r, lines, sales, currency),
            discount=_line_sum(r, lines, "DiscountLineDetail", currency) if lines else None,
            tax=r.major("TxnTaxDetail", "TotalTax", currency=currency),
            amount_paid=None if balance is None else total - balance,
            balance=balance,
            number=r.text("DocNumber"),
            private_note=private_note,
            issued_on=r.day("TxnDate"),
            due_date=r.day("DueDate"),
            created_at=r.instant("MetaData", "CreateTime"),
            lines=tuple(_invoice_line(r.nested(line, "Line"), i, currency) for i, line in sales),
        )
    ]


def _invoice_status(total: Money, balance: Money | None, note: str | None) -> InvoiceStatus:
    if total.minor == 0 and note and _VOIDED.search(note):
        return InvoiceStatus.VOID
    if balance is not None and balance.minor <= 0:
        return InvoiceStatus.PAID
    return InvoiceStatus.OPEN


def _sales_lines(r: Reader, lines: list[Payload]) -> list[tuple[int, Payload]]:
    """The item lines, with the items of bundles (`GroupLineDetail`) flattened in."""
    found: list[tuple[int, Payload]] = []
    for line in lines:
        if line.get("DetailType") == _SALES_LINE:
            found.append((len(found), line))
        elif line.get("DetailType") == "GroupLineDetail":
            group = r.nested(line, "Line").items("GroupLineDetail", "Line")
            found.extend((len(found) + i, sub) for i, sub in enumerate(group))
    return found


def _line_sum(r: Reader, lines: list[Payload], detail: str, currency: str) -> Money:
    total = Money.zero(currency)
    for line in lines:
        if line.get("DetailType") == detail:
            total = total + r.nested(line, "Line").required_major("Amount", currency=currency)
    return total


def _subtotal(
    r: Reader, lines: list[Payload], sales: list[tuple[int, Payload]], currency: str
) -> Money | None:
    if not lines:
        return None
    for line in lines:
        if line.get("DetailType") == "SubTotalLineDetail":
            return r.nested(line, "Line").major("Amount", currency=currency)
    total = Money.zero(currency)
    for _, line in sales:
        total = total + r.nested(line, "Line").required_major("Amount", currency=currency)
    return total


def _invoice_line(r: Reader, index: int, currency: str) -> InvoiceLine:
    return InvoiceLine(
        line_id=r.text("Id") or f"#{index + 1}",
        description=r.text("Description"),
        quantity=r.quantity(_SALES_LINE, "Qty"),
        amount=r.required_major("Amount", currency=currency),
        unit_amount=_unit_price(r, currency),
    )


def _unit_price(r: Reader, currency: str) -> Money | None:
    # QuickBooks keeps up to 7 decimals of unit price: a rate, not an amount owed, so a price finer
    # than the currency's minor unit is left out rather than rounded or refused.
    price = r.quantity(_SALES_LINE, "UnitPrice")
    if price is None:
        return None
    try:
        return Money.from_decimal(price, currency)
    except MoneyError:
        return None


def map_payment(r: Reader) -> list[Record]:
    currency = _currency(r)
    return [
        Payment(
            **r.lineage(),
            kind=PaymentKind.LEDGER_PAYMENT,
            party_id=r.text("CustomerRef", "value"),
            amount=r.required_major("TotalAmt", currency=currency),
            status=PaymentStatus.SUCCEEDED,  # a QuickBooks payment records money received
            created_at=r.instant("MetaData", "CreateTime"),
            paid_on=r.day("TxnDate"),
            reference=r.text("PaymentRefNum"),
            private_note=r.text("PrivateNote"),
            allocations=tuple(_allocations(r, currency)),
        )
    ]


def _allocations(r: Reader, currency: str) -> list[Allocation]:
    # Each payment line pays the transactions it links with its `Amount`; QuickBooks writes one
    # linked transaction per line. Links to credit memos or journal entries are not invoice money.
    found: list[Allocation] = []
    for line in r.items("Line"):
        line_reader = r.nested(line, "Line")
        for link in line_reader.items("LinkedTxn"):
            if link.get("TxnType") == "Invoice" and link.get("TxnId") is not None:
                amount = line_reader.required_major("Amount", currency=currency)
                txn_id = r.nested(link, "LinkedTxn").required_text("TxnId")
                found.append(Allocation(invoice_id=txn_id, amount=amount))
    return found


def map_credit_memo(r: Reader) -> list[Record]:
    currency = _currency(r)
    return [
        CreditNote(
            **r.lineage(),
            amount=r.required_major("TotalAmt", currency=currency),
            party_id=r.text("CustomerRef", "value"),
            number=r.text("DocNumber"),
            private_note=r.text("PrivateNote"),
            created_at=r.instant("MetaData", "CreateTime"),
            txn_date=r.day("TxnDate"),
        )
    ]


def map_refund_receipt(r: Reader) -> list[Record]:
    currency = _currency(r)
    return [
        Refund(
            **r.lineage(),
            amount=r.required_major("TotalAmt", currency=currency),
            status=REFUND_RECORDED,
            party_id=r.text("CustomerRef", "value"),
            private_note=r.text("PrivateNote"),
            created_at=r.instant("MetaData", "CreateTime"),
            txn_date=r.day("TxnDate"),
        )
    ]


def map_journal_entry(r: Reader) -> list[Record]:
    currency = _currency(r)
    lines = tuple(_ledger_line(r.nested(line, "Line"), currency) for line in r.items("Line"))
    debits = [line.amount for line in lines if line.posting == "debit"]
    amount = r.required_major("TotalAmt", currency=currency) if not debits else debits[0]
    for debit in debits[1:]:
        amount = amount + debit
    return [
        LedgerEntry(
            **r.lineage(),
            amount=amount,
            txn_date=r.day("TxnDate"),
            doc_number=r.text("DocNumber"),
            private_note=r.text("PrivateNote"),
            lines=lines,
        )
    ]


def _ledger_line(r: Reader, currency: str) -> LedgerLine:
    posting = r.required_text("JournalEntryLineDetail", "PostingType").lower()
    if posting not in ("debit", "credit"):
        r.fail(f"unknown PostingType {posting!r}", field="JournalEntryLineDetail.PostingType")
    return LedgerLine(
        account_id=r.text("JournalEntryLineDetail", "AccountRef", "value"),
        posting=posting,
        amount=r.required_major("Amount", currency=currency),
        description=r.text("Description"),
    )


def map_deposit(r: Reader) -> list[Record]:
    currency = _currency(r)
    return [
        Deposit(
            **r.lineage(),
            amount=r.required_major("TotalAmt", currency=currency),
            txn_date=r.day("TxnDate"),
            private_note=r.text("PrivateNote"),
        )
    ]


def map_account(r: Reader) -> list[Record]:
    currency = r.text("CurrencyRef", "value")
    return [
        LedgerAccount(
            **r.lineage(),
            name=r.required_text("Name"),
            account_type=r.text("AccountType"),
            classification=r.text("Classification"),
            currency=_currency(r) if currency else None,
            active=r.flag("Active", default=True),
        )
    ]


OBJECTS: tuple[ObjectSpec, ...] = (
    ObjectSpec("Customer", Party, map_customer),
    ObjectSpec("Invoice", Invoice, map_invoice),
    ObjectSpec("Payment", Payment, map_payment, payment_kind=PaymentKind.LEDGER_PAYMENT),
    ObjectSpec("CreditMemo", CreditNote, map_credit_memo),
    ObjectSpec("RefundReceipt", Refund, map_refund_receipt),
    ObjectSpec("JournalEntry", LedgerEntry, map_journal_entry),
    ObjectSpec("Deposit", Deposit, map_deposit),
    ObjectSpec("Account", LedgerAccount, map_account),
)
