"""The Salesforce emulator driven by the real, unmodified simple-salesforce over loopback HTTP."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce.api import Salesforce, SFType
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from sandbox.emulators.salesforce import SalesforceConfig, build_app
from sandbox.emulators.salesforce.ids import make_id
from sandbox.serve import AppServer

OPPORTUNITIES = 450
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


class _PlainHttpAdapter(HTTPAdapter):
    """simple-salesforce forces https; the emulator speaks http on loopback."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        assert request.url is not None
        request.url = "http://" + request.url.removeprefix("https://")
        return super().send(request, **kwargs)


def http_session(base_url: str) -> requests.Session:
    session = requests.Session()
    session.mount(base_url.replace("http://", "https://"), _PlainHttpAdapter())
    return session


def sobject(sf: Salesforce, name: str) -> SFType:
    return cast(SFType, getattr(sf, name))


def error_body(exc: SalesforceError) -> Any:
    """The decoded JSON error body simple-salesforce keeps on its exceptions."""
    return cast(Any, exc.content)


def sf_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _record(
    sobject: str, record_id: str, fields: dict[str, Any], modified: datetime
) -> dict[str, Any]:
    return {
        "attributes": {
            "type": sobject,
            "url": f"/services/data/v59.0/sobjects/{sobject}/{record_id}",
        },
        "Id": record_id,
        **fields,
        "IsDeleted": False,
        "CreatedDate": sf_time(BASE_TIME),
        "LastModifiedDate": sf_time(modified),
        "SystemModstamp": sf_time(modified),
    }


def write_dataset(root: Path) -> dict[str, list[dict[str, Any]]]:
    config = SalesforceConfig()
    user = _record(
        "User", config.user_id, {"Name": "Ada Owner", "Email": "ada@example.com"}, BASE_TIME
    )
    accounts = [
        _record(
            "Account",
            make_id("001", n),
            {"Name": f"Account {n}", "OwnerId": config.user_id},
            BASE_TIME,
        )
        for n in range(1, 4)
    ]
    opportunities = [
        _record(
            "Opportunity",
            make_id("006", n),
            {
                "Name": f"Deal {n}",
                "AccountId": accounts[n % 3]["Id"],
                "OwnerId": config.user_id,
                "Amount": float(n * 100),
                "StageName": "Closed Won" if n % 4 == 0 else "Prospecting",
                "IsClosed": n % 4 == 0,
                "IsWon": n % 4 == 0,
                "CloseDate": (BASE_TIME.date() + timedelta(days=n % 60)).isoformat(),
                "CurrencyIsoCode": "USD",
            },
            BASE_TIME + timedelta(hours=n),
        )
        for n in range(1, OPPORTUNITIES + 1)
    ]
    data = {"User": [user], "Account": accounts, "Opportunity": opportunities}
    (root / "salesforce").mkdir(parents=True)
    for name, items in data.items():
        (root / "salesforce" / f"{name}.json").write_text(json.dumps(items))
    return data


@pytest.fixture(scope="module")
def dataset(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, list[dict[str, Any]]]]:
    root = tmp_path_factory.mktemp("sfdata")
    return root, write_dataset(root)


@pytest.fixture
def server(dataset: tuple[Path, Any]) -> Iterator[AppServer]:
    with AppServer(build_app(dataset[0], SalesforceConfig())) as running:
        yield running


@pytest.fixture
def sf(server: AppServer) -> Salesforce:
    return Salesforce(
        instance_url=server.url.replace("http://", "https://"),
        session_id=SalesforceConfig().access_token,
        session=http_session(server.url),
    )


def test_query_returns_requested_fields_with_attributes(sf: Salesforce) -> None:
    result = sf.query("SELECT Id, Name, Amount FROM Opportunity WHERE Name = 'deal 7'")

    assert result["totalSize"] == 1
    assert result["done"] is True
    record = result["records"][0]
    assert list(record) == ["attributes", "Id", "Name", "Amount"]
    assert record["attributes"]["type"] == "Opportunity"
    assert record["Name"] == "Deal 7"
    assert record["Amount"] == 700.0


def test_query_all_follows_next_records_url_in_batches(sf: Salesforce) -> None:
    first = sf.query(
        "SELECT Id FROM Opportunity", headers={"Sforce-Query-Options": "batchSize=200"}
    )
    assert len(first["records"]) == 200
    assert first["done"] is False
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")

    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert len(second["records"]) == 200

    everything = sf.query_all("SELECT Id FROM Opportunity")
    assert everything["totalSize"] == OPPORTUNITIES
    assert len({r["Id"] for r in everything["records"]}) == OPPORTUNITIES


def test_system_modstamp_window_with_order_by_and_limit(sf: Salesforce) -> None:
    start, end = BASE_TIME + timedelta(hours=10), BASE_TIME + timedelta(hours=20)
    soql = (
        "SELECT Id, Name, SystemModstamp FROM Opportunity "
        f"WHERE SystemModstamp > {start.strftime('%Y-%m-%dT%H:%M:%SZ')} "
        f"AND SystemModstamp <= {end.strftime('%Y-%m-%dT%H:%M:%S+0000')} "
        "ORDER BY SystemModstamp DESC LIMIT 5"
    )

    names = [r["Name"] for r in sf.query_all(soql)["records"]]

    assert names == ["Deal 20", "Deal 19", "Deal 18", "Deal 17", "Deal 16"]


def test_relationship_fields_come_back_nested(sf: Salesforce) -> None:
    result = sf.query("SELECT Id, Account.Name, Owner.Email FROM Opportunity WHERE Name = 'Deal 1'")

    record = result["records"][0]
    assert record["Account"]["Name"] == "Account 2"
    assert record["Account"]["attributes"]["type"] == "Account"
    assert record["Owner"]["Email"] == "ada@example.com"


def test_in_like_or_and_boolean_operators(sf: Salesforce) -> None:
    soql = (
        "SELECT Id, Name FROM Opportunity "
        "WHERE (Name IN ('Deal 1', 'Deal 2') OR Name LIKE 'Deal 44_') "
        "AND IsWon = false ORDER BY Amount ASC"
    )

    names = [r["Name"] for r in sf.query_all(soql)["records"]]

    assert names == [
        "Deal 1",
        "Deal 2",
        "Deal 441",
        "Deal 442",
        "Deal 443",
        "Deal 445",
        "Deal 446",
        "Deal 447",
        "Deal 449",
    ]


def test_unknown_field_gets_invalid_field(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id, Bogus__c FROM Opportunity")

    error = error_body(caught.value)[0]
    assert error["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Bogus__c' on entity 'Opportunity'" in error["message"]


def test_retrieve_by_id_and_missing_id(sf: Salesforce, dataset: tuple[Path, Any]) -> None:
    account = dataset[1]["Account"][0]

    fetched = sobject(sf, "Account").get(account["Id"])

    assert fetched["Name"] == account["Name"]
    with pytest.raises(SalesforceResourceNotFound):
        sobject(sf, "Account").get(make_id("001", 999))


def test_task_create_is_queryable(sf: Salesforce, dataset: tuple[Path, Any]) -> None:
    opportunity = dataset[1]["Opportunity"][0]["Id"]

    created = sobject(sf, "Task").create(
        {
            "Subject": "Invoice deal",
            "WhatId": opportunity,
            "Priority": "High",
            "ActivityDate": "2026-02-01",
        }
    )

    assert created["success"] is True
    assert created["id"].startswith("00T")
    found = sf.query(
        f"SELECT Id, Subject, Status, OwnerId FROM Task WHERE WhatId = '{opportunity[:15]}'"
    )
    assert found["records"][0]["Id"] == created["id"]
    assert found["records"][0]["Status"] == "Not Started"
    assert found["records"][0]["OwnerId"] == SalesforceConfig().user_id


def test_limits_count_api_requests(sf: Salesforce) -> None:
    before = sf.limits()["DailyApiRequests"]

    after = sf.limits()["DailyApiRequests"]

    assert after["Max"] == SalesforceConfig().daily_api_limit
    assert after["Remaining"] == before["Remaining"] - 1


def test_deleted_record_hidden_from_query_but_not_query_all(
    sf: Salesforce, server: AppServer
) -> None:
    victim = sf.query("SELECT Id FROM Opportunity WHERE Name = 'Deal 3'")["records"][0]["Id"]

    httpx.delete(f"{server.url}/_sandbox/objects/Opportunity/{victim}").raise_for_status()

    soql = f"SELECT Id, IsDeleted FROM Opportunity WHERE Id = '{victim}'"
    assert sf.query(soql)["totalSize"] == 0
    assert sf.query_all(soql, include_deleted=True)["records"][0]["IsDeleted"] is True


def test_wrong_token_gets_invalid_session_id(server: AppServer) -> None:
    sf = Salesforce(
        instance_url=server.url.replace("http://", "https://"),
        session_id="00Dwrong!token",
        session=http_session(server.url),
    )

    with pytest.raises(SalesforceExpiredSession) as caught:
        sf.query("SELECT Id FROM Account")

    assert error_body(caught.value) == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_rate_limit_fault_is_request_limit_exceeded_403(sf: Salesforce, server: AppServer) -> None:
    httpx.post(f"{server.url}/_sandbox/faults", json={"rate_limit": 1}).raise_for_status()

    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.query("SELECT Id FROM Account")

    assert error_body(caught.value)[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert sf.query("SELECT Id FROM Account")["totalSize"] == 3


def test_expired_tokens_need_a_refresh_grant(sf: Salesforce, server: AppServer) -> None:
    config = SalesforceConfig()
    httpx.post(f"{server.url}/_sandbox/faults", json={"expire_tokens": True}).raise_for_status()
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Account")

    answer = http_session(server.url).post(
        f"{server.url.replace('http://', 'https://')}/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "refresh_token": config.refresh_token,
        },
    )

    assert answer.status_code == 200
    token = answer.json()
    assert token["instance_url"] == server.url
    assert token["token_type"] == "Bearer"
    fresh = Salesforce(
        instance_url=token["instance_url"],
        session_id=token["access_token"],
        session=http_session(server.url),
    )
    assert fresh.query("SELECT Id FROM Account")["totalSize"] == 3


def test_bad_refresh_token_is_invalid_grant(server: AppServer) -> None:
    config = SalesforceConfig()

    answer = httpx.post(
        f"{server.url}/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": config.client_id,
            "refresh_token": "nope",
        },
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("form", "status"),
    [
        (
            {
                "grant_type": "password",
                "client_id": SalesforceConfig().client_id,
                "client_secret": SalesforceConfig().client_secret,
                "username": SalesforceConfig().username,
                "password": SalesforceConfig().password + SalesforceConfig().security_token,
            },
            200,
        ),
        (
            {
                "grant_type": "password",
                "client_id": SalesforceConfig().client_id,
                "username": SalesforceConfig().username,
                "password": SalesforceConfig().password,  # the security token is missing
            },
            400,
        ),
        (
            {
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": _jwt({"iss": SalesforceConfig().client_id, "sub": "integration"}),
            },
            200,
        ),
        (
            {
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": _jwt({"iss": "someone-else", "sub": "integration"}),
            },
            400,
        ),
        ({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "x.y"}, 400),
    ],
)
def test_password_and_jwt_grants(server: AppServer, form: dict[str, str], status: int) -> None:
    answer = httpx.post(f"{server.url}/services/oauth2/token", data=form)

    assert answer.status_code == status
    if status == 200:
        token = answer.json()["access_token"]
        limits = httpx.get(
            f"{server.url}/services/data/v59.0/limits/",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert limits.status_code == 200
