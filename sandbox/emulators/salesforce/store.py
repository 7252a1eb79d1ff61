"""The org's records in memory: loading, SOQL execution with query cursors, and versioned changes.

Records are never mutated in place: a change stores a new dict, so an open query cursor keeps the
snapshot it was opened on, as Salesforce's do. Every change stamps `SystemModstamp` and
`LastModifiedDate`; a delete sets `IsDeleted` (hidden from `query`, kept for `queryAll`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sandbox.emulators.common import load_collection
from sandbox.emulators.salesforce.evaluate import Evaluator, Record, relationship_field
from sandbox.emulators.salesforce.ids import KEY_PREFIXES, IdMinter
from sandbox.emulators.salesforce.soql import FieldRef, Query, SoqlError, parse

COLLECTIONS = ("Account", "Contact", "Lead", "Opportunity", "OpportunityLineItem", "User")
# Task is not in the dataset; the hub creates Tasks (follow-ups) through the API.
CREATABLE = ("Task",)
_SYSTEM_FIELDS = (
    "Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
    "SystemModstamp",
)  # fmt: skip
# https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_task.htm
TASK_FIELDS = (
    "Subject", "WhatId", "WhoId", "OwnerId", "Priority", "Status", "Description", "ActivityDate",
    "IsClosed", "TaskSubtype", "Type", "AccountId",
)  # fmt: skip
_RELATIONSHIP_TARGETS = {
    "Owner": "User",
    "CreatedBy": "User",
    "LastModifiedBy": "User",
    "ConvertedAccount": "Account",
    "ConvertedContact": "Contact",
    "ConvertedOpportunity": "Opportunity",
}
_MAX_CURSORS = 500
_INVALID_FIELD_HINT = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom "
    "field name. Please reference your WSDL or the describe call for the appropriate names."
)


def sf_timestamp(moment: datetime | None = None) -> str:
    """Salesforce's datetime format: 2026-01-05T17:30:12.000+0000."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@dataclass
class _Cursor:
    rows: list[Record]
    paths: list[str]
    version: str
    endpoint: str
    batch_size: int


class NotFoundError(KeyError):
    pass


class SalesforceStore:
    def __init__(self, data_dir: Path, default_owner_id: str, api_version: str) -> None:
        self.default_owner_id = default_owner_id
        self.api_version = api_version
        self.collections: dict[str, dict[str, Record]] = {}
        self._by_id15: dict[str, Record] = {}
        self._fields: dict[str, dict[str, str]] = {}
        self._cursors: OrderedDict[str, _Cursor] = OrderedDict()
        self._minter = IdMinter()
        self.evaluator = Evaluator(self.lookup)
        for name in (*COLLECTIONS, *CREATABLE):
            self.collections[name] = {}
            self._fields[name] = {f.lower(): f for f in _SYSTEM_FIELDS}
        for name in TASK_FIELDS:
            self._fields["Task"][name.lower()] = name
        for name in COLLECTIONS:
            for record in load_collection(data_dir, "salesforce", name):
                self._index(name, record)
        self._sobjects = {name.lower(): name for name in self.collections}

    # -- reading
    def lookup(self, ref: str) -> Record | None:
        return self._by_id15.get(ref[:15])

    def sobject_name(self, name: str) -> str | None:
        return self._sobjects.get(name.lower())

    def get(self, sobject: str, record_id: str, include_deleted: bool = False) -> Record | None:
        record = self.lookup(record_id)
        if record is None or record.get("attributes", {}).get("type") != sobject:
            return None
        if record.get("IsDeleted") and not include_deleted:
            return None
        return record

    def query(self, text: str, *, include_deleted: bool, batch_size: int, version: str) -> Record:
        query = parse(text)
        sobject = self.sobject_name(query.sobject)
        if sobject is None:
            raise _located(
                query, query.sobject_position, "INVALID_TYPE",
                f"sObject type '{query.sobject}' is not supported. If you are attempting to use a "
                "custom object, be sure to append the '__c' after the entity name. Please "
                "reference your WSDL or the describe call for the appropriate names.",
            )  # fmt: skip
        canon = {ref.path: self._canonical(query, sobject, ref) for ref in query.field_refs()}
        query = query.renamed(canon)
        where = query.where
        rows = [
            r
            for r in self.collections[sobject].values()
            if (include_deleted or not r.get("IsDeleted"))
            and (where is None or self.evaluator.matches(r, where))
        ]
        if query.order_by:
            rows = self.evaluator.sort(rows, query.order_by)
        end = None if query.limit is None else query.offset + query.limit
        rows = rows[query.offset : end]
        paths = [ref.path for ref in query.fields]
        endpoint = "queryAll" if include_deleted else "query"
        cursor = _Cursor(rows, paths, version, endpoint, batch_size)
        locator = self._minter.mint("01g", self._cursors)
        self._cursors[locator] = cursor
        while len(self._cursors) > _MAX_CURSORS:
            self._cursors.popitem(last=False)
        return self._page(locator, cursor, 0)

    def query_more(self, locator_and_offset: str) -> Record:
        locator, _, offset = locator_and_offset.partition("-")
        cursor = self._cursors.get(locator)
        if cursor is None or not offset.isdigit():
            raise SoqlError("INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(locator, cursor, int(offset))

    def _page(self, locator: str, cursor: _Cursor, offset: int) -> Record:
        end = offset + cursor.batch_size
        batch = cursor.rows[offset:end]
        page: Record = {
            "totalSize": len(cursor.rows),
            "done": end >= len(cursor.rows),
            "records": [self.evaluator.project(r, cursor.paths, cursor.version) for r in batch],
        }
        if page["done"]:
            self._cursors.pop(locator, None)
        else:
            page["nextRecordsUrl"] = (
                f"/services/data/v{cursor.version}/{cursor.endpoint}/{locator}-{end}"
            )
        return page

    def _canonical(self, query: Query, sobject: str, ref: FieldRef) -> str:
        *relationships, name = ref.path.split(".")
        current: str | None = sobject
        out: list[str] = []
        for relationship in relationships:
            lookup_field = self._field(current, relationship_field(relationship))
            if current is not None and lookup_field is None:
                raise _located(
                    query, ref.position, "INVALID_FIELD",
                    f"Didn't understand relationship '{relationship}' in field path. If you are "
                    "attempting to use a custom relationship, be sure to append the '__r' after "
                    "the custom relationship name. Please reference your WSDL or the describe "
                    "call for the appropriate names.",
                )  # fmt: skip
            canonical = _relationship_name(lookup_field) if lookup_field else relationship
            out.append(canonical)
            target = _RELATIONSHIP_TARGETS.get(canonical, canonical)
            # Polymorphic lookups (What, Who) have no single target: their fields go unchecked.
            current = target if target in self.collections else None
        field_name = self._field(current, name)
        if current is not None and field_name is None:
            raise _located(
                query, ref.position, "INVALID_FIELD",
                f"No such column '{name}' on entity '{current}'. {_INVALID_FIELD_HINT}",
            )  # fmt: skip
        out.append(field_name or name)
        return ".".join(out)

    def _field(self, sobject: str | None, name: str) -> str | None:
        if sobject is None:
            return None
        return self._fields[sobject].get(name.lower())

    # -- writing
    def create(self, sobject: str, fields: Record) -> Record:
        unknown = [name for name in fields if self._field(sobject, name) is None]
        if unknown:
            raise SoqlError(
                "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {sobject}"
            )
        now = sf_timestamp()
        record_id = self._mint(sobject)
        record: Record = {
            "attributes": self._attributes(sobject, record_id),
            "Id": record_id,
            **_task_defaults(sobject, self.default_owner_id),
            **{self._field(sobject, k) or k: v for k, v in fields.items()},
            "IsDeleted": False,
            "CreatedDate": now,
            "CreatedById": self.default_owner_id,
            "LastModifiedDate": now,
            "LastModifiedById": self.default_owner_id,
            "SystemModstamp": now,
        }
        self._index(sobject, record)
        return record

    def put(self, sobject: str, record: Record) -> Record:
        """Create or replace a whole record (admin), stamping it as changed now."""
        now = sf_timestamp()
        record_id = str(record.get("Id") or self._mint(sobject))
        previous = self.collections[sobject].get(record_id)
        stamped: Record = {
            "IsDeleted": False,
            "CreatedDate": previous["CreatedDate"] if previous else now,
            **record,
            "attributes": self._attributes(sobject, record_id),
            "Id": record_id,
            "LastModifiedDate": now,
            "SystemModstamp": now,
        }
        self._index(sobject, stamped)
        return stamped

    def patch(self, sobject: str, record_id: str, changes: Record) -> Record:
        current = self.get(sobject, record_id, include_deleted=True)
        if current is None:
            raise NotFoundError(record_id)
        now = sf_timestamp()
        updated = {**current, **changes, "LastModifiedDate": now, "SystemModstamp": now}
        self._index(sobject, updated)
        return updated

    def delete(self, sobject: str, record_id: str) -> Record:
        return self.patch(sobject, record_id, {"IsDeleted": True})

    def _index(self, sobject: str, record: Record) -> None:
        self.collections[sobject][record["Id"]] = record
        self._by_id15[record["Id"][:15]] = record
        known = self._fields.setdefault(sobject, {})
        for name in record:
            if name != "attributes" and name.lower() not in known:
                known[name.lower()] = name

    def _mint(self, sobject: str) -> str:
        return self._minter.mint(KEY_PREFIXES.get(sobject, "a00"), _Id15View(self._by_id15))

    def _attributes(self, sobject: str, record_id: str) -> Record:
        return {
            "type": sobject,
            "url": f"/services/data/v{self.api_version}/sobjects/{sobject}/{record_id}",
        }


class _Id15View:
    """Membership by the 15-character form, so a minted Id never collides with a loaded one."""

    def __init__(self, index: dict[str, Record]) -> None:
        self._index = index

    def __contains__(self, record_id: object) -> bool:
        return isinstance(record_id, str) and record_id[:15] in self._index


def _relationship_name(lookup_field: str) -> str:
    return lookup_field[:-3] + "__r" if lookup_field.endswith("__c") else lookup_field[:-2]


def _task_defaults(sobject: str, owner_id: str) -> Record:
    if sobject != "Task":
        return {}
    return {"OwnerId": owner_id, "Priority": "Normal", "Status": "Not Started", "IsClosed": False}


def _located(query: Query, position: int, code: str, message: str) -> SoqlError:
    """Salesforce's error text: the query, a caret under the fault, and its row and column."""
    before = query.text[:position]
    row = before.count("\n") + 1
    column = position - (before.rfind("\n") + 1) + 1
    line = query.text.splitlines()[row - 1] if query.text else ""
    text = f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{message}"
    return SoqlError(code, text, position)
