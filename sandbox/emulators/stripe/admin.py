"""The `/_sandbox` admin API (no Stripe auth): faults, direct state changes, and webhook firing."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.common import Faults
from sandbox.emulators.stripe.collection import JSONObject
from sandbox.emulators.stripe.config import StripeConfig
from sandbox.emulators.stripe.routes import json_response
from sandbox.emulators.stripe.scenarios import SCENARIOS, plan
from sandbox.emulators.stripe.store import OBJECT_NAMES, StripeStore
from sandbox.emulators.stripe.webhooks import deliver_all


def _problem(status: int, message: str) -> Response:
    return json_response(status, {"error": message})


async def _json_body(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return None


class SandboxAdmin:
    def __init__(self, store: StripeStore, faults: Faults, config: StripeConfig) -> None:
        self.store = store
        self.faults = faults
        self.config = config

    def routes(self) -> list[Route]:
        objects_path = "/_sandbox/objects/{collection}"
        return [
            Route("/_sandbox/faults", self.faults_endpoint, methods=["GET", "POST"]),
            Route("/_sandbox/fire", self.fire, methods=["POST"]),
            Route(objects_path, self.put_object, methods=["POST"]),
            Route(objects_path + "/{id}", self.one_object, methods=["GET", "PATCH", "DELETE"]),
        ]

    async def faults_endpoint(self, request: Request) -> Response:
        if request.method == "POST":
            changes = await _json_body(request)
            if not isinstance(changes, dict):
                return _problem(400, "expected a JSON object of faults")
            try:
                self.faults.update(changes)
            except ValueError as exc:
                return _problem(400, str(exc))
        return json_response(200, self.faults.as_dict())

    async def put_object(self, request: Request) -> Response:
        collection = request.path_params["collection"]
        if collection not in OBJECT_NAMES:
            return _problem(404, f"unknown collection {collection!r}")
        obj = await _json_body(request)
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            return _problem(400, "expected one Stripe object with a string id")
        existed = self.store.collection(collection).get(obj["id"]) is not None
        obj.setdefault("object", OBJECT_NAMES[collection])
        self.store.change(collection, obj)
        return json_response(200 if existed else 201, obj)

    async def one_object(self, request: Request) -> Response:
        collection, object_id = request.path_params["collection"], request.path_params["id"]
        if collection not in OBJECT_NAMES:
            return _problem(404, f"unknown collection {collection!r}")
        current = self.store.collection(collection).get(object_id)
        if current is None:
            return _problem(404, f"no {OBJECT_NAMES[collection]} {object_id!r}")
        if request.method == "GET":
            return json_response(200, current)
        if request.method == "DELETE":
            self.store.delete(collection, object_id)
            return json_response(200, {"id": object_id, "deleted": True})
        changes = await _json_body(request)
        if not isinstance(changes, dict) or changes.get("id", object_id) != object_id:
            return _problem(400, "expected a JSON object of keys to merge (the id cannot change)")
        merged: JSONObject = {**current, **changes}
        self.store.change(collection, merged)
        return json_response(200, merged)

    async def fire(self, request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict):
            return _problem(400, "expected a JSON object with 'to' and 'scenario'")
        to, scenario = body.get("to"), body.get("scenario", "burst")
        if not isinstance(to, str) or not to.startswith(("http://", "https://")):
            return _problem(400, "'to' must be the hub's base URL (http:// or https://)")
        if scenario not in SCENARIOS:
            known = ", ".join(sorted(SCENARIOS))
            return _problem(400, f"unknown scenario {scenario!r}; known: {known}")
        deliveries = plan(self.store, scenario)
        results = await deliver_all(to.rstrip("/") + "/webhooks/stripe", deliveries, self.config)
        return json_response(200, {"deliveries": [result.as_dict() for result in results]})
