"""Stripe list parameters as the SDK sends them: `limit`, `starting_after`, `ending_before`,
`created[gt|gte|lt|lte]` (or `created=<int>`), `expand[0]=…` and per-resource filters."""

from __future__ import annotations

import fnmatch
import re
import time

from starlette.datastructures import QueryParams

from sandbox.emulators.stripe.collection import JSONObject, PageRequest
from sandbox.emulators.stripe.errors import StripeApiError, invalid_parameter, unknown_parameter

# The equality filters Stripe documents for each list endpoint that the sandbox serves.
FILTERS: dict[str, frozenset[str]] = {
    "customers": frozenset({"email"}),
    "subscriptions": frozenset({"customer", "status", "collection_method"}),
    "invoices": frozenset({"customer", "status", "subscription", "collection_method"}),
    "invoice_payments": frozenset({"invoice", "status"}),
    "charges": frozenset({"customer", "payment_intent", "transfer_group"}),
    "payment_intents": frozenset({"customer"}),
    "refunds": frozenset({"charge", "payment_intent"}),
    "disputes": frozenset({"charge", "payment_intent"}),
    "credit_notes": frozenset({"customer", "invoice"}),
    "payouts": frozenset({"status", "destination"}),
    "balance_transactions": frozenset({"type", "source", "currency"}),
    "events": frozenset({"type", "types", "delivery_success"}),
    "lines": frozenset(),  # GET /v1/invoices/{id}/lines pages only
}
_PAGING = frozenset({"limit", "starting_after", "ending_before", "created", "expand"})
_BRACKETS = re.compile(r"^([a-z_]+)\[([a-z_0-9]*)\]$")
_ENDED_SUBSCRIPTIONS = frozenset({"canceled", "incomplete_expired"})


def split_params(params: QueryParams) -> dict[str, list[tuple[str, str]]]:
    """`created[gte]=1` -> {"created": [("gte", "1")]}; `limit=5` -> {"limit": [("", "5")]}."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for key, value in params.multi_items():
        match = _BRACKETS.match(key)
        name, sub = (match.group(1), match.group(2)) if match else (key, "")
        grouped.setdefault(name, []).append((sub, value))
    return grouped


def expansions(grouped: dict[str, list[tuple[str, str]]]) -> list[list[str]]:
    return [value.split(".") for _, value in grouped.get("expand", [])]


def page_request(collection: str, grouped: dict[str, list[tuple[str, str]]]) -> PageRequest:
    allowed = FILTERS[collection] | _PAGING
    for name in grouped:
        if name not in allowed:
            raise unknown_parameter(name)
    request = PageRequest(limit=_limit(grouped))
    request.starting_after = _single(grouped, "starting_after")
    request.ending_before = _single(grouped, "ending_before")
    _apply_created(request, grouped.get("created", []))
    for name in FILTERS[collection] - {"types", "delivery_success"}:
        value = _single(grouped, name)
        if value is not None:
            _apply_filter(request, collection, name, value)
    if collection == "subscriptions" and "status" not in grouped:
        # Stripe leaves canceled subscriptions out unless `status` asks for them.
        request.where.append(lambda obj: obj.get("status") != "canceled")
    types = {value for _, value in grouped.get("types", [])}
    if types:
        request.where.append(lambda obj: _type_matches(obj, types))
    return request


def within_events_window(request: PageRequest, window_s: int) -> None:
    """Stripe serves only the last 30 days of events, whatever `created` asks for."""
    oldest = int(time.time()) - window_s
    request.created_from = max(request.created_from or oldest, oldest)


def _apply_filter(request: PageRequest, collection: str, name: str, value: str) -> None:
    if collection == "subscriptions" and name == "status" and value in ("all", "ended"):
        if value == "ended":
            request.where.append(lambda obj: obj.get("status") in _ENDED_SUBSCRIPTIONS)
    elif name == "type" and "*" in value:
        request.where.append(lambda obj: fnmatch.fnmatchcase(str(obj.get("type")), value))
    else:
        request.equals[name] = value


def _type_matches(obj: JSONObject, patterns: set[str]) -> bool:
    return any(fnmatch.fnmatchcase(str(obj.get("type")), pattern) for pattern in patterns)


def _apply_created(request: PageRequest, parts: list[tuple[str, str]]) -> None:
    for op, raw in parts:
        value = _integer("created" if not op else f"created[{op}]", raw)
        if op in ("", "gte"):
            request.created_from = _max(request.created_from, value)
        if op == "gt":
            request.created_from = _max(request.created_from, value + 1)
        if op in ("", "lte"):
            request.created_to = _min(request.created_to, value + 1)
        if op == "lt":
            request.created_to = _min(request.created_to, value)
        if op not in ("", "gt", "gte", "lt", "lte"):
            raise unknown_parameter(f"created[{op}]")


def _limit(grouped: dict[str, list[tuple[str, str]]]) -> int:
    raw = _single(grouped, "limit")
    if raw is None:
        return 10
    limit = _integer("limit", raw)
    if not 1 <= limit <= 100:
        raise StripeApiError(
            400,
            "invalid_request_error",
            "This value must be greater than or equal to 1 and less than or equal to 100.",
            code="parameter_invalid_integer",
            param="limit",
        )
    return limit


def _integer(param: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise invalid_parameter(param, f"Invalid integer: {raw}") from None


def _single(grouped: dict[str, list[tuple[str, str]]], name: str) -> str | None:
    values = grouped.get(name)
    return values[-1][1] if values else None


def _max(current: int | None, value: int) -> int:
    return value if current is None else max(current, value)


def _min(current: int | None, value: int) -> int:
    return value if current is None else min(current, value)
