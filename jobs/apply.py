"""Applying one stored webhook to the canonical store, per source.

- Stripe events carry the whole object: it is mapped with the event's `created` as its version, so
  an older event arriving late never overwrites a newer state (the store's upsert is monotonic).
- QuickBooks notifications carry ids only: the entity is read again through the connector.
- Salesforce Outbound Messages carry the fields the org chose to send: used when they are every
  field the mapping reads, else the record is read again by id.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from canonical.records import Record, Source
from canonical.store.inbox import InboxEvent
from connectors.base import Item
from connectors.quickbooks.webhooks import Notification as QboNotification
from connectors.quickbooks.webhooks import parse_notifications
from connectors.salesforce.objects import FIELDS
from connectors.salesforce.webhooks import parse_outbound_message
from jobs.services import Services, call
from mappings import MappingError, map_payload


class UnusableEvent(ValueError):
    """A stored event that cannot be applied however often it is tried (a permanent failure)."""


async def write_records(services: Services, records: Sequence[Record]) -> None:
    """Upsert; a deletion keeps the record's last known content and only marks it deleted."""
    merged: list[Record] = []
    for record in records:
        held = (
            await services.store.get(type(record), record.source, record.source_id)
            if record.deleted
            else None
        )
        if held is None:
            merged.append(record)
        else:
            merged.append(
                dataclasses.replace(
                    held, deleted=True, version=record.version, read_at=record.read_at
                )
            )
    if merged:
        await services.store.upsert(merged)


def map_item(source: Source, item: Item, read_at: datetime) -> list[Record]:
    records = map_payload(source, item.obj, item.payload, read_at=read_at, version=item.version)
    if item.deleted:
        records = [dataclasses.replace(r, deleted=True) for r in records]
    return records


# --- Stripe -----------------------------------------------------------------------------------


def stripe_event(event: InboxEvent) -> dict[str, Any]:
    try:
        data = json.loads(event.body)
        obj = data["data"]["object"]
        int(data["created"])
    except (ValueError, KeyError, TypeError) as exc:
        raise UnusableEvent(f"not a Stripe event: {exc!r}") from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("object"), str):
        raise UnusableEvent("the event's data.object has no `object` type")
    return dict(data)


async def apply_stripe(services: Services, event: Mapping[str, Any]) -> list[Record]:
    obj = event["data"]["object"]
    version = datetime.fromtimestamp(int(event["created"]), UTC)
    deleted = str(event["type"]).endswith(".deleted")
    item = Item(obj["object"], obj, version=version, deleted=deleted)
    records = map_item(Source.STRIPE, item, services.clock())
    await write_records(services, records)
    return records


# --- QuickBooks -------------------------------------------------------------------------------


def quickbooks_notifications(event: InboxEvent) -> list[QboNotification]:
    """The notification(s) this row stands for, out of the delivery stored as its body."""
    body = event.body
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise UnusableEvent("the QuickBooks body is not JSON") from exc
    if isinstance(data, dict) and "specversion" in data:  # one CloudEvent stored on its own
        body = json.dumps([data]).encode()
    try:
        found = parse_notifications(body)
    except ValueError as exc:
        raise UnusableEvent(str(exc)) from exc
    mine = [n for n in found if n.event_id == event.dedupe_key]
    return mine or found


async def apply_quickbooks(services: Services, event: InboxEvent) -> list[Record]:
    connector = services.connector(Source.QUICKBOOKS)
    records: list[Record] = []
    now = services.clock()
    for note in quickbooks_notifications(event):
        item = None
        if note.operation not in ("Delete", "Merge"):
            item = await call(connector.fetch, note.entity, note.id)
        if item is None:  # deleted or merged away: a tombstone, merged with what we hold
            item = Item(note.entity, {"Id": note.id, "status": "Deleted"}, note.last_updated, True)
        records.extend(map_item(Source.QUICKBOOKS, item, now))
    await write_records(services, records)
    return records


# --- Salesforce -------------------------------------------------------------------------------


def salesforce_payload(event: InboxEvent) -> tuple[str, str, Mapping[str, Any] | None]:
    """(sObject type, record id, the fields the message carried or None) for this row."""
    text = event.body.lstrip()
    if text.startswith(b"<"):
        try:
            message = parse_outbound_message(event.body)
        except ValueError as exc:
            raise UnusableEvent(str(exc)) from exc
        notes = [n for n in message.notifications if n.id == event.dedupe_key]
        note = (notes or list(message.notifications))[0]
        if note.record_id is None:
            raise UnusableEvent("the Outbound Message notification carries no record Id")
        return note.sobject_type, note.record_id, note.fields
    try:
        data = json.loads(event.body, parse_float=Decimal)
    except ValueError as exc:
        raise UnusableEvent("the Flow callout body is not JSON") from exc
    record = data.get("record", data) if isinstance(data, dict) else None
    if not isinstance(record, dict) or not isinstance(record.get("Id"), str):
        raise UnusableEvent("the Flow callout carries no record Id")
    attributes = record.get("attributes")
    sobject = attributes.get("type") if isinstance(attributes, dict) else None
    return str(sobject or data.get("sobject") or event.event_type), record["Id"], None


async def apply_salesforce(services: Services, event: InboxEvent) -> list[Record]:
    sobject, record_id, fields = salesforce_payload(event)
    if sobject not in FIELDS:
        raise UnusableEvent(f"Salesforce object {sobject!r} is not synced")
    now = services.clock()
    records: list[Record] | None = None
    if fields is not None and set(FIELDS[sobject]) <= set(fields):
        try:
            records = map_item(Source.SALESFORCE, Item(sobject, _typed(fields)), now)
        except MappingError:
            records = None  # the message's text did not map: the API's typed answer will
    if records is None:
        connector = services.connector(Source.SALESFORCE)
        items = await call(connector.fetch, sobject, [record_id])
        records = [r for item in items for r in map_item(Source.SALESFORCE, item, now)]
    await write_records(services, records)
    return records


def _typed(fields: Mapping[str, str | None]) -> dict[str, Any]:
    """Outbound Messages send every value as text; booleans become JSON booleans again."""
    typed: dict[str, Any] = {}
    for name, value in fields.items():
        typed[name] = {"true": True, "false": False}.get(value, value) if value else value
    return typed
