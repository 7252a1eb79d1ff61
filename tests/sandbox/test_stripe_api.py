"""The Stripe emulator driven by the real stripe-python SDK over loopback HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import stripe

from sandbox.emulators.stripe import StripeConfig, build_app, objects, payments
from sandbox.serve import AppServer

CONFIG = StripeConfig(api_key="sk_test_emulator_key_1234")
NOW = int(time.time())
DAY = 86400


def _write(data_dir: Path, name: str, items: list[dict[str, Any]]) -> None:
    (data_dir / "stripe").mkdir(parents=True, exist_ok=True)
    (data_dir / "stripe" / f"{name}.json").write_bytes(orjson.dumps(items))


def _event(event_type: str, created: int, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"evt_test_{created}_{event_type}",
        "object": "event",
        "api_version": CONFIG.api_version,
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("stripe_data")
    alice = objects.customer(email="alice@example.com", name="Alice", created=NOW - 90 * DAY)
    bob = objects.customer(email="bob@example.com", name="Bob", created=NOW - 80 * DAY)
    # 30 invoices, one a day; the first two share a `created` second to exercise the id tiebreak.
    invoices = [
        objects.invoice(
            customer_id=(alice if i % 3 else bob)["id"],
            amount=1000 + i,
            status="paid" if i % 2 else "open",
            created=NOW - (40 - max(i, 1)) * DAY,
        )
        for i in range(30)
    ]
    intent = payments.payment_intent(customer_id=alice["id"], amount=1001, currency="usd")
    charge = payments.charge(
        customer_id=alice["id"], amount=1001, currency="usd", payment_intent_id=intent["id"]
    )
    intent["latest_charge"] = charge["id"]
    payment = payments.invoice_payment(
        invoice_id=invoices[1]["id"], amount=1001, currency="usd", payment_intent_id=intent["id"]
    )
    events = [
        _event("invoice.created", NOW - 40 * DAY, invoices[0]),
        _event("invoice.created", NOW - 5 * DAY, invoices[1]),
        _event("customer.updated", NOW - 4 * DAY, alice),
        _event("invoice.paid", NOW - 3 * DAY, invoices[1]),
    ]
    _write(data_dir, "customers", [alice, bob])
    _write(data_dir, "invoices", invoices)
    _write(data_dir, "payment_intents", [intent])
    _write(data_dir, "charges", [charge])
    _write(data_dir, "invoice_payments", [payment])
    _write(data_dir, "events", events)
    return {
        "dir": data_dir,
        "alice": alice,
        "bob": bob,
        "invoices": invoices,
        "intent": intent,
        "charge": charge,
        "payment": payment,
    }


@pytest.fixture(scope="module")
def server(dataset: dict[str, Any]) -> Iterator[AppServer]:
    with AppServer(build_app(dataset["dir"], CONFIG)) as running:
        yield running


ClientFactory = Callable[..., stripe.StripeClient]


@pytest.fixture
def make_client(server: AppServer) -> Iterator[ClientFactory]:
    """Real SDK clients on the emulator; their HTTP connections are closed after the test."""
    transports: list[stripe.HTTPXClient] = []

    def make(key: str = CONFIG.api_key, retries: int = 0) -> stripe.StripeClient:
        transport = stripe.HTTPXClient(allow_sync_methods=True)
        transports.append(transport)
        return stripe.StripeClient(
            key,
            base_addresses={"api": server.url},
            http_client=transport,
            max_network_retries=retries,
        )

    yield make
    for transport in transports:
        transport.close()  # type: ignore[no-untyped-call]


@pytest.fixture
def client(make_client: ClientFactory) -> stripe.StripeClient:
    return make_client()


@pytest.fixture(autouse=True)
def _no_faults(server: AppServer) -> Iterator[None]:
    yield
    httpx.post(
        server.url + "/_sandbox/faults",
        json={"rate_limit": 0, "server_error": 0, "latency_ms": 0, "expire_tokens": False},
    )


def _newest_first_ids(invoices: list[dict[str, Any]]) -> list[str]:
    ordered = sorted(invoices, key=lambda inv: (inv["created"], inv["id"]), reverse=True)
    return [inv["id"] for inv in ordered]


def test_auto_paging_lists_every_invoice_newest_first(
    client: stripe.StripeClient, dataset: dict[str, Any]
) -> None:
    page = client.v1.invoices.list({"limit": 7})
    ids = [invoice.id for invoice in page.auto_paging_iter()]
    assert ids == _newest_first_ids(dataset["invoices"])


def test_first_page_says_has_more_and_names_its_url(client: stripe.StripeClient) -> None:
    page = client.v1.invoices.list({"limit": 7})
    assert (len(page.data), page.has_more, page.url) == (7, True, "/v1/invoices")


def test_ending_before_pages_towards_newer_items(
    client: stripe.StripeClient, dataset: dict[str, Any]
) -> None:
    expected = _newest_first_ids(dataset["invoices"])
    oldest = expected[-1]
    page = client.v1.invoices.list({"limit": 5, "ending_before": oldest})
    ids = [invoice.id for invoice in page.auto_paging_iter()]
    # The SDK walks backwards from the cursor, yielding the oldest-but-one first.
    assert ids == list(reversed(expected[:-1]))


def test_ending_before_page_is_the_items_just_newer_than_the_cursor(
    client: stripe.StripeClient, dataset: dict[str, Any]
) -> None:
    expected = _newest_first_ids(dataset["invoices"])
    page = client.v1.invoices.list({"limit": 3, "ending_before": expected[10]})
    assert ([inv.id for inv in page.data], page.has_more) == (expected[7:10], True)


def test_created_range_filters_inclusively_and_exclusively(
    client: stripe.StripeClient, dataset: dict[str, Any]
) -> None:
    low, high = NOW - 30 * DAY, NOW - 20 * DAY
    params: Any = {"created": {"gte": low, "lt": high}, "limit": 100}
    listed = {inv.id for inv in client.v1.invoices.list(params).auto_paging_iter()}
    expected = {inv["id"] for inv in dataset["invoices"] if low <= inv["created"] < high}
    assert listed == expected
    assert len(expected) == 10


def test_created_gt_and_lte_filter(client: stripe.StripeClient, dataset: dict[str, Any]) -> None:
    low, high = NOW - 30 * DAY, NOW - 20 * DAY
    params: Any = {"created": {"gt": low, "lte": high}, "limit": 100}
    listed = {inv.id for inv in client.v1.invoices.list(params).auto_paging_iter()}
    expected = {inv["id"] for inv in dataset["invoices"] if low < inv["created"] <= high}
    assert listed == expected


def test_customer_and_status_filters_combine(
    client: stripe.StripeClient, dataset: dict[str, Any]
) -> None:
    bob = dataset["bob"]["id"]
    page = client.v1.invoices.list({"customer": bob, "status": "open", "limit": 100})
    expected = {
        inv["id"]
        for inv in dataset["invoices"]
        if inv["customer"] == bob and inv["status"] == "open"
    }
    assert {inv.id for inv in page.data} == expected
    assert expected


def test_invoice_payments_filter_by_invoice(
    client: stripe.StripeClient, dataset: dict[str, Any]
) -> None:
    page = client.v1.invoice_payments.list({"invoice": dataset["invoices"][1]["id"]})
    assert [p.id for p in page.data] == [dataset["payment"]["id"]]
    assert page.data[0].payment.payment_intent == dataset["intent"]["id"]


def test_list_expands_customer_and_latest_charge(
    client: stripe.StripeClient, dataset: dict[str, Any]
) -> None:
    intents = client.v1.payment_intents.list({"expand": ["data.customer", "data.latest_charge"]})
    customer, charge = intents.data[0].customer, intents.data[0].latest_charge
    assert isinstance(customer, stripe.Customer)
    assert isinstance(charge, stripe.Charge)
    assert (customer.email, charge.id) == ("alice@example.com", dataset["charge"]["id"])


def test_retrieve_expands_a_nested_reference(
    client: stripe.StripeClient, dataset: dict[str, Any]
) -> None:
    payment = client.v1.invoice_payments.retrieve(
        dataset["payment"]["id"], {"expand": ["payment.payment_intent"]}
    )
    intent = payment.payment.payment_intent
    assert isinstance(intent, stripe.PaymentIntent)
    assert intent.latest_charge == dataset["charge"]["id"]


def test_retrieve_returns_the_stored_object(
    client: stripe.StripeClient, dataset: dict[str, Any]
) -> None:
    invoice = client.v1.invoices.retrieve(dataset["invoices"][4]["id"])
    assert (invoice.amount_due, invoice.customer) == (1004, dataset["alice"]["id"])


def test_invoice_lines_are_served(client: stripe.StripeClient, dataset: dict[str, Any]) -> None:
    lines = client.v1.invoices.line_items.list(dataset["invoices"][2]["id"])
    assert [line.amount for line in lines.data] == [1002]


def test_unknown_id_gets_stripe_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.invoices.retrieve("in_doesnotexist")
    error = caught.value
    assert (error.http_status, error.code, error.param) == (404, "resource_missing", "id")
    assert error.user_message == "No such invoice: 'in_doesnotexist'"
    assert str(error.request_id).startswith("req_")


def test_wrong_key_gets_stripe_401_body(make_client: ClientFactory) -> None:
    with pytest.raises(stripe.AuthenticationError) as caught:
        make_client(key="sk_test_wrongwrongwrong9876").v1.invoices.list()
    assert caught.value.http_status == 401
    error = caught.value.error
    assert error is not None
    assert error.type == "invalid_request_error"
    message = str(error.message)
    assert message.startswith("Invalid API Key provided: sk_test_***")
    assert message.endswith("9876")
    assert "wrong" not in message


def test_missing_key_gets_401_and_basic_auth_is_accepted(server: AppServer) -> None:
    assert httpx.get(server.url + "/v1/customers").status_code == 401
    basic = httpx.get(server.url + "/v1/customers", auth=(CONFIG.api_key, ""))
    assert basic.status_code == 200
    assert basic.headers["request-id"].startswith("req_")


def test_unknown_parameter_is_rejected_like_stripe(server: AppServer) -> None:
    response = httpx.get(
        server.url + "/v1/invoices",
        params={"colour": "red"},
        headers={"Authorization": f"Bearer {CONFIG.api_key}"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "colour"


def test_events_filter_by_types_and_stay_within_30_days(
    client: stripe.StripeClient, dataset: dict[str, Any]
) -> None:
    events = client.v1.events.list({"types": ["invoice.created", "invoice.paid"]})
    assert [e.type for e in events.data] == ["invoice.paid", "invoice.created"]
    assert events.data[1].data.object.id == dataset["invoices"][1]["id"]


def test_events_created_filter_cannot_reach_past_the_window(
    client: stripe.StripeClient,
) -> None:
    params: Any = {"created": {"gte": NOW - 60 * DAY}, "limit": 100}
    events = client.v1.events.list(params)
    assert len(events.data) == 3
    assert all(e.created >= NOW - 30 * DAY for e in events.data)


def test_rate_limit_is_a_stripe_429_that_the_sdk_does_not_retry(
    server: AppServer, make_client: ClientFactory
) -> None:
    httpx.post(server.url + "/_sandbox/faults", json={"rate_limit": 1})
    client = make_client(retries=2)
    with pytest.raises(stripe.RateLimitError) as caught:
        client.v1.customers.list()
    assert caught.value.error is not None
    assert (caught.value.http_status, caught.value.error.code) == (429, "rate_limit")
    assert len(client.v1.customers.list().data) == 2


def test_server_errors_are_retried_by_the_sdk_then_succeed(
    server: AppServer, make_client: ClientFactory
) -> None:
    httpx.post(server.url + "/_sandbox/faults", json={"server_error": 2})
    client = make_client(retries=2)
    assert len(client.v1.customers.list().data) == 2
    assert httpx.get(server.url + "/_sandbox/faults").json()["server_error"] == 0


def test_server_error_without_retries_is_an_api_error(
    server: AppServer, make_client: ClientFactory
) -> None:
    httpx.post(server.url + "/_sandbox/faults", json={"server_error": 1})
    with pytest.raises(stripe.APIError) as caught:
        make_client().v1.customers.list()
    assert caught.value.http_status == 500


def test_expired_tokens_get_api_key_expired(server: AppServer, make_client: ClientFactory) -> None:
    httpx.post(server.url + "/_sandbox/faults", json={"expire_tokens": True})
    with pytest.raises(stripe.AuthenticationError) as caught:
        make_client().v1.customers.list()
    assert caught.value.error is not None
    assert caught.value.error.code == "api_key_expired"


def test_latency_fault_delays_responses(server: AppServer, make_client: ClientFactory) -> None:
    httpx.post(server.url + "/_sandbox/faults", json={"latency_ms": 150})
    started = time.monotonic()
    make_client().v1.customers.list()
    assert time.monotonic() - started >= 0.15


def test_unknown_fault_is_a_400(server: AppServer) -> None:
    response = httpx.post(server.url + "/_sandbox/faults", json={"meteor_strike": 1})
    assert response.status_code == 400


def test_balance_answers_as_a_cheap_check(client: stripe.StripeClient) -> None:
    balance = client.v1.balance.retrieve()
    assert balance.object == "balance"


async def test_async_client_lists_too(server: AppServer, dataset: dict[str, Any]) -> None:
    transport = stripe.HTTPXClient()
    client = stripe.StripeClient(
        CONFIG.api_key, base_addresses={"api": server.url}, http_client=transport
    )
    try:
        page = await client.v1.invoices.list_async({"limit": 100})
    finally:
        await transport.close_async()  # type: ignore[no-untyped-call]
    assert len(page.data) == len(dataset["invoices"])
