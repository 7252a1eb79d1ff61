"""Typed, error-translating access to one vendor payload.

Every mapper reads its payload through a `Reader`, so that a missing required field, a value of the
wrong type, or an inexact amount becomes one `MappingError` naming the field and the object id, and
so that an absent optional field is simply `None`. Paths are tuples of keys (`"MetaData",
"LastUpdatedTime"`); a missing key or a `null` anywhere along a path reads as absent.

A full sync maps every object it reads, so each accessor is written for the common case first:
one lookup, an exact type check (`type(x) is str`, not an ABC `isinstance`), and the rarer
conversions and the error only after that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NoReturn, TypedDict

from canonical.errors import MoneyError, TimeError
from canonical.money import Money, normalise_currency
from canonical.records import Source
from canonical.timeutil import from_epoch, parse_date, parse_instant, utc
from mappings.errors import MappingError

Payload = Mapping[str, Any]


class Lineage(TypedDict):
    """The `Record` fields every mapped record shares, ready to be splatted into a constructor."""

    source: Source
    source_id: str
    version: datetime
    read_at: datetime
    deleted: bool


class Reader:
    """One payload plus what is needed to map it and to explain a failure."""

    __slots__ = ("deleted", "id", "obj", "payload", "read_at", "source", "version")

    def __init__(
        self,
        source: Source,
        obj: str,
        payload: Payload,
        *,
        id_key: str,
        read_at: datetime,
        deleted: bool = False,
    ) -> None:
        self.source = source
        self.obj = obj
        self.payload = payload
        raw_id = payload.get(id_key)
        self.id: str | None = raw_id if isinstance(raw_id, str) and raw_id else None
        if self.id is None:
            self.fail(f"missing required field {id_key!r}", field=id_key)
        self.read_at = read_at if read_at.tzinfo is UTC else utc(read_at)
        self.version = self.read_at
        self.deleted = deleted

    @property
    def source_id(self) -> str:
        assert self.id is not None  # __init__ refuses a payload without one
        return self.id

    def lineage(self) -> Lineage:
        return Lineage(
            source=self.source,
            source_id=self.source_id,
            version=self.version,
            read_at=self.read_at,
            deleted=self.deleted,
        )

    def nested(self, payload: Payload, label: str) -> Reader:
        """A reader over a sub-object (an invoice line), reporting errors against this object."""
        child = Reader.__new__(Reader)
        child.source = self.source
        child.obj = f"{self.obj}.{label}"
        child.payload = payload
        child.id = self.id
        child.read_at = self.read_at
        child.version = self.version
        child.deleted = self.deleted
        return child

    def fail(
        self, reason: str, *, field: str | None = None, cause: Exception | None = None
    ) -> NoReturn:
        error = MappingError(self.source.value, self.obj, self.id, reason, field=field, cause=cause)
        raise error from cause

    # --- raw access -------------------------------------------------------------------------------

    # The accessors below look a one-key path up directly: most paths are one key, and calling
    # `get` for it cost more than the lookup.

    def get(self, *path: str) -> Any:
        node: Any = self.payload
        for key in path:
            # `type(...) is dict` first: JSON payloads are dicts, and the ABC check is slow.
            if type(node) is not dict and (node is None or not isinstance(node, Mapping)):
                return None
            node = node.get(key)
        return node

    def require(self, *path: str) -> Any:
        value = self.payload.get(path[0]) if len(path) == 1 else self.get(*path)
        if value is None:
            self.fail(f"missing required field {_dotted(path)!r}", field=_dotted(path))
        return value

    # --- scalars ----------------------------------------------------------------------------------

    def text(self, *path: str) -> str | None:
        value = self.payload.get(path[0]) if len(path) == 1 else self.get(*path)
        if value is None or type(value) is str:
            return value
        if isinstance(value, str):
            return value
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return str(value)  # ids and numbers that some payloads write unquoted
        self.fail(
            f"{_dotted(path)!r} should be text, got {type(value).__name__}", field=_dotted(path)
        )

    def required_text(self, *path: str) -> str:
        text = self.text(*path)
        if not text:
            self.fail(f"missing required field {_dotted(path)!r}", field=_dotted(path))
        return text

    def ref(self, *path: str) -> str | None:
        """An id that Stripe sends either as a string or as an expanded object with an `id`."""
        value = self.payload.get(path[0]) if len(path) == 1 else self.get(*path)
        if value is None or type(value) is str:
            return value
        if isinstance(value, Mapping):
            return self.text(*path, "id")
        return self.text(*path)

    def integer(self, *path: str) -> int | None:
        value = self.payload.get(path[0]) if len(path) == 1 else self.get(*path)
        if value is None or type(value) is int:
            return value
        self._not_integer(path, value)

    def _not_integer(self, path: tuple[str, ...], value: object) -> NoReturn:
        self.fail(f"{_dotted(path)!r} should be an integer, got {value!r}", field=_dotted(path))

    def flag(self, *path: str, default: bool = False) -> bool:
        value = self.payload.get(path[0]) if len(path) == 1 else self.get(*path)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.fail(f"{_dotted(path)!r} should be true or false, got {value!r}", field=_dotted(path))

    def quantity(self, *path: str) -> Decimal | None:
        """A quantity (not money), exact from an int, a decimal string or an SDK float."""
        value = self.payload.get(path[0]) if len(path) == 1 else self.get(*path)
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, float):
            return Decimal(repr(value))
        try:
            return Decimal(value) if isinstance(value, int | str | Decimal) else None
        except ArithmeticError:
            self.fail(f"{_dotted(path)!r} is not a number: {value!r}", field=_dotted(path))

    # --- money ------------------------------------------------------------------------------------

    def currency(self, *path: str, default: str | None = None) -> str:
        """An upper-case ISO code; a missing one is the default or, with no default, an error."""
        code = self.text(*path) or default
        if code is None:
            self.fail(f"missing required field {_dotted(path)!r}", field=_dotted(path))
        try:
            return normalise_currency(code)
        except MoneyError as exc:
            self.fail(str(exc), field=_dotted(path), cause=exc)

    def minor(self, *path: str, currency: str) -> Money | None:
        """Stripe's minor units."""
        units = self.payload.get(path[0]) if len(path) == 1 else self.get(*path)
        if type(units) is int:
            return Money(units, currency)
        if units is None:
            return None
        self._not_integer(path, units)

    def required_minor(self, *path: str, currency: str) -> Money:
        units = self.payload.get(path[0]) if len(path) == 1 else self.get(*path)
        if type(units) is int:
            return Money(units, currency)
        if units is None:
            self.fail(f"missing required field {_dotted(path)!r}", field=_dotted(path))
        self._not_integer(path, units)

    def major(self, *path: str, currency: str) -> Money | None:
        """QuickBooks' and Salesforce's major-unit decimals: exact, or a `MappingError`."""
        value = self.payload.get(path[0]) if len(path) == 1 else self.get(*path)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
            self.fail(f"{_dotted(path)!r} is not an amount: {value!r}", field=_dotted(path))
        try:
            return Money.from_decimal(value, currency)
        except MoneyError as exc:
            self.fail(f"{_dotted(path)!r}: {exc}", field=_dotted(path), cause=exc)

    def required_major(self, *path: str, currency: str) -> Money:
        self.require(*path)
        money = self.major(*path, currency=currency)
        assert money is not None
        return money

    # --- time -------------------------------------------------------------------------------------

    def epoch(self, *path: str) -> datetime | None:
        """Stripe's epoch seconds."""
        seconds = self.payload.get(path[0]) if len(path) == 1 else self.get(*path)
        if seconds is None:
            return None
        if type(seconds) is not int:
            self._not_integer(path, seconds)
        try:
            return from_epoch(seconds)
        except (OverflowError, OSError, ValueError) as exc:
            self.fail(f"{_dotted(path)!r} is not a time: {seconds}", field=_dotted(path), cause=exc)

    def epoch_date(self, *path: str) -> date | None:
        """A Stripe epoch that means a calendar day (`due_date`, `arrival_date`): its UTC date."""
        moment = self.epoch(*path)
        return None if moment is None else moment.astimezone(UTC).date()

    def instant(self, *path: str) -> datetime | None:
        """ISO-8601 text with an offset (QuickBooks, Salesforce)."""
        text = self.text(*path)
        if text is None:
            return None
        try:
            return parse_instant(text)
        except TimeError as exc:
            self.fail(str(exc), field=_dotted(path), cause=exc)

    def day(self, *path: str) -> date | None:
        text = self.text(*path)
        if text is None:
            return None
        try:
            return parse_date(text)
        except TimeError as exc:
            self.fail(str(exc), field=_dotted(path), cause=exc)

    # --- collections ------------------------------------------------------------------------------

    def items(self, *path: str) -> list[Payload]:
        """The objects of a JSON array, or of a Stripe list object's `data`."""
        value = self.payload.get(path[0]) if len(path) == 1 else self.get(*path)
        if isinstance(value, Mapping):
            value = value.get("data")
        if value is None:
            return []
        if not isinstance(value, Sequence) or isinstance(value, str):
            self.fail(f"{_dotted(path)!r} should be a list", field=_dotted(path))
        return [item for item in value if isinstance(item, Mapping)]


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path)
