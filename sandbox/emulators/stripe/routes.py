"""The `/v1` API: lists, retrieves, invoice lines, events and the balance, behind Stripe's auth
and the injected faults."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable, Iterable

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.common import Faults
from sandbox.emulators.stripe import errors
from sandbox.emulators.stripe.collection import JSONObject, PageRequest
from sandbox.emulators.stripe.config import StripeConfig
from sandbox.emulators.stripe.errors import StripeApiError
from sandbox.emulators.stripe.expand import expand
from sandbox.emulators.stripe.ids import request_id
from sandbox.emulators.stripe.query import (
    expansions,
    page_request,
    split_params,
    within_events_window,
)
from sandbox.emulators.stripe.store import OBJECT_NAMES, StripeStore

Handler = Callable[[Request], JSONObject]
Endpoint = Callable[[Request], Awaitable[Response]]
_ALL_METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH"]


def json_response(status: int, body: JSONObject, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


class StripeApi:
    def __init__(self, store: StripeStore, faults: Faults, config: StripeConfig) -> None:
        self.store = store
        self.faults = faults
        self.config = config
        self._balance_cache: tuple[int, JSONObject] | None = None

    def routes(self) -> list[Route]:
        return [
            Route("/v1/balance", self._v1(self.balance)),
            Route("/v1/events/{id}", self._v1(self.retrieve_event)),
            Route("/v1/invoices/{id}/lines", self._v1(self.invoice_lines)),
            Route("/v1/{collection}", self._v1(self.list_objects)),
            Route("/v1/{collection}/{id}", self._v1(self.retrieve)),
            Route("/{path:path}", self._v1(self.unrecognized), methods=_ALL_METHODS),
        ]

    def _v1(self, handler: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            rid = request_id()
            headers = {"Request-Id": rid, "Stripe-Version": self.config.api_version}
            try:
                await self._guard(request)
                return json_response(200, handler(request), headers)
            except StripeApiError as exc:
                return json_response(exc.status, exc.body(rid), {**headers, **exc.headers})

        return endpoint

    async def _guard(self, request: Request) -> None:
        """Latency, then auth, then the armed faults: the order a request meets them at Stripe."""
        if self.faults.latency_ms:
            await asyncio.sleep(self.faults.latency_ms / 1000)
        key = _api_key(request)
        if key is None:
            raise errors.missing_key()
        if not hmac.compare_digest(key.encode(), self.config.api_key.encode()):
            raise errors.invalid_key(key)
        if self.faults.expire_tokens:
            raise errors.expired_key(key)
        if self.faults.take("rate_limit"):
            raise errors.rate_limited()
        if self.faults.take("server_error"):
            raise errors.server_error()

    def list_objects(self, request: Request) -> JSONObject:
        name = request.path_params["collection"]
        if name not in OBJECT_NAMES and name != "events":
            raise self._unrecognized_error(request)
        if request.method != "GET":
            raise self._unrecognized_error(request)
        grouped = split_params(request.query_params)
        page = page_request(name, grouped)
        collection = self.store.events if name == "events" else self.store.collection(name)
        if name == "events":
            within_events_window(page, self.config.events_window_s)
        items, has_more = self._page(collection.name, collection.page, page)
        items = self._expand_list(items, expansions(grouped))
        return {"object": "list", "data": items, "has_more": has_more, "url": f"/v1/{name}"}

    def retrieve(self, request: Request) -> JSONObject:
        name, object_id = request.path_params["collection"], request.path_params["id"]
        if name not in OBJECT_NAMES or request.method != "GET":
            raise self._unrecognized_error(request)
        obj = self.store.collection(name).get(object_id)
        if obj is None and name == "customers" and object_id in self.store.deleted_customers:
            return {"id": object_id, "object": "customer", "deleted": True}
        if obj is None:
            raise errors.no_such(OBJECT_NAMES[name], object_id)
        for path in expansions(split_params(request.query_params)):
            obj = expand(self.store, obj, path)
        return obj

    def retrieve_event(self, request: Request) -> JSONObject:
        event = self.store.events.get(request.path_params["id"])
        if event is None:
            raise errors.no_such("event", request.path_params["id"])
        return event

    def invoice_lines(self, request: Request) -> JSONObject:
        invoice_id = request.path_params["id"]
        invoice = self.store.collection("invoices").get(invoice_id)
        if invoice is None:
            raise errors.no_such("invoice", invoice_id)
        grouped = split_params(request.query_params)
        page = page_request("lines", grouped)
        lines: list[JSONObject] = (invoice.get("lines") or {}).get("data") or []
        items, has_more = _page_in_order(lines, page)
        items = self._expand_list(items, expansions(grouped))
        url = f"/v1/invoices/{invoice_id}/lines"
        return {"object": "list", "data": items, "has_more": has_more, "url": url}

    def balance(self, request: Request) -> JSONObject:
        transactions = self.store.collection("balance_transactions")
        if self._balance_cache is None or self._balance_cache[0] != transactions.version:
            self._balance_cache = (transactions.version, _balance(transactions.by_id.values()))
        return self._balance_cache[1]

    def unrecognized(self, request: Request) -> JSONObject:
        raise self._unrecognized_error(request)

    @staticmethod
    def _unrecognized_error(request: Request) -> StripeApiError:
        return errors.unrecognized_url(request.method, request.url.path)

    def _page(
        self,
        name: str,
        pager: Callable[[PageRequest], tuple[list[JSONObject], bool]],
        page: PageRequest,
    ) -> tuple[list[JSONObject], bool]:
        try:
            return pager(page)
        except KeyError as exc:
            cursor = "starting_after" if page.starting_after is not None else "ending_before"
            object_name = OBJECT_NAMES.get(name, "event")
            raise errors.no_such(object_name, str(exc.args[0]), param=cursor) from None

    def _expand_list(self, items: list[JSONObject], paths: list[list[str]]) -> list[JSONObject]:
        for path in paths:
            if path[0] != "data" or len(path) < 2:
                raise errors.cannot_expand(".".join(path))
            items = [expand(self.store, item, path[1:]) for item in items]
        return items


def _api_key(request: Request) -> str | None:
    """Stripe takes the key as Bearer, or as the user of Basic auth."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[0]
    return None


def _page_in_order(items: list[JSONObject], page: PageRequest) -> tuple[list[JSONObject], bool]:
    """Paging over an embedded list, which keeps its own order (invoice lines)."""
    ids = [item["id"] for item in items]
    start, stop = 0, len(items)
    if page.starting_after is not None:
        start = ids.index(page.starting_after) + 1 if page.starting_after in ids else stop
    elif page.ending_before is not None:
        stop = ids.index(page.ending_before) if page.ending_before in ids else 0
        start = max(stop - page.limit, 0)
        return items[start:stop], start > 0
    return items[start : start + page.limit], start + page.limit < stop


def _balance(transactions: Iterable[JSONObject]) -> JSONObject:
    available: dict[str, int] = {}
    pending: dict[str, int] = {}
    for txn in transactions:
        bucket = available if txn.get("status") == "available" else pending
        bucket[txn["currency"]] = bucket.get(txn["currency"], 0) + int(txn.get("net") or 0)
    currencies = sorted(set(available) | set(pending)) or ["usd"]
    return {
        "object": "balance",
        "available": [_funds(available.get(c, 0), c) for c in currencies],
        "connect_reserved": [{"amount": 0, "currency": c} for c in currencies],
        "livemode": False,
        "pending": [_funds(pending.get(c, 0), c) for c in currencies],
    }


def _funds(amount: int, currency: str) -> JSONObject:
    return {"amount": amount, "currency": currency, "source_types": {"card": amount}}
