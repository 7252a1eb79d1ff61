"""One table per synced record type, derived from the record's dataclass fields.

Every record table has a surrogate `id`, the natural key `(source, source_id)` (unique), the
record's fields as columns (a `Money` field `x` becomes `x_minor` + `x_currency`), and the store's
bookkeeping: `content_hash` (of everything but version and read time) and `synced_at`. Instants
are epoch microseconds (`UtcMicros`), so `version` compares as an integer.

`Invoice.lines` is the one nested collection with its own table, `invoice_lines`, because the
reconciler queries lines; other small collections (allocations, ledger lines) are JSON.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from canonical.records import (
    SYNCED_RECORD_TYPES,
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
    Lead,
    LedgerAccount,
    LedgerEntry,
    Party,
    Payment,
    Payout,
    Record,
    Refund,
    Subscription,
    User,
)
from canonical.store.fields import FieldSpec, Kind, field_specs
from canonical.store.meta import SURROGATE_ID, metadata
from canonical.store.types import ExactDecimal, UtcMicros

TABLE_NAMES: Final[dict[type[Record], str]] = {
    Party: "parties",
    Contact: "contacts",
    User: "users",
    Lead: "leads",
    Deal: "deals",
    DealLine: "deal_lines",
    Invoice: "invoices",
    Subscription: "subscriptions",
    Payment: "payments",
    InvoicePayment: "invoice_payments",
    Refund: "refunds",
    Dispute: "disputes",
    CreditNote: "credit_notes",
    Payout: "payouts",
    BalanceTransaction: "balance_transactions",
    Deposit: "deposits",
    LedgerEntry: "ledger_entries",
    LedgerAccount: "ledger_accounts",
}

# Fields that are not plain columns of the record's own table.
CHILD_FIELDS: Final[dict[type[Record], frozenset[str]]] = {Invoice: frozenset({"lines"})}

# Lookups the reconciler makes (DESIGN.md's linking conventions). Invoices have none: nothing
# queries them by number or party in SQL, and every index slows the bulk upsert's COPY.
LOOKUP_INDEXES: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "parties": (("email",), ("salesforce_account_id",)),
    "contacts": (("party_id",),),
    "deals": (("party_id",),),
    "deal_lines": (("deal_id",),),
    "subscriptions": (("party_id",), ("deal_id",)),
    "payments": (("charge_id",), ("payment_intent_id",), ("reference",), ("party_id",)),
    "invoice_payments": (("invoice_id",), ("charge_id",), ("payment_intent_id",)),
    "refunds": (("payment_id",),),
    "disputes": (("payment_id",), ("payment_intent_id",)),
    "credit_notes": (("invoice_id",), ("number",)),
    "balance_transactions": (("payout_id",), ("source_object_id",)),
    "deposits": (("txn_date",),),
    "ledger_entries": (("doc_number",),),
}

BOOKKEEPING_COLUMNS: Final = ("content_hash", "synced_at")


def column_type(spec: FieldSpec) -> list[TypeEngine[Any]]:
    """The SQL type of each column a field becomes."""
    simple: dict[Kind, TypeEngine[Any]] = {
        Kind.TEXT: Text(),
        Kind.INT: BigInteger(),
        Kind.BOOL: Boolean(),
        Kind.DECIMAL: ExactDecimal(),
        Kind.INSTANT: UtcMicros(),
        Kind.DATE: Date(),
        Kind.ENUM: String(32),
        Kind.ITEMS: JSON(),
    }
    if spec.kind is Kind.MONEY:
        return [BigInteger(), String(3)]
    return [simple[spec.kind]]


def _field_columns(specs: tuple[FieldSpec, ...]) -> list[Column[Any]]:
    columns: list[Column[Any]] = []
    for spec in specs:
        for name, sql_type in zip(spec.columns, column_type(spec), strict=True):
            columns.append(Column(name, sql_type, nullable=spec.optional))
    return columns


def _record_table(record_type: type[Record]) -> Table:
    name = TABLE_NAMES[record_type]
    specs = field_specs(record_type, skip=CHILD_FIELDS.get(record_type, frozenset()))
    return Table(
        name,
        metadata,
        Column("id", SURROGATE_ID, primary_key=True, autoincrement=True),
        *_field_columns(specs),
        Column("content_hash", String(32), nullable=False),
        Column("synced_at", UtcMicros(), nullable=False),
        UniqueConstraint("source", "source_id"),
        *(Index(None, *cols) for cols in LOOKUP_INDEXES.get(name, ())),
    )


RECORD_TABLES: Final[dict[type[Record], Table]] = {
    record_type: _record_table(record_type) for record_type in SYNCED_RECORD_TYPES
}

# Lines are the bulk of an invoice sync, so their table is kept cheap to write: a line is keyed by
# its invoice and position (no sequence, one index), and `invoice_id` has no FOREIGN KEY. On
# PostgreSQL the per-row foreign-key trigger cost about 40% of the line writes, and it would guard
# nothing: lines are written only by the upsert, in its transaction, under the ids that same
# statement returned, and invoices are never deleted (a deleted invoice is flagged).
invoice_lines = Table(
    "invoice_lines",
    metadata,
    Column(
        "invoice_id",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("position", Integer(), primary_key=True, autoincrement=False),
    *_field_columns(field_specs(InvoiceLine)),
    sqlite_with_rowid=False,  # clustered on its key: one B-tree to write instead of two
)


def table_for(record_type: type[Record]) -> Table:
    return RECORD_TABLES[record_type]
