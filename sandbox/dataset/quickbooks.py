"""QuickBooks Online v3 Accounting entities, as `GET /v3/company/<realm>/<entity>/<id>` returns
them (the object inside the entity-named wrapper). Amounts are Decimals in major units, so the
writer emits exact JSON numbers (JPY 1500, KWD 12.345, USD 10.5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sandbox.dataset.ids import qbo_datetime

JSONObject = dict[str, Any]

CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "EUR": "Euro",
    "GBP": "British Pound Sterling",
    "JPY": "Japanese Yen",
    "KWD": "Kuwaiti Dinar",
}
# Units of the home currency (USD) per unit of each currency; fixed so reruns are identical.
EXCHANGE_RATES = {
    "USD": Decimal(1),
    "EUR": Decimal("1.08"),
    "GBP": Decimal("1.27"),
    "JPY": Decimal("0.0067"),
    "KWD": Decimal("3.25"),
}


def ref(value: str, name: str | None = None) -> JSONObject:
    return {"value": value} if name is None else {"value": value, "name": name}


def currency_ref(code: str) -> JSONObject:
    return ref(code, CURRENCY_NAMES[code])


def without_nulls(body: JSONObject) -> JSONObject:
    """QuickBooks leaves unset fields out of its JSON rather than writing null."""
    return {key: value for key, value in body.items() if value is not None}


def envelope(entity_id: str, created: int, updated: int) -> JSONObject:
    return {
        "Id": entity_id,
        "SyncToken": "0" if updated == created else "1",
        "domain": "QBO",
        "sparse": False,
        "MetaData": {
            "CreateTime": qbo_datetime(created),
            "LastUpdatedTime": qbo_datetime(updated),
        },
    }


@dataclass(frozen=True)
class AccountRow:
    id: str
    name: str
    account_type: str
    sub_type: str
    classification: str
    currency: str


def chart_of_accounts(currencies: list[str]) -> list[AccountRow]:
    """A small chart: shared income/expense/tax accounts plus a bank and A/R per currency."""
    rows = [
        AccountRow(
            "1", "Undeposited Funds", "Other Current Asset", "UndepositedFunds", "Asset", "USD"
        ),
        AccountRow("2", "Sales", "Income", "SalesOfProductIncome", "Revenue", "USD"),
        AccountRow("3", "Services", "Income", "ServiceFeeIncome", "Revenue", "USD"),
        AccountRow("4", "Discounts given", "Income", "DiscountsRefundsGiven", "Revenue", "USD"),
        AccountRow("5", "Stripe Fees", "Expense", "BankCharges", "Expense", "USD"),
        AccountRow(
            "6", "Chargebacks", "Expense", "OtherMiscellaneousServiceCost", "Expense", "USD"
        ),
        AccountRow(
            "7",
            "Sales Tax Payable",
            "Other Current Liability",
            "SalesTaxPayable",
            "Liability",
            "USD",
        ),
    ]
    for offset, code in enumerate(sorted(currencies)):
        rows.append(
            AccountRow(str(10 + 2 * offset), f"Checking {code}", "Bank", "Checking", "Asset", code)
        )
        rows.append(
            AccountRow(
                str(11 + 2 * offset),
                f"Accounts Receivable (A/R) - {code}",
                "Accounts Receivable",
                "AccountsReceivable",
                "Asset",
                code,
            )
        )
    return rows


def bank_account(rows: list[AccountRow], currency: str) -> AccountRow:
    return next(row for row in rows if row.account_type == "Bank" and row.currency == currency)


def account_by_name(rows: list[AccountRow], name: str) -> AccountRow:
    return next(row for row in rows if row.name == name)


# https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/account
def account(row: AccountRow, created: int) -> JSONObject:
    body = envelope(row.id, created, created)
    body.update(
        {
            "Name": row.name,
            "SubAccount": False,
            "FullyQualifiedName": row.name,
            "Active": True,
            "Classification": row.classification,
            "AccountType": row.account_type,
            "AccountSubType": row.sub_type,
            "CurrentBalance": 0,
            "CurrentBalanceWithSubAccounts": 0,
            "CurrencyRef": currency_ref(row.currency),
        }
    )
    return body


@dataclass
class QboCustomerFacts:
    id: str
    display_name: str
    email: str
    currency: str
    city: str
    country: str
    created: int
    balance: Decimal = Decimal(0)


# https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer
def customer(facts: QboCustomerFacts) -> JSONObject:
    body = envelope(facts.id, facts.created, facts.created)
    body.update(
        {
            "Taxable": facts.currency != "KWD",
            "BillAddr": {"Id": facts.id, "City": facts.city, "Country": facts.country},
            "Job": False,
            "BillWithParent": False,
            "Balance": facts.balance,
            "BalanceWithJobs": facts.balance,
            "CurrencyRef": currency_ref(facts.currency),
            "PreferredDeliveryMethod": "Email",
            "IsProject": False,
            "FullyQualifiedName": facts.display_name,
            "CompanyName": facts.display_name,
            "DisplayName": facts.display_name,
            "PrintOnCheckName": facts.display_name,
            "Active": True,
            "PrimaryEmailAddr": {"Address": facts.email},
        }
    )
    return body


@dataclass(frozen=True)
class SalesLine:
    description: str
    amount: Decimal
    unit_price: Decimal
    quantity: int
    item_id: str
    item_name: str


def sales_lines(
    lines: list[SalesLine], discount: Decimal, discount_percent: int | None
) -> list[JSONObject]:
    """SalesItemLine per item, then the SubTotalLine, then a DiscountLine when discounted."""
    rendered: list[JSONObject] = []
    for number, line in enumerate(lines, start=1):
        rendered.append(
            {
                "Id": str(number),
                "LineNum": number,
                "Description": line.description,
                "Amount": line.amount,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": ref(line.item_id, line.item_name),
                    "UnitPrice": line.unit_price,
                    "Qty": line.quantity,
                    "ItemAccountRef": ref("3", "Services"),
                    "TaxCodeRef": ref("TAX"),
                },
            }
        )
    subtotal = sum((line.amount for line in lines), Decimal(0))
    rendered.append(
        {"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    )
    if discount:
        rendered.append(
            {
                "Amount": discount,
                "DetailType": "DiscountLineDetail",
                "DiscountLineDetail": without_nulls(
                    {
                        "PercentBased": discount_percent is not None,
                        "DiscountPercent": discount_percent,
                        "DiscountAccountRef": ref("4", "Discounts given"),
                    }
                ),
            }
        )
    return rendered


@dataclass
class QboInvoiceFacts:
    id: str
    customer_id: str
    customer_name: str
    email: str
    currency: str
    txn_date: date
    due_date: date
    doc_number: str | None
    private_note: str | None
    lines: list[SalesLine]
    discount: Decimal
    discount_percent: int | None
    tax: Decimal
    total: Decimal
    balance: Decimal
    created: int
    updated: int
    payment_ids: list[str]


# https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice
def invoice(facts: QboInvoiceFacts) -> JSONObject:
    body = envelope(facts.id, facts.created, facts.updated)
    body.update(
        {
            "CustomField": [],
            "DocNumber": facts.doc_number,
            "TxnDate": facts.txn_date.isoformat(),
            "CurrencyRef": currency_ref(facts.currency),
            "ExchangeRate": EXCHANGE_RATES[facts.currency],
            "PrivateNote": facts.private_note,
            "LinkedTxn": [{"TxnId": pid, "TxnType": "Payment"} for pid in facts.payment_ids],
            "Line": sales_lines(facts.lines, facts.discount, facts.discount_percent),
            "TxnTaxDetail": {"TotalTax": facts.tax},
            "CustomerRef": ref(facts.customer_id, facts.customer_name),
            "BillEmail": {"Address": facts.email},
            "DueDate": facts.due_date.isoformat(),
            "TotalAmt": facts.total,
            "ApplyTaxAfterDiscount": False,
            "PrintStatus": "NotSet",
            "EmailStatus": "EmailSent",
            "Balance": facts.balance,
        }
    )
    return without_nulls(body)


@dataclass
class QboPaymentFacts:
    id: str
    customer_id: str
    customer_name: str
    currency: str
    txn_date: date
    amount: Decimal
    invoice_id: str | None  # None: an unapplied payment (customer credit)
    ref_num: str | None
    private_note: str | None
    deposit_account: str
    created: int


# https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment
def payment(facts: QboPaymentFacts) -> JSONObject:
    body = envelope(facts.id, facts.created, facts.created)
    lines: list[JSONObject] = []
    if facts.invoice_id is not None:
        lines.append(
            {
                "Amount": facts.amount,
                "LinkedTxn": [{"TxnId": facts.invoice_id, "TxnType": "Invoice"}],
            }
        )
    body.update(
        {
            "TxnDate": facts.txn_date.isoformat(),
            "CurrencyRef": currency_ref(facts.currency),
            "ExchangeRate": EXCHANGE_RATES[facts.currency],
            "PrivateNote": facts.private_note,
            "Line": lines,
            "CustomerRef": ref(facts.customer_id, facts.customer_name),
            "DepositToAccountRef": ref(facts.deposit_account),
            "TotalAmt": facts.amount,
            "UnappliedAmt": Decimal(0) if facts.invoice_id is not None else facts.amount,
            "ProcessPayment": False,
        }
    )
    body["PaymentRefNum"] = facts.ref_num
    return without_nulls(body)
