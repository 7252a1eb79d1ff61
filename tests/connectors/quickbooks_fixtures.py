"""A small QuickBooks company on disk, the QBO emulator serving it, and connectors pointed at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from connectors.quickbooks import QuickBooksConnector
from connectors.quickbooks.config import QuickBooksConfig
from connectors.quickbooks.tokens import MemoryTokenStore, TokenStore
from sandbox.emulators.quickbooks import QuickBooksConfig as EmulatorConfig
from sandbox.emulators.quickbooks import build_app
from sandbox.serve import AppServer

EPOCH = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)


def stamp(seconds: int) -> str:
    return (EPOCH + timedelta(seconds=seconds)).isoformat()


def meta(entity_id: str, updated_s: int, sync: int = 0) -> dict[str, Any]:
    return {
        "Id": entity_id,
        "SyncToken": str(sync),
        "domain": "QBO",
        "sparse": False,
        "MetaData": {"CreateTime": stamp(0), "LastUpdatedTime": stamp(updated_s)},
    }


def customer(entity_id: str, updated_s: int) -> dict[str, Any]:
    return {
        **meta(entity_id, updated_s),
        "DisplayName": f"Customer {entity_id}",
        "PrimaryEmailAddr": {"Address": f"c{entity_id}@example.com"},
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "Balance": 0,
        "Active": True,
    }


def invoice(entity_id: str, updated_s: int, total: str, customer_id: str = "1") -> dict[str, Any]:
    return {
        **meta(entity_id, updated_s),
        "DocNumber": f"INV-{entity_id}",
        "TxnDate": "2026-01-05",
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "CustomerRef": {"value": customer_id, "name": f"Customer {customer_id}"},
        "Line": [
            {
                "Id": "1",
                "LineNum": 1,
                "Amount": _Raw(total),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1},
            }
        ],
        "TotalAmt": _Raw(total),
        "Balance": _Raw(total),
        "LinkedTxn": [],
    }


@dataclass(frozen=True)
class _Raw:
    """A JSON number written exactly as given (a float would already be rounded)."""

    text: str


def _dumps(value: Any) -> str:
    if isinstance(value, _Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dumps(v) for v in value) + "]"
    return json.dumps(value)


# Three customers share one second (ties at a page boundary), the rest are a second apart.
CUSTOMERS = [customer(str(n), s) for n, s in [(1, 10), (2, 20), (3, 20), (4, 20), (5, 30)]]
CUSTOMERS += [customer(str(n), 30 + n) for n in range(6, 12)]
# Amounts that a float parse would not keep exactly as written.
INVOICE_TOTALS = ["10.10", "0.30", "1234567.89", "99999999999.99", "1500", "12.05", "7.77"]
INVOICES = [invoice(str(n), 100 + n, t) for n, t in enumerate(INVOICE_TOTALS, start=1)]


def write_company(directory: Path) -> Path:
    folder = directory / "quickbooks"
    folder.mkdir(parents=True, exist_ok=True)
    collections = {"Customer": CUSTOMERS, "Invoice": INVOICES}
    for name in (
        "Customer",
        "Invoice",
        "Payment",
        "CreditMemo",
        "RefundReceipt",
        "JournalEntry",
        "Deposit",
        "Account",
    ):
        (folder / f"{name}.json").write_text(_dumps(collections.get(name, [])))
    return directory


@dataclass
class QboSandbox:
    """The emulator on loopback, its admin API, and a factory of connectors pointed at it."""

    server: AppServer
    emulator: EmulatorConfig
    admin: httpx.Client
    sleeps: list[float] = field(default_factory=list)
    _opened: list[QuickBooksConnector] = field(default_factory=list)

    @property
    def api_base(self) -> str:
        return self.server.url + "/v3"

    def config(self, **changes: Any) -> QuickBooksConfig:
        emulator = self.emulator
        settings: dict[str, Any] = {
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
            "realm_id": emulator.realm_id,
            "refresh_token": emulator.refresh_token,
            "environment": "sandbox",
            "api_base": self.api_base,
            "webhook_verifier_token": emulator.webhook_verifier_token,
            "page_size": 4,
            # Intuit's 500/min spaces calls 120 ms apart; tests that do not measure it go faster.
            "requests_per_minute": 60_000,
        }
        settings.update(changes)
        return QuickBooksConfig(**settings)

    def connector(self, store: TokenStore | None = None, **changes: Any) -> QuickBooksConnector:
        connector = QuickBooksConnector(
            self.config(**changes),
            store if store is not None else MemoryTokenStore(),
            sleep=self.sleeps.append,
        )
        self._opened.append(connector)
        return connector

    def faults(self, **faults: Any) -> None:
        self.admin.post("/_sandbox/faults", json=faults).raise_for_status()

    def put(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.admin.post(f"/_sandbox/objects/{entity}", json=body)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def patch(self, entity: str, entity_id: str, changes: dict[str, Any]) -> None:
        self.admin.patch(f"/_sandbox/objects/{entity}/{entity_id}", json=changes).raise_for_status()

    def delete(self, entity: str, entity_id: str) -> None:
        self.admin.delete(f"/_sandbox/objects/{entity}/{entity_id}").raise_for_status()

    def get(self, entity: str, entity_id: str) -> dict[str, Any]:
        response = self.admin.get(f"/_sandbox/objects/{entity}/{entity_id}")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def close(self) -> None:
        for connector in self._opened:
            connector.close()
        self.admin.close()
        self.server.stop()


def serve_company(directory: Path, emulator: EmulatorConfig | None = None) -> QboSandbox:
    emulator = emulator or EmulatorConfig()
    server = AppServer(build_app(write_company(directory), emulator))
    server.start()
    return QboSandbox(server, emulator, httpx.Client(base_url=server.url, timeout=10))


def running(directory: Path) -> Iterator[QboSandbox]:
    sandbox = serve_company(directory)
    try:
        yield sandbox
    finally:
        sandbox.close()
