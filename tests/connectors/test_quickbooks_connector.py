import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from quickbooks import QuickBooks

from canonical.money import Money
from canonical.records import Source
from connectors.errors import AuthError, ConnectorConfigError, PermanentError
from connectors.quickbooks import QuickBooksConnector
from connectors.quickbooks.throttle import RealmThrottle
from connectors.quickbooks.tokens import MemoryTokenStore
from tests.connectors.quickbooks_fixtures import QboSandbox, running


@pytest.fixture
def qbo(tmp_path: Path) -> Iterator[QboSandbox]:
    yield from running(tmp_path)


def test_check_names_the_company_version_and_headroom(qbo: QboSandbox) -> None:
    result = qbo.connector().check()

    assert result.ok
    assert result.source is Source.QUICKBOOKS
    assert result.account is not None
    assert qbo.emulator.company_name in result.account
    assert result.api_version == "v3 minorversion 75"
    assert result.headroom is not None
    assert "/60000 requests left this minute" in result.headroom


def test_check_with_a_dead_refresh_token_reports_intuits_error(qbo: QboSandbox) -> None:
    result = qbo.connector(refresh_token="not-a-token").check()

    assert not result.ok
    assert result.error is not None
    assert "invalid_grant" in result.error


def test_api_base_is_set_per_client_not_on_the_sdk_class(qbo: QboSandbox) -> None:
    connector = qbo.connector()
    connector.check()

    assert connector.client.sdk.api_url == qbo.api_base
    assert QuickBooks.api_url_v3 == "https://quickbooks.api.intuit.com/v3"
    assert QuickBooks.sandbox_api_url_v3 == "https://sandbox-quickbooks.api.intuit.com/v3"


def test_fetch_returns_the_entity_for_a_webhook_refetch(qbo: QboSandbox) -> None:
    item = qbo.connector().fetch("Invoice", "3")

    assert item is not None
    assert item.obj == "Invoice"
    assert item.payload["TotalAmt"] == Decimal("1234567.89")


def test_fetch_of_a_deleted_entity_is_none(qbo: QboSandbox) -> None:
    qbo.delete("Invoice", "3")

    assert qbo.connector().fetch("Invoice", "3") is None


def test_rotated_refresh_token_is_persisted_and_the_first_one_is_dead(qbo: QboSandbox) -> None:
    store = MemoryTokenStore()
    qbo.connector(store).check()
    qbo.faults(expire_tokens=True)

    assert qbo.connector(store).check().ok  # a second worker: refreshes with the stored token

    stored = store.load(qbo.emulator.realm_id)
    assert stored is not None
    assert stored.version == 2
    assert stored.refresh_token != qbo.emulator.refresh_token
    with pytest.raises(AuthError):
        qbo.connector(MemoryTokenStore()).client.company_info()  # the configured one is spent


def test_two_workers_refreshing_at_once_both_succeed_with_one_stored_token(
    qbo: QboSandbox,
) -> None:
    store = MemoryTokenStore()
    workers = [qbo.connector(store) for _ in range(2)]
    results: list[bool] = []
    start = threading.Barrier(2)

    def work(connector: QuickBooksConnector) -> None:
        start.wait(timeout=5)
        results.append(connector.check().ok)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert results == [True, True]
    stored = store.load(qbo.emulator.realm_id)
    assert stored is not None
    assert qbo.connector(store).check().ok  # the stored refresh token is the live one


def test_record_payment_is_idempotent_on_its_request_id(qbo: QboSandbox) -> None:
    connector = qbo.connector()
    amount = Money.from_decimal(Decimal("5.05"), "USD")

    first = connector.record_payment("1", "1", amount, date(2026, 1, 6), "ch_3Nx", "rq-1")
    again = connector.record_payment("1", "1", amount, date(2026, 1, 6), "ch_3Nx", "rq-1")

    payment = qbo.get("Payment", first)
    assert again == first
    assert Decimal(str(payment["TotalAmt"])) == Decimal("5.05")
    assert payment["Line"][0]["LinkedTxn"] == [{"TxnId": "1", "TxnType": "Invoice"}]
    assert payment["PaymentRefNum"] == "ch_3Nx"
    assert Decimal(str(qbo.get("Invoice", "1")["Balance"])) == Decimal("5.05")  # 10.10 - 5.05


def test_record_payment_rejected_by_quickbooks_is_permanent_with_its_words(
    qbo: QboSandbox,
) -> None:
    connector = qbo.connector()

    with pytest.raises(PermanentError) as caught:
        connector.record_payment("1", "999", Money(100, "USD"), date(2026, 1, 6), "ch_x", "rq-2")
    assert caught.value.detail
    assert caught.value.status == 400


def test_limiter_spaces_calls_at_the_published_rate(qbo: QboSandbox) -> None:
    slept: list[float] = []
    frozen = 100.0  # a clock that does not move: each call must wait its whole turn
    throttle = RealmThrottle(
        per_minute=500, concurrency=10, clock=lambda: frozen, sleep=slept.append
    )
    connector = QuickBooksConnector(
        qbo.config(), MemoryTokenStore(), throttle=throttle, sleep=qbo.sleeps.append
    )
    try:
        for _ in range(3):
            connector.client.company_info()
    finally:
        connector.close()

    assert slept == [pytest.approx(0.12), pytest.approx(0.24)]
    assert throttle.used_last_minute() == 3


def test_wrong_discovery_url_is_reported_as_a_configuration_error(qbo: QboSandbox) -> None:
    connector = qbo.connector(discovery_url=qbo.server.url + "/.well-known/nothing-here")

    result = connector.check()

    assert not result.ok
    assert result.error is not None
    assert "404" in result.error


def test_unknown_object_names_are_a_config_error(qbo: QboSandbox) -> None:
    with pytest.raises(ConnectorConfigError):
        qbo.connector().streams(["Invoice", "Bill"])


def test_streams_come_in_dependency_order(qbo: QboSandbox) -> None:
    names = [s.name for s in qbo.connector().streams(["Payment", "Customer", "Invoice"])]

    assert names == ["Customer", "Invoice", "Payment"]
