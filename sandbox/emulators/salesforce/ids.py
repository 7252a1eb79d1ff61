"""Salesforce record Ids: 15 case-sensitive characters plus a 3-character case-safe suffix.

The suffix encodes, for each 5-character chunk, which characters are upper case, so the
18-character form survives case-insensitive systems. Key prefixes name the object (001 Account).
"""

from __future__ import annotations

import itertools
from collections.abc import Container

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "OpportunityLineItem": "00k",
    "User": "005",
    "Task": "00T",
}


def case_safe(id15: str) -> str:
    """The 18-character form of a 15-character Id."""
    suffix = ""
    for start in range(0, 15, 5):
        flags = sum(1 << i for i, ch in enumerate(id15[start : start + 5]) if ch.isupper())
        suffix += _SUFFIX[flags]
    return id15 + suffix


def make_id(prefix: str, number: int) -> str:
    """An 18-character Id with `prefix` (3 chars) and `number` in the 12-character body."""
    body = ""
    for _ in range(12):
        number, digit = divmod(number, 62)
        body = _BASE62[digit] + body
    return case_safe(prefix + body)


class IdMinter:
    """Mints fresh Ids that collide with nothing already loaded (the dataset owns the low range)."""

    def __init__(self, start: int = 62**9) -> None:
        self._counter = itertools.count(start)

    def mint(self, prefix: str, taken: Container[str]) -> str:
        while True:
            candidate = make_id(prefix, next(self._counter))
            if candidate not in taken:
                return candidate
