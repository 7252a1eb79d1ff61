"""The store's operational tables: identity links, sync checkpoints, the webhook inbox, findings,
follow-ups and OAuth tokens. Their repositories arrive with the issues that use them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from canonical.store.meta import SURROGATE_ID, metadata
from canonical.store.types import UtcMicros

identity_links = Table(
    "identity_links",
    metadata,
    Column("id", SURROGATE_ID, primary_key=True, autoincrement=True),
    Column("left_source", String(32), nullable=False),
    Column("left_source_id", Text(), nullable=False),
    Column("right_source", String(32), nullable=False),
    Column("right_source_id", Text(), nullable=False),
    Column("method", String(32), nullable=False),
    Column("evidence", Text(), nullable=False),
    Column("created_at", UtcMicros(), nullable=False),
    UniqueConstraint(
        "left_source",
        "left_source_id",
        "right_source",
        "right_source_id",
        name="uq_identity_links_pair",  # the conventional name passes PostgreSQL's 63 bytes
    ),
    Index(None, "right_source", "right_source_id"),
)

sync_checkpoints = Table(
    "sync_checkpoints",
    metadata,
    Column("id", SURROGATE_ID, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("object", String(64), nullable=False),
    Column("cursor", Text(), nullable=True),
    Column("last_synced_at", UtcMicros(), nullable=True),
    Column("last_error", Text(), nullable=True),
    Column("updated_at", UtcMicros(), nullable=False),
    UniqueConstraint("source", "object"),
)

INBOX_STATUSES = ("received", "processing", "processed", "ignored", "dead")

inbox_events = Table(
    "inbox_events",
    metadata,
    Column("id", SURROGATE_ID, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("dedupe_key", Text(), nullable=False),
    Column("event_type", Text(), nullable=True),
    Column("received_at", UtcMicros(), nullable=False),
    Column("headers", JSON(), nullable=False),
    Column("body", LargeBinary(), nullable=False),
    Column("status", String(16), nullable=False),  # one of INBOX_STATUSES
    Column("attempts", Integer(), nullable=False),
    Column("error", Text(), nullable=True),
    Column("processed_at", UtcMicros(), nullable=True),
    UniqueConstraint("source", "dedupe_key"),
    Index(None, "status"),
)

findings = Table(
    "findings",
    metadata,
    Column("id", SURROGATE_ID, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("key_source", String(32), nullable=False),
    Column("key_source_id", Text(), nullable=False),
    Column("records", JSON(), nullable=False),
    Column("amount_minor", BigInteger(), nullable=False),
    Column("amount_currency", String(3), nullable=False),
    Column("detail", Text(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("party_source", String(32), nullable=True),
    Column("party_source_id", Text(), nullable=True),
    Column("extra", JSON(), nullable=True),
    Column("first_seen", UtcMicros(), nullable=False),
    Column("last_seen", UtcMicros(), nullable=False),
    Column("resolved_at", UtcMicros(), nullable=True),
    Column("updated_at", UtcMicros(), nullable=False),
    UniqueConstraint("fingerprint"),
    Index(None, "kind", "status"),
    Index(None, "key_source", "key_source_id"),
)

finding_history = Table(
    "finding_history",
    metadata,
    Column("id", SURROGATE_ID, primary_key=True, autoincrement=True),
    Column(
        "fingerprint",
        String(64),
        ForeignKey("findings.fingerprint", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("at", UtcMicros(), nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=False),
    Column("note", Text(), nullable=True),
    Index(None, "fingerprint"),
)

followups = Table(
    "followups",
    metadata,
    Column("id", SURROGATE_ID, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("idempotency_key", Text(), nullable=False),
    Column("target", Text(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("request", JSON(), nullable=True),
    Column("response", JSON(), nullable=True),
    Column("error", Text(), nullable=True),
    Column("created_at", UtcMicros(), nullable=False),
    Column("updated_at", UtcMicros(), nullable=False),
    UniqueConstraint("idempotency_key"),
    Index(None, "status"),
)

oauth_tokens = Table(
    "oauth_tokens",
    metadata,
    Column("id", SURROGATE_ID, primary_key=True, autoincrement=True),
    Column("provider", String(32), nullable=False),
    Column("account_key", Text(), nullable=False),
    Column("access_token", Text(), nullable=False),
    Column("refresh_token", Text(), nullable=True),
    Column("expires_at", UtcMicros(), nullable=True),
    Column("version", Integer(), nullable=False),  # compare-and-swap guard for rotation
    Column("updated_at", UtcMicros(), nullable=False),
    UniqueConstraint("provider", "account_key"),
)
