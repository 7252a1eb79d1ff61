"""One stream per Stripe object: a full list read first, then the events API.

A full read lists newest first (`limit`, `starting_after`) and checkpoints after every page, so a
killed sync resumes at the next page. When it ends, the stream switches to events from the moment
the read began, so nothing that changed during the read is lost (re-applying an event is
harmless: the store ignores versions it already holds). Event items carry the event's `created`
as their version; list items carry none (the engine uses the page's `read_at`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from connectors.base import Item, Page
from connectors.errors import PermanentError
from connectors.stripe.client import JSON, StripeApi
from connectors.stripe.cursor import Cursor, Listing, Since, UnreadableCursor, decode, encode
from connectors.stripe.events import events_oldest_first, type_filter

Clock = Callable[[], datetime]
# Events of the last minute may still be settling; the cursor only jumps over quiet time older
# than that.
SETTLE_S = 60
# A checkpoint this close to the 30-day edge is treated as too old: the read itself takes time.
WINDOW_MARGIN_S = 3600


@dataclass(frozen=True, slots=True)
class StreamSpec:
    name: str  # the dataset file name and the list path under /v1
    object: str  # the `object` value of its items
    events: tuple[str, ...] = ()  # () means Stripe emits no events for it
    list_params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"/v1/{self.name}"


# Dependency order: parties, then what bills them, then what pays, then what moves the money.
# `customer.*` also matches subscription, discount and tax-id events, and `charge.*` dispute and
# refund events; items whose `object` is not the stream's are dropped (they belong to another
# stream), which keeps every charge or customer event type Stripe has or adds.
SPECS: tuple[StreamSpec, ...] = (
    StreamSpec("customers", "customer", ("customer.*",)),
    StreamSpec("subscriptions", "subscription", ("customer.subscription.*",), {"status": "all"}),
    StreamSpec("invoices", "invoice", ("invoice.*",)),
    StreamSpec("invoice_payments", "invoice_payment", ("invoice_payment.*",)),
    StreamSpec("payment_intents", "payment_intent", ("payment_intent.*",)),
    StreamSpec("charges", "charge", ("charge.*",)),
    StreamSpec(
        "refunds",
        "refund",
        ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated"),
    ),
    StreamSpec("disputes", "dispute", ("charge.dispute.*",)),
    StreamSpec("credit_notes", "credit_note", ("credit_note.*",)),
    StreamSpec("payouts", "payout", ("payout.*",)),
    StreamSpec("balance_transactions", "balance_transaction"),
)
SPECS_BY_NAME = {spec.name: spec for spec in SPECS}


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class StreamSettings:
    page_size: int = 100
    events_window_s: int = 30 * 24 * 3600
    relist_lookback_s: int = 7 * 24 * 3600  # streams without events re-list this far back


class StripeStream:
    def __init__(
        self,
        spec: StreamSpec,
        api: StripeApi,
        settings: StreamSettings | None = None,
        now: Clock = utc_now,
    ) -> None:
        self.spec = spec
        self._api = api
        self._settings = settings or StreamSettings()
        self._now = now

    @property
    def name(self) -> str:
        return self.spec.name

    def read(self, cursor: str | None) -> Iterator[Page]:
        state, note = self._start(cursor)
        if isinstance(state, Listing):
            return self._list(state, note)
        return self._events(state)

    def _epoch(self) -> int:
        return int(self._now().timestamp())

    def _start(self, cursor: str | None) -> tuple[Cursor, str | None]:
        now = self._epoch()
        if cursor is None:
            return Listing(started=now), None
        try:
            state = decode(cursor)
        except UnreadableCursor as exc:
            return Listing(started=now), f"{exc}; reading all {self.name} again"
        if isinstance(state, Listing):
            return state, None
        if not self.spec.events:
            lookback = state.since - self._settings.relist_lookback_s
            return Listing(started=now, created_from=lookback), None
        oldest = now - self._settings.events_window_s + WINDOW_MARGIN_S
        if state.since < oldest:
            when = datetime.fromtimestamp(state.since, UTC).isoformat()
            return Listing(started=now), (
                f"the {self.name} checkpoint ({when}) is older than Stripe's 30-day event "
                "window; reading everything again"
            )
        return state, None

    def _list(self, listing: Listing, note: str | None) -> Iterator[Page]:
        after = listing.after
        while True:
            try:
                page = self._api.get(self.spec.path, self._list_params(listing, after))
            except PermanentError as exc:
                if after != listing.after or after is None or exc.code != "resource_missing":
                    raise
                # The object we stopped after is gone, so Stripe cannot page from it.
                note = f"the {self.name} read could not resume after {after}; starting over"
                after = None
                continue
            read_at = self._now()
            data: list[JSON] = page["data"]
            items = [Item(self.name, self._complete(obj)) for obj in data]
            more = bool(page["has_more"]) and bool(data)
            cursor: Cursor = (
                Listing(listing.started, data[-1]["id"], listing.created_from)
                if more
                else Since(listing.started)
            )
            yield Page(items, encode(cursor), read_at, note)
            if not more:
                return
            note = None
            after = data[-1]["id"]

    def _list_params(self, listing: Listing, after: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {**self.spec.list_params, "limit": self._settings.page_size}
        if after is not None:
            params["starting_after"] = after
        if listing.created_from is not None:
            params["created"] = {"gte": listing.created_from}
        return params

    def _events(self, since: Since) -> Iterator[Page]:
        now = self._epoch()
        last = since
        filters = type_filter(self.spec.events)
        batches = events_oldest_first(
            self._api.get, filters, since.since, now + 1, self._settings.page_size
        )
        for batch in batches:
            fresh = [
                e for e in batch if not (e["created"] == since.since and e["id"] in since.seen)
            ]
            newest = batch[-1]["created"]
            ids = tuple(e["id"] for e in batch if e["created"] == newest)
            seen = ids if newest != last.since else tuple(dict.fromkeys(last.seen + ids))
            last = Since(newest, seen)
            items = [item for item in map(self._event_item, fresh) if item is not None]
            if items or fresh:
                yield Page(items, encode(last), self._now())
        settled = now - SETTLE_S
        if settled > last.since:
            yield Page([], encode(Since(settled)), self._now())

    def _event_item(self, event: JSON) -> Item | None:
        obj = event["data"]["object"]
        # `invoice.upcoming` describes a preview with no id; it is not a record.
        if not isinstance(obj, dict) or "id" not in obj:
            return None
        if obj.get("object", self.spec.object) != self.spec.object:
            return None
        deleted = str(event["type"]).endswith(".deleted")
        payload = obj if deleted else self._complete(obj)
        version = datetime.fromtimestamp(event["created"], UTC)
        return Item(self.name, payload, version=version, deleted=deleted)

    def _complete(self, obj: JSON) -> JSON:
        """An invoice with every line: Stripe embeds only the first page of them."""
        lines = obj.get("lines") if self.spec.object == "invoice" else None
        if not isinstance(lines, dict) or not lines.get("has_more"):
            return obj
        data: list[JSON] = list(lines.get("data") or [])
        path = f"/v1/invoices/{quote(obj['id'], safe='')}/lines"
        more = True
        while more:
            params: dict[str, Any] = {"limit": 100}
            if data:
                params["starting_after"] = data[-1]["id"]
            page = self._api.get(path, params)
            data.extend(page["data"])
            more = bool(page["has_more"]) and bool(page["data"])
        return {**obj, "lines": {**lines, "data": data, "has_more": False}}
