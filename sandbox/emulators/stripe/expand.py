"""`expand[]`: replace an id with the object it names, along a dotted path (`data.customer`,
`payment.payment_intent`, `lines.data.subscription`). The stored objects are never modified."""

from __future__ import annotations

from sandbox.emulators.stripe.collection import JSONObject
from sandbox.emulators.stripe.errors import cannot_expand
from sandbox.emulators.stripe.store import StripeStore


def expand(store: StripeStore, obj: JSONObject, path: list[str]) -> JSONObject:
    return _expand(store, obj, path, ".".join(path))


def _expand(store: StripeStore, obj: JSONObject, path: list[str], whole: str) -> JSONObject:
    head, rest = path[0], path[1:]
    if head not in obj:
        raise cannot_expand(whole)
    value = obj[head]
    copy = dict(obj)
    if isinstance(value, str):
        found = _lookup(store, value)
        if found is not None:
            copy[head] = _expand(store, found, rest, whole) if rest else found
    elif isinstance(value, dict) and rest:
        copy[head] = _expand(store, value, rest, whole)
    elif isinstance(value, list) and rest:
        copy[head] = [
            _expand(store, item, rest, whole) if isinstance(item, dict) else item for item in value
        ]
    elif value is not None and not isinstance(value, dict):
        raise cannot_expand(whole)
    return copy


def _lookup(store: StripeStore, object_id: str) -> JSONObject | None:
    if object_id in store.deleted_customers:
        return {"id": object_id, "object": "customer", "deleted": True}
    return store.find(object_id)
