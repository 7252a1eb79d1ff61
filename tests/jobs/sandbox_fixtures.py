"""A running sandbox (the three emulators) with a tiny org, and hub settings pointing at it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from canonical.records import Source
from canonical.store import Store
from connectors.salesforce.objects import fields_for
from hub.settings import Settings
from hub.wiring import build_connectors, close_connectors
from sandbox.serve import Sandbox
from tests.jobs.helpers import stripe_fixture

OWNER_ID = "005000000000007AAA"
OPPORTUNITY_ID = "006000000000042AAA"
INVOICE_ID = "in_1Pgc6tB7WZ01zgkWu9fdqL6I"
NUMBER = "RC-0042"


@dataclass
class Org:
    sandbox: Sandbox
    settings: Settings

    def admin(self, vendor: str) -> httpx.Client:
        return httpx.Client(base_url=self.sandbox.urls[vendor], timeout=10)

    def put(self, vendor: str, collection: str, body: dict[str, Any]) -> None:
        with self.admin(vendor) as client:
            client.post(f"/_sandbox/objects/{collection}", json=body).raise_for_status()

    def faults(self, vendor: str, **faults: Any) -> None:
        with self.admin(vendor) as client:
            client.post("/_sandbox/faults", json=faults).raise_for_status()


def settings_for(sandbox: Sandbox, database_url: str, **extra: Any) -> Settings:
    return Settings(**{**sandbox.env(), "REVCYCLE_DATABASE_URL": database_url, **extra})


def full_record(sobject: str, **values: Any) -> dict[str, Any]:
    """Every field the connector reads (the emulator learns an object's fields from its data)."""
    record: dict[str, Any] = dict.fromkeys(fields_for(sobject, multi_currency=True))
    record.pop("Product2.Name", None)
    record.update(values)
    return record


def seed(org: Org) -> None:
    org.put("salesforce", "User", full_record(
        "User", Id=OWNER_ID, Username="owner@example.com", LastName="Owner", IsActive=True,
    ))  # fmt: skip
    org.put("salesforce", "Opportunity", full_record(
        "Opportunity", Id=OPPORTUNITY_ID, Name="Big deal", OwnerId=OWNER_ID,
        StageName="Closed Won", IsClosed=True, IsWon=True, Amount=10.0, CloseDate="2026-01-01",
        CurrencyIsoCode="USD", IsDeleted=False,
    ))  # fmt: skip
    org.put("stripe", "payment_intents", {
        **stripe_fixture("payment_intent"), "id": "pi_rc1", "latest_charge": "ch_rc1",
        "last_payment_error": {"message": "Your card was declined.", "code": "card_declined"},
    })  # fmt: skip
    org.put("stripe", "invoice_payments", {
        **stripe_fixture("invoice_payment"), "id": "inpay_rc1", "invoice": INVOICE_ID,
        "payment": {"type": "payment_intent", "payment_intent": "pi_rc1"},
    })  # fmt: skip
    org.put("quickbooks", "Customer", {
        "Id": "7", "DisplayName": "Customer 7", "CurrencyRef": {"value": "USD"}, "Active": True,
    })  # fmt: skip
    org.put("quickbooks", "Invoice", {
        "Id": "70", "DocNumber": NUMBER, "TxnDate": "2026-01-05",
        "CurrencyRef": {"value": "USD"}, "CustomerRef": {"value": "7"},
        "Line": [{"Id": "1", "LineNum": 1, "Amount": 10.0, "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1}}],
        "TotalAmt": 10.0, "Balance": 10.0, "LinkedTxn": [],
    })  # fmt: skip


def stripe_invoice(status: str) -> dict[str, Any]:
    invoice = stripe_fixture("invoice")
    paid = 1000 if status == "paid" else 0
    invoice.update(
        status=status,
        number=NUMBER,
        amount_due=1000,
        amount_paid=paid,
        amount_remaining=1000 - paid,
        metadata={"salesforce_opportunity_id": OPPORTUNITY_ID},
    )
    return invoice


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    data = tmp_path / "sandbox-data"
    data.mkdir()
    (data / "meta.json").write_text(json.dumps({"seed": 1}))
    with Sandbox(Path(data)) as running:
        yield running


@pytest.fixture
async def org(sandbox: Sandbox, store: Store, store_url: str) -> Org:
    found = Org(sandbox, settings_for(sandbox, store_url))
    seed(found)
    return found


@pytest.fixture
async def connectors(org: Org, store: Store) -> AsyncIterator[dict[Source, Any]]:
    built = build_connectors(org.settings, store)
    yield built
    close_connectors(built)


def tasks_about(connectors: dict[Source, Any], what_id: str) -> list[dict[str, Any]]:
    client = connectors[Source.SALESFORCE].client
    soql = (
        f"SELECT Id, Subject, Priority, OwnerId, Description FROM Task WHERE WhatId = '{what_id}'"
    )
    result = client.query(soql, include_deleted=False, operation="test")
    return list(result["records"])


def qbo_payments(connectors: dict[Source, Any]) -> list[dict[str, Any]]:
    answer = connectors[Source.QUICKBOOKS].client.query("SELECT * FROM Payment")
    return list((answer.get("QueryResponse") or {}).get("Payment") or [])
