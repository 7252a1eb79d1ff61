"""One Stripe collection in memory, ordered as Stripe lists it: newest `created` first.

Keys are `(created, id)` tuples kept sorted ascending, so a page costs a bisect plus O(page size):
`starting_after` walks towards older items, `ending_before` towards newer ones. An equality filter
(`customer=cus_…`) uses a per-field index built on first use and dropped on any change.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

JSONObject = dict[str, Any]
Key = tuple[int, str]
Predicate = Callable[[JSONObject], bool]


def field_value(obj: JSONObject, name: str) -> Any:
    """A filterable field; an expanded reference counts by its id."""
    value = obj.get(name)
    if isinstance(value, dict):
        return value.get("id")
    return value


@dataclass
class PageRequest:
    limit: int = 10
    starting_after: str | None = None
    ending_before: str | None = None
    created_from: int | None = None  # inclusive
    created_to: int | None = None  # exclusive
    equals: dict[str, str] = field(default_factory=dict)
    where: list[Predicate] = field(default_factory=list)


class Collection:
    def __init__(self, name: str, items: list[JSONObject]) -> None:
        self.name = name
        self.by_id: dict[str, JSONObject] = {item["id"]: item for item in items}
        self._keys: list[Key] = sorted(_key(item) for item in self.by_id.values())
        self._indexes: dict[str, dict[Any, list[Key]]] = {}
        self.version = 0  # bumped on every change, for caches derived from the collection

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, object_id: str) -> JSONObject | None:
        return self.by_id.get(object_id)

    def put(self, obj: JSONObject) -> JSONObject | None:
        """Insert or replace by id; returns the previous version."""
        previous = self.by_id.get(obj["id"])
        if previous is not None:
            self._keys.pop(bisect_left(self._keys, _key(previous)))
        self.by_id[obj["id"]] = obj
        insort(self._keys, _key(obj))
        self._changed()
        return previous

    def remove(self, object_id: str) -> JSONObject | None:
        previous = self.by_id.pop(object_id, None)
        if previous is not None:
            self._keys.pop(bisect_left(self._keys, _key(previous)))
            self._changed()
        return previous

    def _changed(self) -> None:
        self._indexes.clear()
        self.version += 1

    def newest_first(self, where: Predicate | None = None) -> Iterator[JSONObject]:
        for created_id in reversed(self._keys):
            obj = self.by_id[created_id[1]]
            if where is None or where(obj):
                yield obj

    def page(self, request: PageRequest) -> tuple[list[JSONObject], bool]:
        """One page, newest first, and whether more items lie beyond it in the paging direction."""
        keys = self._candidates(request.equals)
        lo, hi = 0, len(keys)
        if request.created_from is not None:
            lo = bisect_left(keys, (request.created_from, ""))
        if request.created_to is not None:
            hi = bisect_left(keys, (request.created_to, ""))
        checks = [self._equals_check(request.equals), *request.where]
        if request.ending_before is not None and request.starting_after is None:
            lo = max(lo, bisect_right(keys, self._cursor(request.ending_before)))
            found = self._collect(keys, range(lo, hi), checks, request.limit + 1)
            return list(reversed(found[: request.limit])), len(found) > request.limit
        if request.starting_after is not None:
            hi = min(hi, bisect_left(keys, self._cursor(request.starting_after)))
        found = self._collect(keys, range(hi - 1, lo - 1, -1), checks, request.limit + 1)
        return found[: request.limit], len(found) > request.limit

    def _collect(
        self, keys: list[Key], positions: range, checks: list[Predicate], wanted: int
    ) -> list[JSONObject]:
        found: list[JSONObject] = []
        for position in positions:
            obj = self.by_id[keys[position][1]]
            if all(check(obj) for check in checks):
                found.append(obj)
                if len(found) == wanted:
                    break
        return found

    def _cursor(self, object_id: str) -> Key:
        obj = self.by_id.get(object_id)
        if obj is None:
            raise KeyError(object_id)
        return _key(obj)

    def _candidates(self, equals: dict[str, str]) -> list[Key]:
        """The narrowest key list: one equality filter's index, or everything."""
        if not equals:
            return self._keys
        name, value = next(iter(equals.items()))
        index = self._indexes.get(name)
        if index is None:
            index = {}
            for key in self._keys:
                index.setdefault(field_value(self.by_id[key[1]], name), []).append(key)
            self._indexes[name] = index
        return index.get(value, [])

    @staticmethod
    def _equals_check(equals: dict[str, str]) -> Predicate:
        rest = list(equals.items())[1:]
        return lambda obj: all(field_value(obj, name) == value for name, value in rest)


def _key(obj: JSONObject) -> Key:
    return (int(obj.get("created") or 0), obj["id"])
