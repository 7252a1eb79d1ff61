"""Fresh Salesforce Ids for records the emulator creates (the form is `sandbox.salesforce_ids`)."""

from __future__ import annotations

import itertools
from collections.abc import Container

from sandbox.salesforce_ids import KEY_PREFIXES, case_safe

__all__ = ["KEY_PREFIXES", "IdMinter", "make_id"]

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


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
