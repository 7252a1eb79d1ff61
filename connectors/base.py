"""The shape every connector shares, so knowing one means knowing all three.

A connector is a small package `connectors/<vendor>/` with:
- `config.py`: a frozen `<Vendor>Config` dataclass (the hub builds it from settings;
  connectors never read the environment);
- `client.py`: builds the vendor SDK client, authenticates, and translates SDK errors into
  `connectors.errors` through the vendor's `RetryPolicy` (`policy.py`: one table per vendor);
- `streams.py`: one `Stream` per object, reading pages and owning its cursor format;
- `webhooks.py`: the vendor's webhook signature scheme and payload parsing;
- `writeback.py`: the follow-up writes (Salesforce Task, QuickBooks Payment, ...).

The sync engine (`jobs.sync`) only sees `Connector`, `Stream`, `Page` and `Item`: it maps each
page's items, upserts them and stores the page's cursor in one transaction, so a checkpoint only
ever advances together with the data it covers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from canonical.records import Source
from connectors.errors import ConnectorError, network_reason


@dataclass(frozen=True, slots=True)
class Item:
    """One vendor object exactly as its API returned it, and what the stream knows about it."""

    obj: str  # the dataset object name: "invoices", "Opportunity", "Invoice", ...
    payload: Mapping[str, Any]
    version: datetime | None = None  # for payloads without a version of their own (Stripe events)
    deleted: bool = False  # the vendor said it is gone (a *.deleted event, CDC "Deleted")


@dataclass(frozen=True, slots=True)
class Page:
    """A batch of items and the cursor to store once they are committed.

    `cursor=None` keeps the stored cursor. `note` is something the user should be told once (for
    example "checkpoint older than Stripe's 30-day event window; reading everything again").
    """

    items: Sequence[Item]
    cursor: str | None
    read_at: datetime
    note: str | None = None


class Stream(Protocol):
    """Reads one object (or, for event-driven increments, one family of objects)."""

    @property
    def name(self) -> str:
        """The checkpoint key and the object name in `revcycle sync --json`."""
        ...

    def read(self, cursor: str | None) -> Iterator[Page]:
        """Pages from `cursor` on; `None` means a full read from the beginning.

        The stream decides what its cursor means: resuming an interrupted full read, or an
        incremental read of what changed since. Pages are produced lazily, so memory stays flat.
        """
        ...


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What `revcycle check` shows for one source."""

    source: Source
    ok: bool
    account: str | None = None
    api_version: str | None = None
    headroom: str | None = None
    error: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


def check_error(exc: ConnectorError) -> str:
    """A failed check in one line: what stopped the request when no answer came ("…: connection
    refused"), else the vendor's own words first, then ours."""
    reason = network_reason(exc)
    if reason is not None:
        return f"{exc}: {reason}"
    words = (exc.detail or "").strip().splitlines()
    return f"{words[0]} ({exc})" if words else str(exc)


class Connector(Protocol):
    source: Source

    def streams(self, objects: Sequence[str] | None = None) -> Sequence[Stream]:
        """The streams to sync, in dependency order (parties before invoices before payments)."""
        ...

    def check(self) -> CheckResult:
        """One cheap authenticated call: who we are connected to, and how much quota is left."""
        ...
