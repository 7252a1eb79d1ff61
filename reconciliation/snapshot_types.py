"""The snapshot's rows: just the fields the rules read, as named tuples.

A full canonical record carries lineage, lines and optional fields the rules never look at; a
snapshot row is a tuple of a dozen scalars (amounts as integer minor units beside an upper-case
currency), so millions fit in memory. `reconciliation.snapshot` holds them in a `Snapshot` and
makes them from canonical records; `reconciliation.snapshot_rows` makes them from the store's rows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from canonical.records import Source


class StripeInvoice(NamedTuple):
    id: str
    party_id: str | None
    status: str
    currency: str
    total: int
    subtotal: int
    discount: int
    tax: int
    remaining: int
    number: str | None
    # Only for an invoice without a due date, the one case a rule reads it (from when an
    # unrecovered payment's grace runs): a million instants not decoded at a million invoices.
    created_at: datetime | None
    finalized_at: datetime | None
    paid_at: datetime | None
    due_date: date | None
    subscription_id: str | None
    deal_id: str | None
    approved_by: str | None


class Charge(NamedTuple):
    id: str
    party_id: str | None
    intent_id: str | None
    status: str
    amount: int
    currency: str
    created_at: datetime | None


class InvoiceLink(NamedTuple):
    """A Stripe invoice payment: the invoice and the intent (or charge) that pays it."""

    invoice_id: str
    intent_id: str | None
    charge_id: str | None


class StripeMoney(NamedTuple):
    """A Stripe refund, credit note, dispute or payout: an id, a status, an amount, a date."""

    id: str
    status: str
    amount: int
    currency: str
    created_at: datetime | None
    parent_id: str | None  # refund/dispute: the charge; credit note: the invoice
    arrival_date: date | None = None


class StripeSubscription(NamedTuple):
    id: str
    deal_id: str | None
    approved_by: str | None


class LedgerInvoice(NamedTuple):
    id: str
    party_id: str | None
    currency: str
    total: int
    balance: int
    number: str | None
    note: str | None
    issued_on: date | None


class LedgerPayment(NamedTuple):
    id: str
    currency: str
    amount: int
    reference: str | None
    note: str | None
    created_at: datetime | None
    paid_on: date | None
    invoice_ids: tuple[str, ...]


class LedgerNote(NamedTuple):
    """A QBO refund receipt, credit memo, journal entry or deposit: amount, date and memo."""

    id: str
    currency: str
    amount: int
    note: str | None
    txn_date: date | None
    created_at: datetime | None


class InvoiceCounterpart(NamedTuple):
    """What the invoice rules compare of the QuickBooks invoice a DocNumber names."""

    id: str
    currency: str
    total: int
    balance: int


class RefPosting(NamedTuple):
    """A QuickBooks payment that names one charge by PaymentRefNum alone, paired by the store."""

    id: str
    currency: str
    amount: int
    created_at: datetime | None
    paid_on: date | None


class SalesDeal(NamedTuple):
    id: str
    party_id: str | None
    is_won: bool
    amount: int
    currency: str | None
    close_date: date | None
    created_at: datetime | None


class SalesLead(NamedTuple):
    id: str
    created_at: datetime | None
    converted_on: date | None
    deal_id: str | None


class PartyRow(NamedTuple):
    source: Source
    id: str
    name: str | None
    email: str | None
    salesforce_account_id: str | None
