"""The company's entities in memory: query, read, change data capture and versioned changes.

Every change sets `MetaData.LastUpdatedTime` to now and adds one to `SyncToken`; a delete removes
the entity from queries and leaves a `{"Id", "status": "Deleted", "MetaData"}` tombstone for /cdc.
Records are replaced, never mutated in place.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sandbox.emulators.common import load_collection
from sandbox.emulators.quickbooks.query import (
    Query,
    QueryError,
    matches,
    parse,
    parse_instant,
    resolve,
    sort_key,
)

Record = dict[str, Any]
ENTITIES = (
    "Customer", "Invoice", "Payment", "CreditMemo", "RefundReceipt", "JournalEntry", "Deposit",
    "Account",
)  # fmt: skip
_CACHED_RESULTS = 16
_BASE_PROPERTIES = ("Id", "SyncToken", "MetaData", "domain", "sparse")


def qbo_timestamp(moment: datetime | None = None) -> str:
    """QBO's datetime form, with an explicit offset: 2026-01-05T17:30:12+00:00."""
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")


def response_time() -> str:
    """The `time` every QBO answer carries, with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class NotFoundError(KeyError):
    pass


class QuickBooksStore:
    def __init__(self, data_dir: Path) -> None:
        self.entities: dict[str, dict[str, Record]] = {}
        self.tombstones: dict[str, dict[str, Record]] = {name: {} for name in ENTITIES}
        self._properties: dict[str, set[str]] = {}
        self._next_id: dict[str, int] = {}
        for name in ENTITIES:
            items = load_collection(data_dir, "quickbooks", name)
            items.sort(key=lambda item: (len(str(item["Id"])), str(item["Id"])))
            self.entities[name] = {str(item["Id"]): item for item in items}
            self._properties[name] = {p.lower() for p in _BASE_PROPERTIES}
            for item in items:
                self._learn(name, item)
            numeric = [int(i) for i in self.entities[name] if i.isdigit()]
            self._next_id[name] = max(numeric, default=0) + 1
        self._names = {name.lower(): name for name in ENTITIES}
        self.version = 0  # bumped by every change; keys the query-result cache
        self._results: OrderedDict[tuple[Any, ...], tuple[int, list[Record]]] = OrderedDict()

    def entity_name(self, name: str) -> str | None:
        return self._names.get(name.lower())

    # -- reading
    def get(self, entity: str, entity_id: str) -> Record | None:
        return self.entities[entity].get(entity_id)

    def query(self, text: str) -> tuple[str, Query, list[Record], int]:
        """(entity, query, page, total matching)."""
        query = parse(text)
        entity = self.entity_name(query.entity)
        if entity is None:
            raise QueryError(
                "4000", "Error parsing query", f"QueryParserError: Invalid entity {query.entity}"
            )
        for path in (
            [c.path for c in query.where] + [p for p, _ in query.order_by] + (query.fields or [])
        ):
            if path.split(".")[0].lower() not in self._properties[entity]:
                raise QueryError(
                    "4001",
                    "Invalid query",
                    f"QueryValidationError: property '{path}' is not queryable",
                )
        rows = self._matching(entity, query)
        start = query.start_position - 1
        page = rows[start : start + query.max_results]
        if query.fields is not None:
            page = [_project(r, query.fields) for r in page]
        return entity, query, page, len(rows)

    def _matching(self, entity: str, query: Query) -> list[Record]:
        """All matching entities in order, cached until the next change: paging by STARTPOSITION
        then costs one page per request instead of a scan and a sort."""
        key = (entity, tuple(query.where), tuple(query.order_by))
        cached = self._results.get(key)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        where = [replace(c, path=self._spelling(entity, c.path)) for c in query.where]
        rows = [r for r in self.entities[entity].values() if all(matches(r, c) for c in where)]
        # Stable sorts from the last key to the first give a multi-key order with mixed directions.
        for path, descending in reversed(query.order_by):
            rows.sort(key=partial(_sort_key_of, self._spelling(entity, path)), reverse=descending)
        self._results[key] = (self.version, rows)
        while len(self._results) > _CACHED_RESULTS:
            self._results.popitem(last=False)
        return rows

    def _spelling(self, entity: str, path: str) -> str:
        """The path as the data spells it (Metadata.LastUpdatedTime -> MetaData.LastUpdatedTime),
        so `resolve` takes its exact-key fast path."""
        current: Any = next(iter(self.entities[entity].values()), None)
        spelled: list[str] = []
        for segment in path.split("."):
            if not isinstance(current, dict):
                return path
            lowered = segment.lower()
            actual = next((k for k in current if k.lower() == lowered), None)
            if actual is None:
                return path
            spelled.append(actual)
            current = current[actual]
        return ".".join(spelled)

    def changed_since(self, entity: str, since: datetime) -> list[Record]:
        """Entities and tombstones whose LastUpdatedTime is after `since`, oldest first."""
        changed = [
            r
            for r in (*self.entities[entity].values(), *self.tombstones[entity].values())
            if (stamp := parse_instant(str(resolve(r, "MetaData.LastUpdatedTime"))))
            and stamp > since
        ]
        changed.sort(key=lambda r: sort_key(r, "MetaData.LastUpdatedTime"))
        return changed

    # -- writing
    def next_id(self, entity: str) -> str:
        entity_id = self._next_id[entity]
        self._next_id[entity] = entity_id + 1
        return str(entity_id)

    def put(self, entity: str, record: Record) -> Record:
        """Create or replace a whole entity (admin), stamped as changed now."""
        entity_id = str(record.get("Id") or self.next_id(entity))
        previous = self.entities[entity].get(entity_id)
        now = qbo_timestamp()
        created = (previous or record).get("MetaData", {}).get("CreateTime", now)
        sync = int(previous["SyncToken"]) + 1 if previous else int(record.get("SyncToken", 0))
        stored = {
            "domain": "QBO",
            "sparse": False,
            **record,
            "Id": entity_id,
            "SyncToken": str(sync),
            "MetaData": {
                **record.get("MetaData", {}),
                "CreateTime": created,
                "LastUpdatedTime": now,
            },
        }
        self._store(entity, stored)
        return stored

    def patch(self, entity: str, entity_id: str, changes: Record) -> Record:
        current = self.entities[entity].get(entity_id)
        if current is None:
            raise NotFoundError(entity_id)
        metadata = {**current.get("MetaData", {}), "LastUpdatedTime": qbo_timestamp()}
        sync = str(int(current.get("SyncToken", 0)) + 1)
        updated = {**current, **changes, "SyncToken": sync, "MetaData": metadata}
        self._store(entity, updated)
        return updated

    def delete(self, entity: str, entity_id: str) -> Record:
        if self.entities[entity].pop(entity_id, None) is None:
            raise NotFoundError(entity_id)
        self.version += 1
        # https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/change-data-capture
        tombstone = {
            "domain": "QBO",
            "status": "Deleted",
            "Id": entity_id,
            "MetaData": {"LastUpdatedTime": qbo_timestamp()},
        }
        self.tombstones[entity][entity_id] = tombstone
        return tombstone

    def _store(self, entity: str, record: Record) -> None:
        self.version += 1
        self.entities[entity][record["Id"]] = record
        self.tombstones[entity].pop(record["Id"], None)
        self._learn(entity, record)
        if record["Id"].isdigit():
            self._next_id[entity] = max(self._next_id[entity], int(record["Id"]) + 1)

    def _learn(self, entity: str, record: Record) -> None:
        self._properties[entity].update(key.lower() for key in record)


def _sort_key_of(path: str, record: Record) -> tuple[int, Any]:
    return sort_key(record, path)


def _project(record: Record, fields: list[str]) -> Record:
    """A QBO projection keeps the named top-level properties plus Id and marks itself sparse."""
    wanted = {f.split(".")[0].lower() for f in fields} | {"id"}
    return {
        **{k: v for k, v in record.items() if k.lower() in wanted},
        "domain": "QBO",
        "sparse": True,
    }
