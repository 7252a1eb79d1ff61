"""Builders of one realistic sample of every synced record type, for the store tests.

Every optional field is filled, so a round trip through the store checks every column.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from canonical.money import Money
from canonical.records import (
    Allocation,
    BalanceTransaction,
    Contact,
    CreditNote,
    Deal,
    DealLine,
    Deposit,
    Dispute,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    InvoiceStatus,
    Lead,
    LedgerAccount,
    LedgerEntry,
    LedgerLine,
    Party,
    Payment,
    PaymentKind,
    PaymentStatus,
    Payout,
    Record,
    Refund,
    Source,
    Subscription,
    User,
)

T0 = datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)
USD = "USD"


def usd(minor: int) -> Money:
    return Money(minor, USD)


def at(seconds: int) -> datetime:
    """A version `seconds` after T0."""
    return T0 + timedelta(seconds=seconds)


def invoice_line(n: int, amount: int = 1000) -> InvoiceLine:
    return InvoiceLine(
        line_id=f"il_{n}",
        description=f"Seat licence {n}",
        quantity=Decimal("1.50"),
        amount=usd(amount),
        unit_amount=usd(amount // 2),
        discount=usd(10),
        tax=usd(5),
    )


def invoice(source_id: str = "in_1", *, version: datetime = T0, **changes: Any) -> Invoice:
    base = Invoice(
        source=Source.STRIPE,
        source_id=source_id,
        version=version,
        read_at=T0 + timedelta(minutes=1),
        party_id="cus_1",
        status=InvoiceStatus.OPEN,
        currency=USD,
        total=usd(3000),
        subtotal=usd(3100),
        discount=usd(100),
        tax=usd(0),
        amount_paid=usd(0),
        balance=usd(3000),
        number="INV-0001",
        private_note="from Stripe",
        issued_on=date(2026, 3, 1),
        due_date=date(2026, 3, 31),
        created_at=T0,
        finalized_at=T0 + timedelta(hours=1),
        paid_at=None,
        subscription_id="sub_1",
        deal_id="006A",
        discount_approved_by="ops@example.com",
        attempt_count=1,
        lines=(invoice_line(1), invoice_line(2), invoice_line(3)),
    )
    return dataclasses.replace(base, **changes)


def _common(source: Source, source_id: str) -> dict[str, Any]:
    return {"source": source, "source_id": source_id, "version": T0, "read_at": T0}


def one_of_each() -> list[Record]:
    """One record of every type in `SYNCED_RECORD_TYPES`, every field set."""
    sf, st, qb = Source.SALESFORCE, Source.STRIPE, Source.QUICKBOOKS
    return [
        Party(
            **_common(st, "cus_1"),
            name="Acme",
            email="ap@acme.test",
            domain="acme.test",
            currency=USD,
            owner_id="005A",
            salesforce_account_id="001A",
            created_at=T0,
        ),
        Contact(**_common(sf, "003A"), party_id="001A", name="Ann", email="ann@acme.test"),
        User(**_common(sf, "005A"), name="Owner", email="owner@us.test", active=False),
        Lead(
            **_common(sf, "00QA"),
            name="Lee",
            email="lee@acme.test",
            company="Acme",
            status="Converted",
            owner_id="005A",
            is_converted=True,
            converted_account_id="001A",
            converted_deal_id="006A",
            converted_on=date(2026, 2, 1),
            created_at=T0,
        ),
        Deal(
            **_common(sf, "006A"),
            name="Acme renewal",
            party_id="001A",
            owner_id="005A",
            stage="Closed Won",
            is_closed=True,
            is_won=True,
            amount=Money(1_234_567, "JPY"),
            close_date=date(2026, 2, 28),
            created_at=T0,
        ),
        DealLine(
            **_common(sf, "00kA"),
            deal_id="006A",
            product="Seats",
            quantity=Decimal("2.125"),
            unit_price=Money(1500, "KWD"),
            total=Money(3187, "KWD"),
        ),
        invoice(),
        Subscription(
            **_common(st, "sub_1"),
            party_id="cus_1",
            status="active",
            currency=USD,
            deal_id="006A",
            discount_approved_by="cfo@us.test",
            created_at=T0,
            current_period_end=T0 + timedelta(days=30),
        ),
        Payment(
            **_common(qb, "77"),
            kind=PaymentKind.LEDGER_PAYMENT,
            party_id="12",
            amount=usd(3000),
            status=PaymentStatus.SUCCEEDED,
            created_at=T0,
            paid_on=date(2026, 3, 2),
            payment_intent_id="pi_1",
            charge_id="ch_1",
            failure_code="card_declined",
            failure_message="declined once",
            reference="ch_1",
            private_note="Stripe ch_1",
            amount_refunded=usd(100),
            allocations=(
                Allocation(invoice_id="130", amount=usd(2000)),
                Allocation(invoice_id="131", amount=usd(1000)),
            ),
        ),
        InvoicePayment(
            **_common(st, "inpay_1"),
            invoice_id="in_1",
            amount_paid=usd(3000),
            status="paid",
            payment_intent_id="pi_1",
            charge_id="ch_1",
            created_at=T0,
        ),
        Refund(
            **_common(st, "re_1"),
            amount=usd(100),
            status="succeeded",
            payment_id="ch_1",
            party_id="cus_1",
            reason="requested_by_customer",
            private_note="note",
            created_at=T0,
            txn_date=date(2026, 3, 3),
        ),
        Dispute(
            **_common(st, "dp_1"),
            amount=usd(3000),
            status="lost",
            payment_id="ch_1",
            payment_intent_id="pi_1",
            reason="fraudulent",
            created_at=T0,
        ),
        CreditNote(
            **_common(qb, "140"),
            amount=usd(500),
            status="issued",
            invoice_id="130",
            party_id="12",
            number="CM-1",
            private_note="cn_1",
            created_at=T0,
            txn_date=date(2026, 3, 4),
        ),
        Payout(
            **_common(st, "po_1"), amount=usd(2900), status="paid", arrival_date=date(2026, 3, 5)
        ),
        BalanceTransaction(
            **_common(st, "txn_1"),
            amount=usd(3000),
            fee=usd(100),
            net=usd(2900),
            type="charge",
            source_object_id="ch_1",
            payout_id="po_1",
            created_at=T0,
            available_on=date(2026, 3, 5),
        ),
        Deposit(
            **_common(qb, "150"), amount=usd(2900), txn_date=date(2026, 3, 5), private_note="po_1"
        ),
        LedgerEntry(
            **_common(qb, "160"),
            amount=usd(3000),
            txn_date=date(2026, 3, 6),
            doc_number="JE-1",
            private_note="dp_1",
            lines=(
                LedgerLine(account_id="1", posting="debit", amount=usd(3000), description="loss"),
                LedgerLine(account_id=None, posting="credit", amount=usd(3000)),
            ),
        ),
        LedgerAccount(
            **_common(qb, "1"),
            name="Chargebacks",
            account_type="Expense",
            classification="Expense",
            currency=USD,
            active=False,
        ),
    ]
