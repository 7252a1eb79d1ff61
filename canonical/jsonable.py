"""Records as plain JSON values: Money as `{"minor", "currency"}`, instants and dates as ISO-8601.

Used wherever records leave the process as JSON (`revcycle map`, the ops API, reports).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from canonical.money import Money
from canonical.records import Record


def to_jsonable(value: Any) -> Any:
    """A JSON-ready copy of `value` (records, Money, enums, dates, Decimals, nested containers)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Money):
        return value.as_json()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    raise TypeError(f"cannot express {type(value).__name__} as JSON")


def record_to_json(record: Record) -> dict[str, Any]:
    """A record with its type name first, e.g. `{"record": "Invoice", "source": "stripe", ...}`."""
    body = to_jsonable(record)
    return {"record": type(record).__name__, **body}
