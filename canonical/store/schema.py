"""The whole schema: import this module to get `metadata` with every table registered."""

from __future__ import annotations

from canonical.store.meta import metadata
from canonical.store.ops_tables import (
    finding_history,
    findings,
    followups,
    identity_links,
    inbox_events,
    oauth_tokens,
    sync_checkpoints,
)
from canonical.store.recon_tables import reconcile_runs
from canonical.store.record_tables import RECORD_TABLES, TABLE_NAMES, invoice_lines, table_for

__all__ = [
    "RECORD_TABLES",
    "TABLE_NAMES",
    "finding_history",
    "findings",
    "followups",
    "identity_links",
    "inbox_events",
    "invoice_lines",
    "metadata",
    "oauth_tokens",
    "reconcile_runs",
    "sync_checkpoints",
    "table_for",
]
