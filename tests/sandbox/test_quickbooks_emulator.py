"""The QuickBooks emulator driven by the real, unmodified python-quickbooks and intuit-oauth."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from quickbooks.cdc import change_data_capture
from quickbooks.client import QuickBooks
from quickbooks.exceptions import (
    AuthorizationException,
    ObjectNotFoundException,
    QuickbooksException,
    ValidationException,
)
from quickbooks.objects.base import LinkedTxn, Ref
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment, PaymentLine

from sandbox.emulators.quickbooks import QuickBooksConfig, build_app
from sandbox.serve import AppServer

INVOICES = 120
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
CONFIG = QuickBooksConfig()


def qbo_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _entity(entity_id: int, fields: dict[str, Any], updated: datetime) -> dict[str, Any]:
    return {
        "Id": str(entity_id),
        "SyncToken": "0",
        "MetaData": {"CreateTime": qbo_time(BASE_TIME), "LastUpdatedTime": qbo_time(updated)},
        "domain": "QBO",
        "sparse": False,
        **fields,
    }


def write_dataset(root: Path) -> None:
    usd = {"value": "USD", "name": "United States Dollar"}
    customers = [
        _entity(n, {"DisplayName": f"Customer {n}", "CurrencyRef": usd}, BASE_TIME) for n in (1, 2)
    ]
    invoices = [
        _entity(
            n,
            {
                "DocNumber": f"INV-{n:04d}",
                "CustomerRef": {"value": str(n % 2 + 1), "name": f"Customer {n % 2 + 1}"},
                "TotalAmt": 100.25 * n,
                "Balance": 100.25 * n,
                "TxnDate": (BASE_TIME.date() + timedelta(days=n % 30)).isoformat(),
                "CurrencyRef": usd,
                "PrivateNote": f"Stripe in_{n:06d}",
                "Line": [],
            },
            BASE_TIME + timedelta(hours=n),
        )
        for n in range(1, INVOICES + 1)
    ]
    (root / "quickbooks").mkdir(parents=True)
    (root / "quickbooks" / "Customer.json").write_text(json.dumps(customers))
    (root / "quickbooks" / "Invoice.json").write_text(json.dumps(invoices))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("qbodata")
    write_dataset(root)
    return root


@pytest.fixture
def server(data_dir: Path) -> Iterator[AppServer]:
    with AppServer(build_app(data_dir, QuickBooksConfig())) as running:
        yield running


def auth_client(server: AppServer, **tokens: Any) -> AuthClient:
    # intuit-oauth takes a discovery URL in place of an environment name.
    return AuthClient(
        CONFIG.client_id,
        CONFIG.client_secret,
        "http://localhost/callback",
        f"{server.url}/.well-known/openid_sandbox_configuration",
        **tokens,
    )


@pytest.fixture
def qb(server: AppServer, monkeypatch: pytest.MonkeyPatch) -> QuickBooks:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.setattr(QuickBooks, "api_url_v3", f"{server.url}/v3")
    client = auth_client(server, refresh_token=CONFIG.refresh_token)
    return QuickBooks(
        auth_client=client,
        refresh_token=CONFIG.refresh_token,
        company_id=CONFIG.realm_id,
        minorversion=75,
    )


def set_faults(server: AppServer, **faults: Any) -> None:
    httpx.post(f"{server.url}/_sandbox/faults", json=faults).raise_for_status()


def test_query_window_pages_with_startposition_and_maxresults(qb: QuickBooks) -> None:
    since = qbo_time(BASE_TIME + timedelta(hours=100)).replace("+00:00", "-00:00")
    select = (
        f"SELECT * FROM Invoice WHERE Metadata.LastUpdatedTime > '{since}' "
        "ORDERBY Metadata.LastUpdatedTime STARTPOSITION {start} MAXRESULTS 8"
    )

    first = Invoice.query(select.format(start=1), qb=qb)
    second = Invoice.query(select.format(start=9), qb=qb)
    third = Invoice.query(select.format(start=17), qb=qb)

    assert [i.DocNumber for i in first][:2] == ["INV-0101", "INV-0102"]
    assert len(first) == 8
    assert [i.Id for i in second] == [str(n) for n in range(109, 117)]
    assert [i.Id for i in third] == ["117", "118", "119", "120"]


def test_filter_get_and_count(qb: QuickBooks) -> None:
    found = Invoice.filter(DocNumber="INV-0007", qb=qb)

    assert len(found) == 1
    invoice = Invoice.get(found[0].Id, qb=qb)
    assert Decimal(str(invoice.Balance)) == Decimal("701.75")
    assert invoice.CustomerRef.value == "2"
    assert Invoice.count("TotalAmt >= '12000'", qb=qb) == 1


def test_reading_a_missing_entity_is_object_not_found(qb: QuickBooks) -> None:
    with pytest.raises(ObjectNotFoundException) as caught:
        Invoice.get("999999", qb=qb)

    assert caught.value.error_code == 610


def _payment(invoice_id: str, amount: str) -> Payment:
    payment = Payment()
    payment.CustomerRef = Ref()
    payment.CustomerRef.value = "2"
    payment.TotalAmt = float(amount)
    line = PaymentLine()
    line.Amount = float(amount)
    linked = LinkedTxn()
    linked.TxnId = invoice_id
    linked.TxnType = "Invoice"
    line.LinkedTxn = [linked]
    payment.Line = [line]
    payment.PrivateNote = "Stripe ch_0001"
    return payment


def test_payment_save_is_idempotent_on_request_id(qb: QuickBooks) -> None:
    first = _payment("1", "40.10").save(qb=qb, request_id="req-0001")
    again = _payment("1", "40.10").save(qb=qb, request_id="req-0001")

    assert first.Id == again.Id
    assert len(Payment.filter(PrivateNote="Stripe ch_0001", qb=qb)) == 1
    invoice = Invoice.get("1", qb=qb)
    assert Decimal(str(invoice.Balance)) == Decimal("60.15")
    assert {"TxnId": first.Id, "TxnType": "Payment"} in [
        {"TxnId": t.TxnId, "TxnType": t.TxnType} for t in invoice.LinkedTxn
    ]
    assert Payment.get(first.Id, qb=qb).UnappliedAmt == 0


def test_payment_beyond_the_balance_is_refused(qb: QuickBooks) -> None:
    with pytest.raises(QuickbooksException) as caught:
        _payment("1", "500.00").save(qb=qb, request_id="req-0002")

    assert caught.value.error_code == 6000
    assert Decimal(str(Invoice.get("1", qb=qb).Balance)) == Decimal("100.25")


def test_cdc_reports_updates_and_deletes(qb: QuickBooks, server: AppServer) -> None:
    since = datetime.now(UTC) - timedelta(seconds=5)
    httpx.delete(f"{server.url}/_sandbox/objects/Invoice/5").raise_for_status()
    httpx.patch(f"{server.url}/_sandbox/objects/Invoice/6", json={"Balance": 0}).raise_for_status()

    changes = change_data_capture([Invoice], since, qb=qb)

    by_id = {i.Id: i for i in changes.Invoice}
    assert set(by_id) == {"5", "6"}
    assert by_id["5"].status == "Deleted"
    assert by_id["6"].SyncToken == "1"
    assert Invoice.filter(Id="5", qb=qb) == []


def test_refresh_rotates_the_refresh_token(server: AppServer) -> None:
    client = auth_client(server, refresh_token=CONFIG.refresh_token)

    client.refresh()

    assert client.refresh_token != CONFIG.refresh_token
    assert client.access_token
    with pytest.raises(AuthClientError) as caught:
        auth_client(server).refresh(refresh_token=CONFIG.refresh_token)
    assert caught.value.status_code == 400
    assert caught.value.response.json() == {"error": "invalid_grant"}


def test_wrong_client_secret_is_invalid_client(server: AppServer) -> None:
    client = AuthClient(
        CONFIG.client_id,
        "wrong",
        "http://localhost/callback",
        f"{server.url}/.well-known/openid_configuration",
    )

    with pytest.raises(AuthClientError) as caught:
        client.refresh(refresh_token=CONFIG.refresh_token)

    assert caught.value.status_code == 401
    assert caught.value.response.json() == {"error": "invalid_client"}


def test_throttling_as_json_fault_3001(qb: QuickBooks, server: AppServer) -> None:
    set_faults(server, rate_limit=1, rate_limit_format="json")

    with pytest.raises(ValidationException) as caught:
        Invoice.get("1", qb=qb)

    assert caught.value.error_code == 3001
    assert "ThrottleExceeded" in caught.value.message
    assert Invoice.get("1", qb=qb).Id == "1"


def test_throttling_as_xml_fault_3001(qb: QuickBooks, server: AppServer) -> None:
    set_faults(server, rate_limit=1, rate_limit_format="xml")
    url = f"{server.url}/v3/company/{CONFIG.realm_id}/invoice/1"

    raw = httpx.get(url, headers={"Authorization": f"Bearer {qb.auth_client.access_token}"})

    assert raw.status_code == 429
    assert raw.headers["content-type"].startswith("application/xml")
    assert '<Fault type="ValidationFault"><Error code="3001">' in raw.text
    assert "errorCode=003001; statusCode=429" in raw.text


def test_expired_token_gets_intuit_401_body(qb: QuickBooks, server: AppServer) -> None:
    set_faults(server, expire_tokens=True)

    with pytest.raises(AuthorizationException) as caught:
        Invoice.get("1", qb=qb)

    body = json.loads(caught.value.detail)
    error = body["fault"]["error"][0]
    assert error["code"] == "3200"
    assert error["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    assert error["detail"].startswith("Token expired")
    assert body["fault"]["type"] == "AUTHENTICATION"


def test_server_error_fault_is_a_system_fault(qb: QuickBooks, server: AppServer) -> None:
    set_faults(server, server_error=1)

    with pytest.raises(QuickbooksException) as caught:
        Invoice.get("1", qb=qb)

    assert caught.value.error_code == 10000


def test_company_info(qb: QuickBooks) -> None:
    answer = qb.get(f"{qb.api_url}/company/{CONFIG.realm_id}/companyinfo/{CONFIG.realm_id}")

    assert answer["CompanyInfo"]["CompanyName"] == CONFIG.company_name
    assert answer["CompanyInfo"]["Country"] == "US"
