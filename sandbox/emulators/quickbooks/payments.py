"""Creating a Payment: validate it, apply it to the linked invoices and reduce their `Balance`.

Shape and rules from https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment
(required: CustomerRef and TotalAmt; lines link invoices through LinkedTxn). Amounts are decimals in
major units; they are computed as `Decimal`, never with float arithmetic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.emulators.quickbooks.store import QuickBooksStore, qbo_timestamp

Record = dict[str, Any]
_COPIED = (
    "PaymentRefNum", "PrivateNote", "DepositToAccountRef", "PaymentMethodRef", "ARAccountRef",
    "TxnDate", "CurrencyRef", "ExchangeRate", "TxnSource",
)  # fmt: skip


class PaymentRejected(ValueError):
    """QBO's ValidationFault: `code` (2020 missing, 2500 bad reference, 6000 business rule)."""

    def __init__(self, code: str, message: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.message = message
        self.detail = detail


def _decimal(value: Any, name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise PaymentRejected("2010", "Request has invalid or unsupported property", name) from None
    if not amount.is_finite() or amount < 0:
        raise PaymentRejected("2010", "Request has invalid or unsupported property", name)
    return amount


def _number(amount: Decimal) -> float | int:
    """JSON number for a decimal amount; exact because the decimal is short."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _invoice_applications(store: QuickBooksStore, body: Record) -> list[tuple[Record, Decimal]]:
    applications: list[tuple[Record, Decimal]] = []
    for line in body.get("Line") or []:
        amount = _decimal(line.get("Amount", 0), "Line.Amount")
        for linked in line.get("LinkedTxn") or []:
            if linked.get("TxnType") != "Invoice":
                continue
            invoice = store.get("Invoice", str(linked.get("TxnId")))
            if invoice is None:
                raise PaymentRejected(
                    "2500",
                    "Invalid Reference Id",
                    f"Invalid Reference Id : Invoice {linked.get('TxnId')}",
                )
            applications.append((invoice, amount))
    return applications


def create_payment(store: QuickBooksStore, body: Record) -> Record:
    customer_id = str((body.get("CustomerRef") or {}).get("value", ""))
    if not customer_id:
        raise PaymentRejected(
            "2020",
            "Required param missing, need to supply the required value for the API",
            "Required parameter CustomerRef is missing in the request",
        )
    customer = store.get("Customer", customer_id)
    if customer is None:
        raise PaymentRejected(
            "2500", "Invalid Reference Id", f"Invalid Reference Id : Customer {customer_id}"
        )
    if body.get("TotalAmt") is None:
        raise PaymentRejected(
            "2020",
            "Required param missing, need to supply the required value for the API",
            "Required parameter TotalAmt is missing in the request",
        )
    total = _decimal(body["TotalAmt"], "TotalAmt")
    applications = _invoice_applications(store, body)
    applied = sum((amount for _, amount in applications), Decimal(0))
    if applied > total:
        raise PaymentRejected(
            "6000",
            "A business validation error has occurred while processing your request",
            "Business Validation Error: The amount applied is more than the payment amount.",
        )
    for invoice, amount in applications:
        if amount > Decimal(str(invoice.get("Balance", 0))):
            raise PaymentRejected(
                "6000",
                "A business validation error has occurred while processing your request",
                "Business Validation Error: The payment amount exceeds the balance of invoice "
                f"{invoice['Id']}.",
            )
    return _record(store, body, customer, total, applied, applications)


def _record(
    store: QuickBooksStore,
    body: Record,
    customer: Record,
    total: Decimal,
    applied: Decimal,
    applications: list[tuple[Record, Decimal]],
) -> Record:
    payment_id = store.next_id("Payment")
    now = qbo_timestamp()
    payment: Record = {
        "CustomerRef": {"value": customer["Id"], "name": customer.get("DisplayName", "")},
        "CurrencyRef": customer.get(
            "CurrencyRef", {"value": "USD", "name": "United States Dollar"}
        ),
        "TxnDate": datetime.now(UTC).date().isoformat(),
        **{name: body[name] for name in _COPIED if body.get(name) is not None},
        "TotalAmt": _number(total),
        "UnappliedAmt": _number(total - applied),
        "ProcessPayment": False,
        "Line": [
            {"Amount": _number(amount), "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}
            for inv, amount in applications
        ],
        "domain": "QBO",
        "sparse": False,
        "Id": payment_id,
        "SyncToken": "0",
        "MetaData": {"CreateTime": now, "LastUpdatedTime": now},
    }
    stored = store.put("Payment", payment)
    for invoice, amount in applications:
        current = store.get("Invoice", invoice["Id"]) or invoice
        balance = Decimal(str(current.get("Balance", 0))) - amount
        links = [*current.get("LinkedTxn", []), {"TxnId": payment_id, "TxnType": "Payment"}]
        store.patch("Invoice", invoice["Id"], {"Balance": _number(balance), "LinkedTxn": links})
    return stored
