"""The Stripe connector through stripe-python against the Stripe emulator over loopback HTTP."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from connectors.base import Page
from connectors.errors import AuthError, PermanentError, RateLimited
from connectors.policy import single_attempt
from connectors.stripe import STREAM_NAMES, StripeConnector, _account_name
from connectors.stripe.cursor import Since, decode, encode
from connectors.stripe.streams import StripeStream
from tests.connectors.stripe_fixtures import DAY, Emulator, example, serve, write_dataset

COUNTS = {name: 3 for name in STREAM_NAMES} | {"invoices": 35, "charges": 12}


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    write_dataset(tmp_path, COUNTS)
    yield from serve(tmp_path)


@pytest.fixture
def connector(emulator: Emulator) -> StripeConnector:
    return emulator.connector(page_size=10)


def one(connector: StripeConnector, name: str) -> StripeStream:
    (stream,) = connector.streams([name])
    assert isinstance(stream, StripeStream)
    return stream


def read_all(connector: StripeConnector, name: str, cursor: str | None) -> list[Page]:
    return list(one(connector, name).read(cursor))


def full_cursor(connector: StripeConnector, name: str) -> str:
    cursor = read_all(connector, name, None)[-1].cursor
    assert cursor is not None
    return cursor


def payload_ids(pages: list[Page]) -> list[str]:
    return [str(item.payload["id"]) for page in pages for item in page.items]


def test_full_read_returns_every_object_of_every_stream(connector: StripeConnector) -> None:
    for stream in connector.streams():
        pages = list(stream.read(None))
        assert len(payload_ids(pages)) == COUNTS[stream.name], stream.name
        assert isinstance(decode(pages[-1].cursor or ""), Since)
        assert all(type(item.payload) is dict for page in pages for item in page.items)


def test_full_read_of_invoices_pages_by_the_configured_size(connector: StripeConnector) -> None:
    pages = read_all(connector, "invoices", None)
    assert [len(page.items) for page in pages] == [10, 10, 10, 5]
    assert len(set(payload_ids(pages))) == 35
    assert connector.api.requests == 4


def test_given_creates_updates_and_deletes_when_reading_incrementally_then_each_arrives(
    emulator: Emulator, connector: StripeConnector
) -> None:
    cursors = {name: full_cursor(connector, name) for name in ("customers", "invoices", "charges")}
    emulator.create("charges", example("charges", 900, int(time.time())))
    emulator.update("invoices", "in_000007", {"status": "void"})
    emulator.delete("customers", "cus_000001")

    charges = read_all(connector, "charges", cursors["charges"])
    invoices = read_all(connector, "invoices", cursors["invoices"])
    customers = read_all(connector, "customers", cursors["customers"])

    assert payload_ids(charges) == ["ch_000900"]
    (updated,) = [item for page in invoices for item in page.items]
    assert (updated.payload["id"], updated.payload["status"]) == ("in_000007", "void")
    assert updated.version is not None
    (deleted,) = [item for page in customers for item in page.items]
    assert (deleted.payload["id"], deleted.deleted) == ("cus_000001", True)


def test_given_an_applied_incremental_when_reading_again_then_nothing_repeats(
    emulator: Emulator, connector: StripeConnector
) -> None:
    cursor = full_cursor(connector, "payouts")
    emulator.create("payouts", example("payouts", 901, int(time.time())))
    first = read_all(connector, "payouts", cursor)
    again = read_all(connector, "payouts", first[-1].cursor)
    assert payload_ids(first) == ["po_000901"]
    assert payload_ids(again) == []


def test_dispute_events_do_not_leak_into_the_charges_stream(
    emulator: Emulator, connector: StripeConnector
) -> None:
    cursors = {name: full_cursor(connector, name) for name in ("charges", "disputes")}
    emulator.create("disputes", example("disputes", 902, int(time.time())))
    assert payload_ids(read_all(connector, "charges", cursors["charges"])) == []
    assert payload_ids(read_all(connector, "disputes", cursors["disputes"])) == ["dp_000902"]


def test_given_a_crash_mid_read_when_resuming_from_the_last_checkpoint_then_nothing_is_lost(
    connector: StripeConnector,
) -> None:
    pages = one(connector, "invoices").read(None)
    committed = [next(pages), next(pages)]
    next(pages)  # read, but the sync died before committing it
    pages.close()
    rest = read_all(connector, "invoices", committed[-1].cursor)
    assert sorted(payload_ids(committed) + payload_ids(rest)) == [f"in_{i:06d}" for i in range(35)]


def test_given_a_checkpoint_older_than_30_days_then_a_full_read_says_so(
    connector: StripeConnector,
) -> None:
    stale = encode(Since(int(time.time()) - 31 * DAY))
    pages = read_all(connector, "charges", stale)
    assert len(payload_ids(pages)) == 12
    assert "30-day" in (pages[0].note or "")


def test_given_a_429_storm_when_reading_then_it_backs_off_and_succeeds(
    emulator: Emulator, connector: StripeConnector
) -> None:
    emulator.faults(rate_limit=5)
    pages = read_all(connector, "charges", None)
    assert len(payload_ids(pages)) == 12
    assert connector.api.retries == 5


def test_given_endless_429s_then_rate_limited_is_raised_still_retryable(
    emulator: Emulator,
) -> None:
    connector = emulator.connector(max_attempts=3)
    emulator.faults(rate_limit=100)
    with pytest.raises(RateLimited) as caught:
        read_all(connector, "charges", None)
    assert caught.value.retryable
    assert caught.value.status == 429
    assert connector.api.requests == 3


def test_given_server_errors_when_reading_then_it_retries_and_succeeds(
    emulator: Emulator, connector: StripeConnector
) -> None:
    emulator.faults(server_error=2)
    assert len(payload_ids(read_all(connector, "customers", None))) == 3
    assert connector.api.retries == 2


def test_given_an_expired_key_then_auth_fails_at_once_with_stripes_words(
    emulator: Emulator, connector: StripeConnector
) -> None:
    emulator.faults(expire_tokens=True)
    with pytest.raises(AuthError) as caught:
        read_all(connector, "customers", None)
    assert caught.value.code == "api_key_expired"
    assert "Expired API Key provided" in (caught.value.detail or "")
    assert connector.api.requests == 1


def test_wrong_key_gets_stripe_401_body(emulator: Emulator) -> None:
    connector = emulator.connector(api_key="sk_test_wrong_key_9999")
    with pytest.raises(AuthError) as caught:
        read_all(connector, "customers", None)
    assert caught.value.status == 401
    assert "Invalid API Key provided: sk_test_" in (caught.value.detail or "")
    assert "wrong_key" not in (caught.value.detail or "")


def test_a_bad_request_is_permanent_with_stripes_message(connector: StripeConnector) -> None:
    with pytest.raises(PermanentError) as caught:
        connector.api.get("/v1/invoices", {"limit": 1000})
    assert caught.value.status == 400
    assert caught.value.code == "parameter_invalid_integer"
    assert "less than or equal to 100" in (caught.value.detail or "")
    assert connector.api.requests == 1


def test_check_reports_the_pinned_api_version(connector: StripeConnector) -> None:
    result = connector.check()
    assert result.ok
    assert result.api_version == stripe.api_version
    assert result.extra["mode"] == "test"


def test_check_reports_stripes_own_error(emulator: Emulator) -> None:
    result = emulator.connector(api_key="sk_test_wrong_key_9999").check()
    assert not result.ok
    assert (result.error or "").startswith("Invalid API Key provided")


def test_check_of_a_stripe_nobody_answers_says_so_after_one_attempt(emulator: Emulator) -> None:
    with socket.socket() as closed:  # a port bound, never listened on: connections are refused
        closed.bind(("127.0.0.1", 0))
        connector = emulator.connector(api_base=f"http://127.0.0.1:{closed.getsockname()[1]}")
        with single_attempt():
            result = connector.check()
    assert not result.ok
    assert result.error == "stripe: could not reach Stripe for GET /v1/account: connection refused"
    assert (connector.api.requests, connector.api.retries) == (1, 0)


def test_rate_limit_spaces_requests(emulator: Emulator) -> None:
    connector = emulator.connector(page_size=5, rate_limit=20.0)
    started = time.monotonic()
    pages = read_all(connector, "charges", None)  # 3 requests at 20/s: two gaps of 50 ms
    assert len(pages) == 3
    assert time.monotonic() - started >= 0.09


def test_unknown_object_names_are_a_config_error(connector: StripeConnector) -> None:
    with pytest.raises(Exception, match="unknown Stripe object"):
        connector.streams(["invoices", "widgets"])


def test_streams_come_in_dependency_order(connector: StripeConnector) -> None:
    names = [stream.name for stream in connector.streams(["charges", "customers", "invoices"])]
    assert names == ["customers", "invoices", "charges"]


def test_check_names_the_account_when_stripe_serves_it() -> None:
    account = {"id": "acct_1", "settings": {"dashboard": {"display_name": "Acme"}}}
    assert _account_name(account) == "Acme (acct_1)"
    assert _account_name({"id": "acct_2", "business_profile": {"name": None}}) == "acct_2"


def test_given_more_events_than_a_page_when_reading_incrementally_then_all_come_once(
    emulator: Emulator, connector: StripeConnector
) -> None:
    cursor = full_cursor(connector, "payouts")
    created = [f"po_{900 + i:06d}" for i in range(25)]
    for i in range(25):
        emulator.create("payouts", example("payouts", 900 + i, int(time.time())))
    pages = read_all(connector, "payouts", cursor)
    assert sorted(payload_ids(pages)) == created
    versions = [item.version for page in pages for item in page.items]
    assert versions == sorted(v for v in versions if v is not None)


def test_invoice_lines_beyond_the_embedded_page_are_fetched_from_stripe(
    emulator: Emulator, connector: StripeConnector
) -> None:
    invoice = example("invoices", 950, int(time.time()))
    line = invoice["lines"]["data"][0]
    lines = [{**line, "id": f"il_{i:04d}"} for i in range(3)]
    invoice["lines"] = {**invoice["lines"], "data": lines, "has_more": True}
    emulator.create("invoices", invoice)
    pages = read_all(connector, "invoices", None)
    (found,) = [i.payload for p in pages for i in p.items if i.payload["id"] == "in_000950"]
    assert [line["id"] for line in found["lines"]["data"]] == ["il_0000", "il_0001", "il_0002"]
    assert found["lines"]["has_more"] is False
    assert connector.api.requests == 4 + 1  # four list pages, one page of lines
