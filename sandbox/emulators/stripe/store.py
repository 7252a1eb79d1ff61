"""The emulator's state: every collection of the dataset, the event log and deleted customers.

Every change goes through `StripeStore.change`, which records the Event Stripe would emit for it.
Handlers run on one event loop and never await while changing state, so no lock is needed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson

from sandbox.emulators.common import load_collection
from sandbox.emulators.stripe.collection import Collection, JSONObject
from sandbox.emulators.stripe.config import StripeConfig
from sandbox.emulators.stripe.ids import new_id

# Dataset file name -> the `object` value of its items.
OBJECT_NAMES: dict[str, str] = {
    "customers": "customer",
    "subscriptions": "subscription",
    "invoices": "invoice",
    "invoice_payments": "invoice_payment",
    "charges": "charge",
    "payment_intents": "payment_intent",
    "refunds": "refund",
    "disputes": "dispute",
    "credit_notes": "credit_note",
    "payouts": "payout",
    "balance_transactions": "balance_transaction",
}

# Stripe names some events after a parent resource; balance transactions emit no events at all.
_EVENT_PREFIXES: dict[str, str | None] = {
    "dispute": "charge.dispute",
    "subscription": "customer.subscription",
    "balance_transaction": None,
}


def event_prefix(object_name: str) -> str | None:
    return _EVENT_PREFIXES.get(object_name, object_name)


def snapshot(obj: JSONObject) -> JSONObject:
    """A deep copy, so an event keeps the object as it was when the event happened."""
    copied: JSONObject = orjson.loads(orjson.dumps(obj))
    return copied


class StripeStore:
    def __init__(self, data_dir: Path, config: StripeConfig) -> None:
        self.config = config
        self.collections = {
            name: Collection(name, load_collection(data_dir, "stripe", name))
            for name in OBJECT_NAMES
        }
        # Not part of the dataset layout, but a recorded event log may be supplied.
        self.events = Collection("events", load_collection(data_dir, "stripe", "events"))
        self.deleted_customers: set[str] = set()

    def collection(self, name: str) -> Collection:
        return self.collections[name]

    def find(self, object_id: str) -> JSONObject | None:
        """Any object by id, whatever its collection (used by `expand`)."""
        for collection in self.collections.values():
            found = collection.get(object_id)
            if found is not None:
                return found
        return None

    def change(
        self, collection: str, obj: JSONObject, *, created: int | None = None
    ) -> JSONObject | None:
        """Create or replace one object and record `<type>.created` or `<type>.updated`."""
        previous = self.collections[collection].put(obj)
        if previous is None:
            return self._record(collection, "created", obj, None, created)
        changed = {k: v for k, v in previous.items() if obj.get(k) != v}
        changed.update({k: None for k in obj if k not in previous})
        return self._record(collection, "updated", obj, changed, created)

    def delete(self, collection: str, object_id: str) -> JSONObject | None:
        """Remove one object (it must exist) and record `<type>.deleted`; returns that event."""
        previous = self.collections[collection].remove(object_id)
        if previous is None:
            raise KeyError(object_id)
        if collection == "customers":
            self.deleted_customers.add(object_id)
        return self._record(collection, "deleted", previous, None, None)

    def put(self, collection: str, obj: JSONObject) -> None:
        """Store a change without its generic event: scenarios record the specific ones Stripe
        sends instead (`invoice.paid` rather than `invoice.updated`)."""
        self.collections[collection].put(obj)

    def record_event(
        self,
        event_type: str,
        obj: JSONObject,
        previous_attributes: JSONObject | None = None,
        *,
        created: int | None = None,
    ) -> JSONObject:
        """Record an event of a named type (`invoice.paid`, `charge.failed`, …) about `obj`."""
        data: dict[str, Any] = {"object": snapshot(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = snapshot(previous_attributes)
        event: JSONObject = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": self.config.api_version,
            "created": created if created is not None else int(time.time()),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        self.events.put(event)
        return event

    def _record(
        self,
        collection: str,
        verb: str,
        obj: JSONObject,
        previous_attributes: JSONObject | None,
        created: int | None,
    ) -> JSONObject | None:
        prefix = event_prefix(OBJECT_NAMES[collection])
        if prefix is None:
            return None
        return self.record_event(f"{prefix}.{verb}", obj, previous_attributes, created=created)
