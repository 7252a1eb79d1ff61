"""Running a parsed SOQL query over records: filter, order and project.

Pure: related records are found through a callback. Field paths here are already canonical
(spelled as in the data); `store.py` validates and canonicalises them.
Semantics follow Salesforce: text compares case-insensitively, 15- and 18-character Ids are equal,
datetime literals compare as instants, nulls sort first ascending and last descending.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from sandbox.emulators.salesforce.soql import Comparison, Condition, Not, OrderKey, Value

Record = dict[str, Any]
Lookup = Callable[[str], Record | None]

_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ID_SHAPE = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")


def relationship_field(relationship: str) -> str:
    """The lookup field behind a relationship name: Account -> AccountId, Foo__r -> Foo__c."""
    if relationship.endswith("__r"):
        return relationship[:-3] + "__c"
    return relationship + "Id"


@lru_cache(maxsize=131072)
def parse_instant(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class Evaluator:
    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup

    def value(self, record: Record, path: str) -> Any:
        *relationships, name = path.split(".")
        current: Record | None = record
        for relationship in relationships:
            ref = current.get(relationship_field(relationship)) if current else None
            current = self.lookup(ref) if isinstance(ref, str) else None
            if current is None:
                return None
        return current.get(name) if current is not None else None

    def matches(self, record: Record, cond: Condition) -> bool:
        if isinstance(cond, Comparison):
            return compare(
                self.value(record, cond.field.path), cond.op, cond.value, cond.field.path
            )
        if isinstance(cond, Not):
            return not self.matches(record, cond.operand)
        if cond.op == "AND":
            return all(self.matches(record, operand) for operand in cond.operands)
        return any(self.matches(record, operand) for operand in cond.operands)

    def sort(self, records: list[Record], keys: list[OrderKey]) -> list[Record]:
        ordered = list(records)
        # Stable sorts from the last key to the first give a multi-key order with mixed directions.
        for key in reversed(keys):
            null_rank = int(key.nulls_last != key.descending)
            path = key.field.path

            def sort_key(record: Record, path: str = path, null_rank: int = null_rank) -> Any:
                value = self.value(record, path)
                if value is None:
                    return (null_rank, 0, 0)
                return (1 - null_rank, *_typed(value))

            ordered.sort(key=sort_key, reverse=key.descending)
        return ordered

    def project(self, record: Record, paths: list[str], version: str) -> Record:
        out: Record = {"attributes": attributes(record, version)}
        for path in paths:
            self._project_path(record, out, path.split("."), version)
        return out

    def _project_path(self, record: Record, out: Record, parts: list[str], version: str) -> None:
        if len(parts) == 1:
            out[parts[0]] = record.get(parts[0])
            return
        ref = record.get(relationship_field(parts[0]))
        related = self.lookup(ref) if isinstance(ref, str) else None
        if related is None:
            out[parts[0]] = None
            return
        nested = out.setdefault(parts[0], {"attributes": attributes(related, version)})
        self._project_path(related, nested, parts[1:], version)


def attributes(record: Record, version: str) -> Record:
    sobject = record.get("attributes", {}).get("type", "")
    return {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record['Id']}"}


def compare(value: Any, op: str, literal: Value, path: str = "") -> bool:
    if op in ("IN", "NOT IN"):
        assert isinstance(literal, tuple)
        found = any(compare(value, "=", item, path) for item in literal)
        return found if op == "IN" else not found
    if op == "LIKE":
        return (
            isinstance(value, str)
            and isinstance(literal, str)
            and _like(literal).match(value) is not None
        )
    if literal is None or value is None:
        if op == "=":
            return value is None and literal is None
        if op == "!=":
            return (value is None) != (literal is None)
        return False
    left, right = _coerce(value, literal, path)
    if left is None or right is None:
        return op == "!="
    try:
        return _ORDERING[op](left, right)
    except TypeError:
        return op == "!="


def _coerce(value: Any, literal: Value, path: str) -> tuple[Any, Any]:
    """Both sides in one comparable type, as Salesforce compares that field's type."""
    if isinstance(literal, bool):
        return (value if isinstance(value, bool) else None), literal
    if isinstance(literal, datetime):
        instant = parse_instant(value) if isinstance(value, str) else None
        return instant, literal
    if isinstance(literal, date):
        return (_as_date(value) if isinstance(value, str) else None), literal
    if isinstance(literal, Decimal):
        return _as_decimal(value), literal
    if isinstance(literal, str):
        if not isinstance(value, str):
            return str(value).casefold(), literal.casefold()
        if (
            path.split(".")[-1].endswith("Id")
            and _ID_SHAPE.match(value)
            and _ID_SHAPE.match(literal)
        ):
            return value[:15], literal[:15]
        return value.casefold(), literal.casefold()
    return value, literal


def _as_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _typed(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (0, value)
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        instant = parse_instant(value) if len(value) >= 19 and value[10:11] == "T" else None
        return (2, instant.timestamp()) if instant is not None else (3, value.casefold())
    return (4, str(value))


@lru_cache(maxsize=256)
def _like(pattern: str) -> re.Pattern[str]:
    parts = (".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts) + r"\Z", re.IGNORECASE | re.DOTALL)
