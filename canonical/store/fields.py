"""How each field of a canonical record is stored: its kind, and the columns it becomes.

Tables and codecs are both derived from these specs, which are derived from the record dataclasses,
so a field added to a record cannot be forgotten by the store.
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, Union, get_args, get_origin, get_type_hints

from canonical.money import Money


class Kind(Enum):
    TEXT = "text"
    INT = "int"
    BOOL = "bool"
    DECIMAL = "decimal"
    INSTANT = "instant"
    DATE = "date"
    MONEY = "money"
    ENUM = "enum"
    ITEMS = "items"  # a tuple of small dataclasses, stored as one JSON array


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: Kind
    optional: bool
    py_type: type[Any]  # the enum class, the item dataclass, or the plain type

    @property
    def columns(self) -> tuple[str, ...]:
        if self.kind is Kind.MONEY:
            return (f"{self.name}_minor", f"{self.name}_currency")
        return (self.name,)


def field_specs(cls: type[Any], *, skip: frozenset[str] = frozenset()) -> tuple[FieldSpec, ...]:
    """The storage specs of a dataclass's fields, in declaration order."""
    hints = get_type_hints(cls)
    return tuple(
        _spec(field.name, hints[field.name])
        for field in dataclasses.fields(cls)
        if field.name not in skip
    )


def _spec(name: str, hint: Any) -> FieldSpec:
    optional = False
    if get_origin(hint) in (Union, types.UnionType):
        args = [arg for arg in get_args(hint) if arg is not type(None)]
        if len(args) != 1:
            raise TypeError(f"field {name!r}: only `X | None` unions can be stored, not {hint!r}")
        hint, optional = args[0], True
    if get_origin(hint) is tuple:
        return FieldSpec(name, Kind.ITEMS, optional, get_args(hint)[0])
    if isinstance(hint, type):
        for base, kind in _KINDS:
            if issubclass(hint, base):
                return FieldSpec(name, kind, optional, hint)
    raise TypeError(f"field {name!r}: no column kind for {hint!r}")


# Order matters: bool is an int, a StrEnum is a str, a datetime is a date.
_KINDS: tuple[tuple[type[Any], Kind], ...] = (
    (bool, Kind.BOOL),
    (int, Kind.INT),
    (StrEnum, Kind.ENUM),
    (str, Kind.TEXT),
    (Decimal, Kind.DECIMAL),
    (datetime, Kind.INSTANT),
    (date, Kind.DATE),
    (Money, Kind.MONEY),
)
