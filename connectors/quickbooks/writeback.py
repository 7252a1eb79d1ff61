"""Follow-up writes to the ledger: record a payment against an invoice, exactly once.

QBO's idempotency key is the `requestid` query parameter: a retried create with the same id
returns the first result instead of booking the payment twice, so every retry of
`record_payment` (by the policy runner or by a re-queued job) must reuse the caller's id.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from quickbooks.objects.base import LinkedTxn, Ref
from quickbooks.objects.payment import Payment, PaymentLine

from canonical.money import Money
from connectors.errors import PermanentError
from connectors.quickbooks.client import QuickBooksClient
from connectors.quickbooks.policy import VENDOR

PAYMENT_REF_MAX = 21  # QBO's limit on PaymentRefNum; longer references go in PrivateNote only


def record_payment(
    client: QuickBooksClient,
    customer_id: str,
    invoice_id: str,
    amount: Money,
    txn_date: date,
    reference: str,
    request_id: str,
) -> str:
    """Create a Payment applied to `invoice_id`; returns the payment's id."""
    wire_amount = _json_number(amount)
    line = PaymentLine()
    line.Amount = wire_amount
    line.LinkedTxn = [_linked_invoice(invoice_id)]
    payment = Payment()
    payment.CustomerRef = _ref(customer_id)
    payment.CurrencyRef = _ref(amount.currency)
    payment.TotalAmt = wire_amount
    payment.TxnDate = txn_date.isoformat()
    payment.PrivateNote = reference
    if len(reference) <= PAYMENT_REF_MAX:
        payment.PaymentRefNum = reference
    payment.Line = [line]
    saved = client.call(
        f"record payment on invoice {invoice_id}",
        lambda: payment.save(qb=client.sdk, request_id=request_id),
    )
    return str(saved.Id)


def _json_number(amount: Money) -> float:
    """The amount as the JSON number QBO reads, checked to print as exactly the decimal.

    python-quickbooks writes a `Decimal` as a JSON *string*; QBO's amounts are numbers. A float
    whose shortest repr equals the decimal serialises to exactly those digits (any amount with up
    to 15 significant digits does), and anything else is refused rather than rounded.
    """
    exact = amount.to_decimal()
    number = float(exact)
    if Decimal(repr(number)) != exact:
        raise PermanentError(
            f"{amount} cannot be written to QuickBooks without rounding", vendor=VENDOR
        )
    return number


def _ref(value: str) -> Ref:
    ref = Ref()
    ref.value = value
    ref.name = None
    ref.type = None
    return ref


def _linked_invoice(invoice_id: str) -> LinkedTxn:
    linked = LinkedTxn()
    linked.TxnId = invoice_id
    linked.TxnType = "Invoice"
    linked.TxnLineId = None  # whole invoice, not one line of it
    return linked
