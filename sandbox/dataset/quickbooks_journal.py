"""QuickBooks Online entities for money going out or moving: credit memos, refund receipts,
journal entries and deposits (same conventions as `quickbooks`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sandbox.dataset.quickbooks import (
    EXCHANGE_RATES,
    AccountRow,
    JSONObject,
    SalesLine,
    currency_ref,
    envelope,
    ref,
    sales_lines,
    without_nulls,
)


@dataclass
class QboCreditFacts:
    """A CreditMemo or a RefundReceipt: one sales line, a note naming the Stripe object."""

    id: str
    customer_id: str
    customer_name: str
    currency: str
    txn_date: date
    amount: Decimal
    description: str
    private_note: str
    doc_number: str
    created: int


# https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/creditmemo
def credit_memo(facts: QboCreditFacts) -> JSONObject:
    body = _credit_common(facts)
    body.update({"RemainingCredit": facts.amount, "Balance": facts.amount, "EmailStatus": "NotSet"})
    return body


# https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/refundreceipt
def refund_receipt(facts: QboCreditFacts, refund_from_account: AccountRow) -> JSONObject:
    body = _credit_common(facts)
    body.update(
        {
            "DepositToAccountRef": ref(refund_from_account.id, refund_from_account.name),
            "Balance": Decimal(0),
            "PaymentRefNum": "To Print",
        }
    )
    return body


def _credit_common(facts: QboCreditFacts) -> JSONObject:
    body = envelope(facts.id, facts.created, facts.created)
    line = SalesLine(facts.description, facts.amount, facts.amount, 1, "1", "Services")
    body.update(
        {
            "DocNumber": facts.doc_number,
            "TxnDate": facts.txn_date.isoformat(),
            "CurrencyRef": currency_ref(facts.currency),
            "ExchangeRate": EXCHANGE_RATES[facts.currency],
            "PrivateNote": facts.private_note,
            "Line": sales_lines([line], Decimal(0), None),
            "TxnTaxDetail": {"TotalTax": Decimal(0)},
            "CustomerRef": ref(facts.customer_id, facts.customer_name),
            "TotalAmt": facts.amount,
            "ApplyTaxAfterDiscount": False,
            "PrintStatus": "NotSet",
        }
    )
    return body


# https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/journalentry
def journal_entry(
    entry_id: str,
    currency: str,
    txn_date: date,
    amount: Decimal,
    private_note: str,
    debit: AccountRow,
    credit: AccountRow,
    created: int,
) -> JSONObject:
    body = envelope(entry_id, created, created)
    lines = [
        {
            "Id": str(number),
            "Description": private_note,
            "Amount": amount,
            "DetailType": "JournalEntryLineDetail",
            "JournalEntryLineDetail": {
                "PostingType": posting,
                "AccountRef": ref(row.id, row.name),
            },
        }
        for number, (posting, row) in enumerate((("Debit", debit), ("Credit", credit)))
    ]
    body.update(
        {
            "DocNumber": f"JE-{entry_id}",
            "TxnDate": txn_date.isoformat(),
            "CurrencyRef": currency_ref(currency),
            "ExchangeRate": EXCHANGE_RATES[currency],
            "PrivateNote": private_note,
            "Line": lines,
            "Adjustment": False,
            "TotalAmt": amount,
        }
    )
    return body


# https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/deposit
def deposit(
    deposit_id: str,
    currency: str,
    txn_date: date,
    amount: Decimal,
    private_note: str | None,
    bank: AccountRow,
    created: int,
) -> JSONObject:
    body = envelope(deposit_id, created, created)
    body.update(
        {
            "TxnDate": txn_date.isoformat(),
            "CurrencyRef": currency_ref(currency),
            "ExchangeRate": EXCHANGE_RATES[currency],
            "PrivateNote": private_note,
            "DepositToAccountRef": ref(bank.id, bank.name),
            "Line": [
                {
                    "Id": "1",
                    "LineNum": 1,
                    "Amount": amount,
                    "DetailType": "DepositLineDetail",
                    "DepositLineDetail": {"AccountRef": ref("1", "Undeposited Funds")},
                }
            ],
            "TotalAmt": amount,
        }
    )
    return without_nulls(body)
