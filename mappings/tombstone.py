"""Tombstones: the record a deletion maps to when the payload no longer says what was deleted.

Stripe answers a delete with `{"id", "object", "deleted": true}` and QuickBooks CDC with
`{"Id", "status": "Deleted"}`: there is no amount or currency to map. A tombstone keeps the identity
and lineage that matter (`source`, `source_id`, `version`, `read_at`, `deleted=True`); its
required content fields hold neutral values (zero amounts, status "deleted", VOID, CANCELED) that
are not data.
Readers must check `deleted` first, and the store keeps a record's last real content when a
tombstone arrives.
"""

from __future__ import annotations

from collections.abc import Callable

from canonical.money import Money
from canonical.records import (
    BalanceTransaction,
    Contact,
    CreditNote,
    Deal,
    DealLine,
    Deposit,
    Dispute,
    Invoice,
    InvoicePayment,
    InvoiceStatus,
    Lead,
    LedgerAccount,
    LedgerEntry,
    Party,
    Payment,
    PaymentKind,
    PaymentStatus,
    Payout,
    Record,
    Refund,
    Subscription,
    User,
)
from mappings.reader import Lineage

DELETED = "deleted"

_Factory = Callable[[Lineage, Money], Record]

_FACTORIES: dict[type[Record], _Factory] = {
    Party: lambda lin, zero: Party(**lin),
    Contact: lambda lin, zero: Contact(**lin),
    User: lambda lin, zero: User(**lin, active=False),
    Lead: lambda lin, zero: Lead(**lin),
    Deal: lambda lin, zero: Deal(**lin),
    DealLine: lambda lin, zero: DealLine(**lin, deal_id=""),
    Invoice: lambda lin, zero: Invoice(
        **lin, party_id=None, status=InvoiceStatus.VOID, currency=zero.currency, total=zero
    ),
    Subscription: lambda lin, zero: Subscription(**lin, party_id=None, status=DELETED),
    InvoicePayment: lambda lin, zero: InvoicePayment(
        **lin, invoice_id="", amount_paid=zero, status=DELETED
    ),
    Refund: lambda lin, zero: Refund(**lin, amount=zero, status=DELETED),
    Dispute: lambda lin, zero: Dispute(**lin, amount=zero, status=DELETED),
    CreditNote: lambda lin, zero: CreditNote(**lin, amount=zero, status=DELETED),
    Payout: lambda lin, zero: Payout(**lin, amount=zero, status=DELETED),
    BalanceTransaction: lambda lin, zero: BalanceTransaction(
        **lin, amount=zero, fee=zero, net=zero, type=DELETED
    ),
    Deposit: lambda lin, zero: Deposit(**lin, amount=zero),
    LedgerEntry: lambda lin, zero: LedgerEntry(**lin, amount=zero),
    LedgerAccount: lambda lin, zero: LedgerAccount(**lin, name="", active=False),
}


def tombstone(
    record_type: type[Record], lineage: Lineage, currency: str, kind: PaymentKind | None = None
) -> Record:
    """The deleted record of `record_type` (a payment also needs its kind)."""
    zero = Money.zero(currency)
    deleted = Lineage(**{**lineage, "deleted": True})
    if record_type is Payment:
        return Payment(
            **deleted,
            kind=kind or PaymentKind.CHARGE,
            party_id=None,
            amount=zero,
            status=PaymentStatus.CANCELED,
        )
    return _FACTORIES[record_type](deleted, zero)
