"""A small Stripe dataset built from Stripe's own examples, and the emulator serving it."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import orjson

from connectors.stripe import StripeConfig, StripeConnector
from sandbox.emulators.stripe import StripeConfig as EmulatorConfig
from sandbox.emulators.stripe import build_app
from sandbox.emulators.stripe.store import OBJECT_NAMES, StripeStore
from sandbox.serve import AppServer
from tests.shared_fixtures import STRIPE_FIXTURES

FIXTURES = STRIPE_FIXTURES
EMULATOR = EmulatorConfig(api_key="sk_test_connector_tests_0000")
DAY = 86400
PREFIXES = {
    "customers": "cus",
    "subscriptions": "sub",
    "invoices": "in",
    "invoice_payments": "inpay",
    "charges": "ch",
    "payment_intents": "pi",
    "refunds": "re",
    "disputes": "dp",
    "credit_notes": "cn",
    "payouts": "po",
    "balance_transactions": "txn",
}


@cache
def _examples() -> dict[str, Any]:
    resources: dict[str, Any] = orjson.loads(FIXTURES.read_bytes())["resources"]
    return resources


def example(collection: str, index: int, created: int) -> dict[str, Any]:
    """Stripe's example object for `collection`, with a unique id and the given `created`."""
    obj = copy.deepcopy(_examples()[OBJECT_NAMES[collection]])
    obj["id"] = f"{PREFIXES[collection]}_{index:06d}"
    obj["created"] = created
    if collection == "subscriptions":
        obj["status"] = "active"
    if collection == "invoices":
        obj["lines"] = {**obj["lines"], "has_more": False, "url": f"/v1/invoices/{obj['id']}/lines"}
    return obj


def write_dataset(data_dir: Path, counts: dict[str, int], newest: int | None = None) -> None:
    """`counts[collection]` objects per collection, one a minute, the newest at `newest`."""
    newest = newest if newest is not None else int(time.time()) - DAY
    (data_dir / "stripe").mkdir(parents=True, exist_ok=True)
    for collection in OBJECT_NAMES:
        count = counts.get(collection, 0)
        items = [example(collection, i, newest - 60 * (count - 1 - i)) for i in range(count)]
        (data_dir / "stripe" / f"{collection}.json").write_bytes(orjson.dumps(items))


@dataclass
class Emulator:
    """The Stripe emulator on a loopback port, with its admin API and its in-process store."""

    server: AppServer
    admin: httpx.Client
    connectors: list[StripeConnector] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def store(self) -> StripeStore:
        store: StripeStore = self.server.app.state.store  # type: ignore[attr-defined]
        return store

    def faults(self, **faults: Any) -> None:
        self.admin.post("/_sandbox/faults", json=faults).raise_for_status()

    def create(self, collection: str, obj: dict[str, Any]) -> None:
        self.admin.post(f"/_sandbox/objects/{collection}", json=obj).raise_for_status()

    def update(self, collection: str, object_id: str, changes: dict[str, Any]) -> None:
        response = self.admin.patch(f"/_sandbox/objects/{collection}/{object_id}", json=changes)
        response.raise_for_status()

    def delete(self, collection: str, object_id: str) -> None:
        self.admin.delete(f"/_sandbox/objects/{collection}/{object_id}").raise_for_status()

    def connector(self, **overrides: Any) -> StripeConnector:
        settings: dict[str, Any] = {
            "api_key": EMULATOR.api_key,
            "api_base": self.url,
            "rate_limit": None,
            "base_delay_s": 0.001,
            "max_delay_s": 0.01,
            **overrides,
        }
        connector = StripeConnector(StripeConfig(**settings))
        self.connectors.append(connector)  # closed when the emulator stops
        return connector


def serve(data_dir: Path) -> Iterator[Emulator]:
    with (
        AppServer(build_app(data_dir, EMULATOR)) as server,
        httpx.Client(base_url=server.url, timeout=10) as admin,
    ):
        emulator = Emulator(server, admin)
        try:
            yield emulator
        finally:
            for connector in emulator.connectors:
                connector.close()
