"""Shared fixtures for the Salesforce connector tests: a small org on disk, the emulator on a
loopback port, and connectors pointed at it."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from connectors.base import Item
from connectors.salesforce import SalesforceConfig, SalesforceConnector
from connectors.salesforce.client import SalesforceClient
from sandbox.emulators.salesforce import SalesforceConfig as EmulatorConfig
from sandbox.emulators.salesforce import build_app
from sandbox.emulators.salesforce.ids import make_id

BASE_TIME = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OWNER_ID = make_id("005", 1)


def sf_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def record(sobject: str, record_id: str, modified: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "attributes": {
            "type": sobject,
            "url": f"/services/data/v59.0/sobjects/{sobject}/{record_id}",
        },
        "Id": record_id,
        "IsDeleted": False,
        "CreatedDate": sf_time(modified),
        "LastModifiedDate": sf_time(modified),
        "SystemModstamp": sf_time(modified),
        "CurrencyIsoCode": "USD",
        **fields,
    }


def account(number: int, modified: datetime) -> dict[str, Any]:
    return record(
        "Account", make_id("001", number), modified, Name=f"Account {number}", Type="Customer",
        ParentId=None, Website=f"https://a{number}.example", Industry="Software",
        BillingCity="Lyon", BillingCountry="France", OwnerId=OWNER_ID,
    )  # fmt: skip


def small_org(accounts: int, *, same_second: int = 0) -> dict[str, list[dict[str, Any]]]:
    """`accounts` Accounts a second apart, except the first `same_second`, which share one second
    (as a bulk load stamps them), and one of each other object."""
    rows = []
    for n in range(1, accounts + 1):
        step = timedelta(milliseconds=n) if n <= same_second else timedelta(seconds=n)
        rows.append(account(n, BASE_TIME + step))
    first = rows[0]["Id"]
    t = BASE_TIME + timedelta(seconds=accounts + 10)
    opp_id = make_id("006", 1)
    return {
        "Account": rows,
        "User": [
            {
                **record("User", OWNER_ID, t, Username="ae@example.com", FirstName="Ada",
                         LastName="Lovelace", Name="Ada Lovelace", Email="ae@example.com",
                         IsActive=True, UserType="Standard"),
            }
        ],
        "Contact": [
            record("Contact", make_id("003", 1), t, AccountId=first, FirstName="Grace",
                   LastName="Hopper", Name="Grace Hopper", Email="g@example.com", Title="CTO",
                   OwnerId=OWNER_ID),
        ],
        "Lead": [
            record("Lead", make_id("00Q", 1), t, FirstName="Alan", LastName="Turing",
                   Name="Alan Turing", Company="Bletchley", Email="a@example.com",
                   Status="Open", LeadSource="Web", OwnerId=OWNER_ID, IsConverted=False,
                   ConvertedAccountId=None, ConvertedContactId=None,
                   ConvertedOpportunityId=None, ConvertedDate=None),
        ],
        "Opportunity": [
            record("Opportunity", opp_id, t, Name="Big deal", AccountId=first, OwnerId=OWNER_ID,
                   StageName="Closed Won", Amount=Decimal("12345.67"), Probability=100,
                   CloseDate="2026-01-02", Type="New Business", IsClosed=True, IsWon=True,
                   ForecastCategory="Closed", HasOpportunityLineItem=True, Pricebook2Id=None),
        ],
        "OpportunityLineItem": [
            record("OpportunityLineItem", make_id("00k", 1), t, OpportunityId=opp_id,
                   Product2Id=make_id("01t", 1), ProductCode="PRO", Name="Big deal Pro",
                   PricebookEntryId=make_id("01u", 1), Quantity=3, UnitPrice=Decimal("4115.89"),
                   ListPrice=Decimal("4115.89"), Discount=None, TotalPrice=Decimal("12347.67"),
                   ServiceDate="2026-01-02", SortOrder=1),
        ],
    }  # fmt: skip


def write_org(data_dir: Path, org: dict[str, list[dict[str, Any]]]) -> Path:
    folder = data_dir / "salesforce"
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in org.items():
        # Salesforce writes amounts as JSON numbers; float's shortest repr keeps these digits.
        (folder / f"{name}.json").write_text(json.dumps(rows, default=float))
    return data_dir


class Emulator:
    """The Salesforce emulator served by uvicorn on a free loopback port, in a daemon thread."""

    def __init__(self, data_dir: Path, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.app = build_app(data_dir, self.config)
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        server_config = uvicorn.Config(self.app, log_level="warning", lifespan="off", ws="none")
        self._server = uvicorn.Server(server_config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self.admin = httpx.Client(base_url=self.url, timeout=10)

    def __enter__(self) -> Emulator:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "emulator did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.admin.close()
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def faults(self, **faults: Any) -> None:
        self.admin.post("/_sandbox/faults", json=faults).raise_for_status()

    def put(self, sobject: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.admin.post(f"/_sandbox/objects/{sobject}", json=body)
        response.raise_for_status()
        return dict(response.json())

    def patch(self, sobject: str, record_id: str, changes: dict[str, Any]) -> None:
        self.admin.patch(
            f"/_sandbox/objects/{sobject}/{record_id}", json=changes
        ).raise_for_status()

    def delete(self, sobject: str, record_id: str) -> None:
        self.admin.delete(f"/_sandbox/objects/{sobject}/{record_id}").raise_for_status()

    def config_for(self, **overrides: Any) -> SalesforceConfig:
        """Connector settings for this org: a live access token that can be refreshed."""
        config = SalesforceConfig(
            instance_url=self.url,
            access_token=self.config.access_token,
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            refresh_token=self.config.refresh_token,
            organization_id=self.config.organization_id,
            page_size=200,
            retry_base_delay=0.001,
            retry_max_delay=0.01,
            requests_per_second=1000.0,
        )
        return replace(config, **overrides)


@dataclass
class Sleeps:
    """An injected `sleep` that records how long the client would have waited."""

    calls: list[float]

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def connector_for(
    emulator: Emulator, sleeps: Sleeps | None = None, **overrides: Any
) -> SalesforceConnector:
    config = emulator.config_for(**overrides)
    client = SalesforceClient(config, sleep=sleeps or Sleeps([]))
    return SalesforceConnector(config, client=client)


def read_all(
    connector: SalesforceConnector, obj: str, cursor: str | None = None
) -> tuple[list[Item], str | None]:
    (stream,) = connector.streams([obj])
    items: list[Item] = []
    for page in stream.read(cursor):
        items.extend(page.items)
        cursor = page.cursor or cursor
    return items, cursor


@pytest.fixture
def org_dir(tmp_path: Path) -> Path:
    return write_org(tmp_path, small_org(450))


@pytest.fixture
def emulator(org_dir: Path) -> Iterator[Emulator]:
    with Emulator(org_dir) as running:
        yield running
