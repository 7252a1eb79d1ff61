"""The canonical records: one small frozen value per revenue-cycle thing, from whichever system.

Every synced record carries its source reference (`source`, `source_id`) and its lineage:
`version`, the source's own notion of "how new" (QuickBooks `LastUpdatedTime`, Salesforce
`SystemModstamp`, a Stripe event's `created`, or the time of a Stripe list read), and `read_at`,
when we read it. The store never lets an older version overwrite a newer one.

Foreign keys are the *source* ids of the same system (an invoice's `party_id` is the Stripe `cus_…`
for a Stripe invoice, the QBO Customer `Id` for a QBO invoice). Cross-system links are made by
identity resolution and the reconciler, never by overwriting ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from canonical.money import Money


class Source(StrEnum):
    STRIPE = "stripe"
    SALESFORCE = "salesforce"
    QUICKBOOKS = "quickbooks"


@dataclass(frozen=True, slots=True, order=True)
class SourceRef:
    """Where a record lives: the system and that system's id for it."""

    source: Source
    source_id: str

    def as_json(self) -> dict[str, str]:
        return {"source": self.source.value, "id": self.source_id}


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """Fields every synced record has."""

    source: Source
    source_id: str
    version: datetime
    read_at: datetime | None = None
    deleted: bool = False

    @property
    def ref(self) -> SourceRef:
        return SourceRef(self.source, self.source_id)


# --- parties and people -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Party(Record):
    """A customer (Stripe, QuickBooks) or account (Salesforce)."""

    name: str | None = None
    email: str | None = None
    domain: str | None = None
    currency: str | None = None
    owner_id: str | None = None
    salesforce_account_id: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact(Record):
    party_id: str | None = None
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class User(Record):
    """A Salesforce user: the owner of accounts, deals and follow-up tasks."""

    name: str | None = None
    email: str | None = None
    active: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Lead(Record):
    name: str | None = None
    email: str | None = None
    company: str | None = None
    status: str | None = None
    owner_id: str | None = None
    is_converted: bool = False
    converted_account_id: str | None = None
    converted_deal_id: str | None = None
    converted_on: date | None = None
    created_at: datetime | None = None


# --- deals ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Deal(Record):
    """A Salesforce opportunity."""

    name: str | None = None
    party_id: str | None = None
    owner_id: str | None = None
    stage: str | None = None
    is_closed: bool = False
    is_won: bool = False
    amount: Money | None = None
    close_date: date | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DealLine(Record):
    """A Salesforce opportunity line item."""

    deal_id: str
    product: str | None = None
    quantity: Decimal | None = None
    unit_price: Money | None = None
    total: Money | None = None


# --- billing --------------------------------------------------------------------------------------


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceLine:
    line_id: str
    description: str | None
    quantity: Decimal | None
    amount: Money
    unit_amount: Money | None = None
    discount: Money | None = None
    tax: Money | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Invoice(Record):
    """A Stripe invoice or a QuickBooks invoice. Amounts share the invoice's currency."""

    party_id: str | None
    status: InvoiceStatus
    currency: str
    total: Money
    subtotal: Money | None = None
    discount: Money | None = None
    tax: Money | None = None
    amount_paid: Money | None = None
    balance: Money | None = None
    number: str | None = None
    private_note: str | None = None
    issued_on: date | None = None
    due_date: date | None = None
    created_at: datetime | None = None
    finalized_at: datetime | None = None
    paid_at: datetime | None = None
    subscription_id: str | None = None
    deal_id: str | None = None
    discount_approved_by: str | None = None
    attempt_count: int = 0
    lines: tuple[InvoiceLine, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription(Record):
    party_id: str | None
    status: str
    currency: str | None = None
    deal_id: str | None = None
    discount_approved_by: str | None = None
    created_at: datetime | None = None
    current_period_end: datetime | None = None


class PaymentStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PENDING = "pending"
    CANCELED = "canceled"


class PaymentKind(StrEnum):
    CHARGE = "charge"  # Stripe charge: one attempt to move money
    PAYMENT_INTENT = "payment_intent"  # Stripe payment intent: the attempts for one amount
    LEDGER_PAYMENT = "ledger_payment"  # QuickBooks Payment


@dataclass(frozen=True, slots=True, kw_only=True)
class Allocation:
    """How much of a payment went to one invoice (QBO `LinkedTxn`, a Stripe invoice payment)."""

    invoice_id: str
    amount: Money


@dataclass(frozen=True, slots=True, kw_only=True)
class Payment(Record):
    kind: PaymentKind
    party_id: str | None
    amount: Money
    status: PaymentStatus
    created_at: datetime | None = None
    paid_on: date | None = None
    payment_intent_id: str | None = None
    charge_id: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    reference: str | None = None
    private_note: str | None = None
    amount_refunded: Money | None = None
    allocations: tuple[Allocation, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoicePayment(Record):
    """Stripe's link from an invoice to a payment intent or charge (the "basil" API)."""

    invoice_id: str
    amount_paid: Money
    status: str
    payment_intent_id: str | None = None
    charge_id: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Refund(Record):
    """A Stripe refund or a QuickBooks refund receipt."""

    amount: Money
    status: str
    payment_id: str | None = None
    party_id: str | None = None
    reason: str | None = None
    private_note: str | None = None
    created_at: datetime | None = None
    txn_date: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Dispute(Record):
    amount: Money
    status: str
    payment_id: str | None = None
    payment_intent_id: str | None = None
    reason: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditNote(Record):
    """A Stripe credit note or a QuickBooks credit memo."""

    amount: Money
    status: str | None = None
    invoice_id: str | None = None
    party_id: str | None = None
    number: str | None = None
    private_note: str | None = None
    created_at: datetime | None = None
    txn_date: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Payout(Record):
    amount: Money
    status: str
    arrival_date: date | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BalanceTransaction(Record):
    """A Stripe balance movement: the gross amount, its fee, and the payout that settled it."""

    amount: Money
    fee: Money
    net: Money
    type: str
    source_object_id: str | None = None
    payout_id: str | None = None
    created_at: datetime | None = None
    available_on: date | None = None


# --- ledger ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Deposit(Record):
    """A QuickBooks bank deposit (where a Stripe payout lands)."""

    amount: Money
    txn_date: date | None = None
    private_note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerLine:
    account_id: str | None
    posting: str  # "debit" or "credit"
    amount: Money
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEntry(Record):
    """A QuickBooks journal entry. `amount` is the sum of its debits."""

    amount: Money
    txn_date: date | None = None
    doc_number: str | None = None
    private_note: str | None = None
    lines: tuple[LedgerLine, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerAccount(Record):
    """An account of the QuickBooks chart of accounts."""

    name: str
    account_type: str | None = None
    classification: str | None = None
    currency: str | None = None
    active: bool = True


# --- cross-system ---------------------------------------------------------------------------------


class LinkMethod(StrEnum):
    EXPLICIT_ID = "explicit_id"  # an id of the other system stored on the record
    EMAIL = "email"  # the same normalised email
    DOMAIN_NAME = "domain_name"  # the same email domain and normalised name


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityLink:
    """Two parties in different systems found to be the same customer, and how we know."""

    left: SourceRef
    right: SourceRef
    method: LinkMethod
    evidence: str


class FindingStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class FindingKind(StrEnum):
    MISSING_IN_LEDGER = "missing_in_ledger"
    MISSING_IN_BILLING = "missing_in_billing"
    AMOUNT_MISMATCH = "amount_mismatch"
    CURRENCY_MISMATCH = "currency_mismatch"
    STATUS_MISMATCH = "status_mismatch"
    DUPLICATE_PAYMENT = "duplicate_payment"
    UNBILLED_DEAL = "unbilled_deal"
    UNDERBILLED_DEAL = "underbilled_deal"
    EXCESS_DISCOUNT = "excess_discount"
    UNRECOVERED_PAYMENT = "unrecovered_payment"
    UNRECORDED_DISPUTE = "unrecorded_dispute"
    PAYOUT_MISMATCH = "payout_mismatch"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One discrepancy, reported once, at the level that explains it."""

    kind: FindingKind
    key: SourceRef  # the record the finding is keyed by (DESIGN.md's finding table)
    records: tuple[SourceRef, ...]
    amount_at_stake: Money
    detail: str
    fingerprint: str
    status: FindingStatus = FindingStatus.OPEN
    party: SourceRef | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


SYNCED_RECORD_TYPES: tuple[type[Record], ...] = (
    Party,
    Contact,
    User,
    Lead,
    Deal,
    DealLine,
    Invoice,
    Subscription,
    Payment,
    InvoicePayment,
    Refund,
    Dispute,
    CreditNote,
    Payout,
    BalanceTransaction,
    Deposit,
    LedgerEntry,
    LedgerAccount,
)
