"""The reconciler's compact inputs: a `Snapshot` of rows, a list per family, and its builder.

The rows are named tuples of just the fields the rules read (`reconciliation.snapshot_types`);
`StorePairs` holds what the store paired itself. `SnapshotBuilder` turns canonical records into
rows one at a time, so a loader can stream records into it. Deleted records are dropped here: they
are not evidence of anything, and a deleted QuickBooks record means "no counterpart".
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from canonical.records import (
    CreditNote,
    Deal,
    Deposit,
    Dispute,
    Invoice,
    InvoicePayment,
    Lead,
    LedgerEntry,
    Party,
    Payment,
    PaymentKind,
    Payout,
    Record,
    Refund,
    Source,
    Subscription,
)
from reconciliation.snapshot_types import (
    Charge,
    InvoiceCounterpart,
    InvoiceLink,
    LedgerInvoice,
    LedgerNote,
    LedgerPayment,
    PartyRow,
    RefPosting,
    SalesDeal,
    SalesLead,
    StripeInvoice,
    StripeMoney,
    StripeSubscription,
)


@dataclass(slots=True)
class StorePairs:
    """What the store's engine paired by equal identifiers (`canonical.store.recon_pairs`).

    `invoice_numbers[i]` is the counterpart of `Snapshot.invoices[i]` by DocNumber (None: no
    QuickBooks invoice has its number); `charge_postings[id]` is the one posting of the charge
    `id` when nothing but that PaymentRefNum names the charge, and the posting differs from the
    charge in amount or currency. When they agree, the rules need only the posting's booking date
    (the UTC day it was created, else its payment date): `agreed_postings[id]`. The snapshot's
    QuickBooks families then lack the rows paired here, and only those.

    The links between invoices and charges are resolved too, and the snapshot's `invoice_links`
    stay empty: link `k` names the invoice with id `link_invoices[k]` and finds charge
    `Snapshot.charges[link_charges[k]]` (-1: none), one entry per charge found, in link order.
    Charge positions are machine integers (`array`), 8 bytes each where a list of ints took 40.
    """

    invoice_numbers: list[InvoiceCounterpart | None] = field(default_factory=list)
    charge_postings: dict[str, RefPosting] = field(default_factory=dict)
    agreed_postings: dict[str, date | None] = field(default_factory=dict)
    link_invoices: list[str | None] = field(default_factory=list)
    link_charges: array[int] = field(default_factory=lambda: array("q"))


@dataclass(slots=True)
class Snapshot:
    invoices: list[StripeInvoice] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    invoice_links: list[InvoiceLink] = field(default_factory=list)
    refunds: list[StripeMoney] = field(default_factory=list)
    credit_notes: list[StripeMoney] = field(default_factory=list)
    disputes: list[StripeMoney] = field(default_factory=list)
    payouts: list[StripeMoney] = field(default_factory=list)
    subscriptions: list[StripeSubscription] = field(default_factory=list)
    ledger_invoices: list[LedgerInvoice] = field(default_factory=list)
    ledger_payments: list[LedgerPayment] = field(default_factory=list)
    refund_receipts: list[LedgerNote] = field(default_factory=list)
    credit_memos: list[LedgerNote] = field(default_factory=list)
    journal_entries: list[LedgerNote] = field(default_factory=list)
    deposits: list[LedgerNote] = field(default_factory=list)
    deals: list[SalesDeal] = field(default_factory=list)
    leads: list[SalesLead] = field(default_factory=list)
    parties: list[PartyRow] = field(default_factory=list)
    paired: StorePairs | None = None  # None: the Python linking pairs everything


def _minor(money: object) -> int:
    return 0 if money is None else int(getattr(money, "minor"))  # noqa: B009


class SnapshotBuilder:
    """Feed canonical records with `add`; take the compact `snapshot` at the end."""

    def __init__(self) -> None:
        self.snapshot = Snapshot()

    def add_all(self, records: Iterable[Record]) -> Snapshot:
        for record in records:
            self.add(record)
        return self.snapshot

    def add(self, record: Record) -> None:
        if record.deleted:
            return
        handler = _HANDLERS.get((type(record), record.source))
        if handler is not None:
            handler(self.snapshot, record)


def _stripe_invoice(s: Snapshot, r: Invoice) -> None:
    s.invoices.append(
        StripeInvoice(
            r.source_id,
            r.party_id,
            r.status.value,
            r.currency,
            r.total.minor,
            _minor(r.subtotal),
            _minor(r.discount),
            _minor(r.tax),
            _minor(r.balance),
            r.number,
            r.created_at if r.due_date is None else None,
            r.finalized_at,
            r.paid_at,
            r.due_date,
            r.subscription_id,
            r.deal_id,
            r.discount_approved_by,
        )
    )


def _ledger_invoice(s: Snapshot, r: Invoice) -> None:
    s.ledger_invoices.append(
        LedgerInvoice(
            r.source_id,
            r.party_id,
            r.total.currency,
            r.total.minor,
            _minor(r.balance),
            r.number,
            r.private_note,
            r.issued_on,
        )
    )


def _stripe_payment(s: Snapshot, r: Payment) -> None:
    if r.kind is not PaymentKind.CHARGE:
        return  # intents are reached through their charges
    s.charges.append(
        Charge(
            r.source_id,
            r.party_id,
            r.payment_intent_id,
            r.status.value,
            r.amount.minor,
            r.amount.currency,
            r.created_at,
        )
    )
    # Older API versions named the invoice on the charge; keep that link too.
    for allocation in r.allocations:
        s.invoice_links.append(InvoiceLink(allocation.invoice_id, None, r.source_id))


def _ledger_payment(s: Snapshot, r: Payment) -> None:
    s.ledger_payments.append(
        LedgerPayment(
            r.source_id,
            r.amount.currency,
            r.amount.minor,
            r.reference,
            r.private_note,
            r.created_at,
            r.paid_on,
            tuple(a.invoice_id for a in r.allocations),
        )
    )


def _invoice_link(s: Snapshot, r: InvoicePayment) -> None:
    s.invoice_links.append(InvoiceLink(r.invoice_id, r.payment_intent_id, r.charge_id))


def _stripe_refund(s: Snapshot, r: Refund) -> None:
    s.refunds.append(
        StripeMoney(
            r.source_id, r.status, r.amount.minor, r.amount.currency, r.created_at, r.payment_id
        )
    )


def _refund_receipt(s: Snapshot, r: Refund) -> None:
    s.refund_receipts.append(_note(r.source_id, r.amount, r.private_note, r.txn_date, r.created_at))


def _stripe_credit_note(s: Snapshot, r: CreditNote) -> None:
    s.credit_notes.append(
        StripeMoney(
            r.source_id,
            r.status or "",
            r.amount.minor,
            r.amount.currency,
            r.created_at,
            r.invoice_id,
        )
    )


def _credit_memo(s: Snapshot, r: CreditNote) -> None:
    s.credit_memos.append(_note(r.source_id, r.amount, r.private_note, r.txn_date, r.created_at))


def _note(
    ident: str, amount: object, note: str | None, day: date | None, at: datetime | None
) -> LedgerNote:
    currency = str(getattr(amount, "currency"))  # noqa: B009
    return LedgerNote(ident, currency, _minor(amount), note, day, at)


def _dispute(s: Snapshot, r: Dispute) -> None:
    s.disputes.append(
        StripeMoney(
            r.source_id, r.status, r.amount.minor, r.amount.currency, r.created_at, r.payment_id
        )
    )


def _payout(s: Snapshot, r: Payout) -> None:
    s.payouts.append(
        StripeMoney(
            r.source_id,
            r.status,
            r.amount.minor,
            r.amount.currency,
            r.created_at,
            None,
            r.arrival_date,
        )
    )


def _subscription(s: Snapshot, r: Subscription) -> None:
    s.subscriptions.append(StripeSubscription(r.source_id, r.deal_id, r.discount_approved_by))


def _journal(s: Snapshot, r: LedgerEntry) -> None:
    s.journal_entries.append(_note(r.source_id, r.amount, r.private_note, r.txn_date, None))


def _deposit(s: Snapshot, r: Deposit) -> None:
    s.deposits.append(_note(r.source_id, r.amount, r.private_note, r.txn_date, None))


def _deal(s: Snapshot, r: Deal) -> None:
    amount = r.amount
    s.deals.append(
        SalesDeal(
            r.source_id,
            r.party_id,
            r.is_won,
            _minor(amount),
            None if amount is None else amount.currency,
            r.close_date,
            r.created_at,
        )
    )


def _lead(s: Snapshot, r: Lead) -> None:
    converted = r.converted_on if r.is_converted else None
    s.leads.append(SalesLead(r.source_id, r.created_at, converted, r.converted_deal_id))


def _party(s: Snapshot, r: Party) -> None:
    s.parties.append(PartyRow(r.source, r.source_id, r.name, r.email, r.salesforce_account_id))


_S, _Q, _F = Source.STRIPE, Source.QUICKBOOKS, Source.SALESFORCE
_HANDLERS: dict[tuple[type[Record], Source], Callable[[Snapshot, Any], None]] = {
    (Invoice, _S): _stripe_invoice,
    (Invoice, _Q): _ledger_invoice,
    (Payment, _S): _stripe_payment,
    (Payment, _Q): _ledger_payment,
    (InvoicePayment, _S): _invoice_link,
    (Refund, _S): _stripe_refund,
    (Refund, _Q): _refund_receipt,
    (CreditNote, _S): _stripe_credit_note,
    (CreditNote, _Q): _credit_memo,
    (Dispute, _S): _dispute,
    (Payout, _S): _payout,
    (Subscription, _S): _subscription,
    (LedgerEntry, _Q): _journal,
    (Deposit, _Q): _deposit,
    (Deal, _F): _deal,
    (Lead, _F): _lead,
    (Party, _S): _party,
    (Party, _Q): _party,
    (Party, _F): _party,
}
