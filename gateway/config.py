"""What the gateway needs to know, as plain values: `hub` reads the environment and builds this.

A source whose secret is None is not configured and accepts nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from connectors.generic import HmacScheme
from connectors.generic.standard import secret_key

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StandardSource:
    """A generic source signing with Standard Webhooks (`whsec_…` secret)."""

    secret: str

    def __post_init__(self) -> None:
        secret_key(self.secret)  # a malformed secret fails at start-up, not per request


GenericSource = StandardSource | HmacScheme


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    stripe_secret: str | None = None
    quickbooks_verifier_token: str | None = None
    salesforce_token: str | None = None
    salesforce_org_id: str | None = None
    generic_sources: Mapping[str, GenericSource] = field(default_factory=dict)
    ops_token: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    signature_tolerance_s: int = 300
    # Group commit: at most this many events per INSERT; more wait for the next one.
    batch_max_events: int = 512
    # Batches in flight at once, each committed on its own connection: while one commits (the
    # process waits on the WAL flush), the next is parsed and verified (see gateway.ingest).
    inbox_writers: int = 2
    # Event loop rounds a writer lets run before taking a batch, so in-flight requests join it.
    batch_gather_rounds: int = 1
    # A request that brings the events waiting to this many commits them at once when a
    # connection is idle, rather than when a writer's turn comes (see gateway.ingest).
    batch_lead_events: int = 16
    # The enqueue loop waits this long before each queue call, so one `process_events` job
    # carries every batch committed meanwhile (see gateway.ingest).
    enqueue_wait_s: float = 0.02
