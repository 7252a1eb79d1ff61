"""Reconciliation runs: one row per run, for the trend across runs."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Index, Integer, Table

from canonical.store.meta import SURROGATE_ID, metadata
from canonical.store.types import UtcMicros

reconcile_runs = Table(
    "reconcile_runs",
    metadata,
    Column("id", SURROGATE_ID, primary_key=True, autoincrement=True),
    Column("as_of", Date(), nullable=False),
    Column("started_at", UtcMicros(), nullable=False),
    Column("finished_at", UtcMicros(), nullable=True),
    Column("open_findings", Integer(), nullable=False),
    Column("counts_by_kind", JSON(), nullable=False),  # {kind: count}
    Column("amounts_by_kind", JSON(), nullable=False),  # {kind: [{"minor", "currency"}, ...]}
    Column("metrics", JSON(), nullable=True),
    Index(None, "started_at"),
)
