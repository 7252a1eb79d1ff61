"""The Salesforce streams against the emulator over loopback HTTP, through simple-salesforce."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.errors import AuthError, PermanentError, RateLimited
from connectors.salesforce.objects import OBJECTS
from connectors.salesforce.streams import SObjectStream
from mappings import map_payload
from sandbox.dataset.generate import generate
from tests.connectors.salesforce_fixtures import (
    Emulator,
    Sleeps,
    connector_for,
    emulator,
    org_dir,
    read_all,
    small_org,
    write_org,
)

__all__ = ["emulator", "org_dir"]  # fixtures, imported for pytest


def test_full_read_returns_every_record_of_every_object(emulator: Emulator) -> None:
    connector = connector_for(emulator)
    counts = {obj: len(read_all(connector, obj)[0]) for obj in OBJECTS}
    assert counts == {
        "User": 1, "Account": 450, "Contact": 1, "Lead": 1, "Opportunity": 1,
        "OpportunityLineItem": 1,
    }  # fmt: skip


def test_full_read_pages_lazily_and_each_page_has_a_cursor(emulator: Emulator) -> None:
    (stream,) = connector_for(emulator).streams(["Account"])
    pages = list(stream.read(None))
    assert [len(page.items) for page in pages] == [200, 200, 50]
    assert all(page.cursor for page in pages)


def test_amounts_arrive_as_decimals_never_floats(emulator: Emulator) -> None:
    (opportunity,) = read_all(connector_for(emulator), "Opportunity")[0]
    assert opportunity.payload["Amount"] == Decimal("12345.67")
    assert isinstance(opportunity.payload["Amount"], Decimal)


def test_line_items_carry_the_product_relationship_field(emulator: Emulator) -> None:
    (line,) = read_all(connector_for(emulator), "OpportunityLineItem")[0]
    assert "Product2" in line.payload
    assert line.payload["Name"] == "Big deal Pro"


def test_incremental_read_after_creates_updates_and_deletes(emulator: Emulator) -> None:
    connector = connector_for(emulator)
    everything, cursor = read_all(connector, "Account")
    created = emulator.put("Account", {"Name": "Newcomer", "OwnerId": "0050000000000FvAAI"})
    updated_id, deleted_id = everything[10].payload["Id"], everything[20].payload["Id"]
    emulator.patch("Account", updated_id, {"Name": "Renamed"})
    emulator.delete("Account", deleted_id)

    changes, _ = read_all(connector, "Account", cursor)

    by_id = {item.payload["Id"]: item for item in changes}
    assert set(by_id) == {created["Id"], updated_id, deleted_id}
    assert by_id[updated_id].payload["Name"] == "Renamed"
    assert by_id[deleted_id].deleted is True
    assert not by_id[created["Id"]].deleted


def test_incremental_read_with_no_changes_returns_nothing(emulator: Emulator) -> None:
    connector = connector_for(emulator)
    _, cursor = read_all(connector, "Account")
    assert read_all(connector, "Account", cursor)[0] == []


def test_given_cursor_saved_mid_read_when_resumed_then_reads_the_rest_once(
    emulator: Emulator,
) -> None:
    connector = connector_for(emulator)
    (stream,) = connector.streams(["Account"])
    pages = stream.read(None)
    first = next(pages)
    pages.close()  # the sync was killed after committing page one

    rest, _ = read_all(connector, "Account", first.cursor)

    seen = [item.payload["Id"] for item in first.items] + [item.payload["Id"] for item in rest]
    assert len(seen) == len(set(seen)) == 450


@pytest.mark.parametrize("pages_done", [1, 2])
def test_resume_inside_one_second_shared_by_a_bulk_load(tmp_path: Path, pages_done: int) -> None:
    # 300 Accounts share one second, so page one ends inside it and page two leaves it.
    write_org(tmp_path, small_org(450, same_second=300))
    with Emulator(tmp_path) as running:
        connector = connector_for(running)
        (stream,) = connector.streams(["Account"])
        pages = stream.read(None)
        done = [next(pages) for _ in range(pages_done)]
        pages.close()
        rest, _ = read_all(connector, "Account", done[-1].cursor)
    seen = [i.payload["Id"] for page in done for i in page.items]
    seen += [i.payload["Id"] for i in rest]
    assert len(seen) == len(set(seen)) == 450


def test_given_429_storm_when_reading_then_backs_off_and_succeeds(emulator: Emulator) -> None:
    sleeps = Sleeps([])
    connector = connector_for(emulator, sleeps)
    emulator.faults(rate_limit=5)
    items, _ = read_all(connector, "Account")
    assert len(items) == 450
    assert len(sleeps.calls) == 5


def test_rate_limit_longer_than_the_attempts_stops_with_a_retryable_error(
    emulator: Emulator,
) -> None:
    emulator.faults(rate_limit=50)
    with pytest.raises(RateLimited) as caught:
        read_all(connector_for(emulator, max_attempts=3), "Account")
    assert caught.value.retryable
    assert caught.value.code == "REQUEST_LIMIT_EXCEEDED"
    assert caught.value.status == 403


def test_server_errors_are_retried(emulator: Emulator) -> None:
    sleeps = Sleeps([])
    emulator.faults(server_error=2)
    items, _ = read_all(connector_for(emulator, sleeps), "Lead")
    assert len(items) == 1
    assert len(sleeps.calls) == 2


def test_given_expired_token_when_reading_then_refreshes_once_and_goes_on(
    emulator: Emulator,
) -> None:
    connector = connector_for(emulator)
    (stream,) = connector.streams(["Account"])
    pages = stream.read(None)
    first = next(pages)
    emulator.faults(expire_tokens=True)
    rest = [item for page in pages for item in page.items]
    assert len(first.items) + len(rest) == 450
    assert connector.client.logins == 1


def test_expired_token_without_a_way_to_refresh_is_an_auth_error(emulator: Emulator) -> None:
    connector = connector_for(emulator, refresh_token=None, client_id=None)
    emulator.faults(expire_tokens=True)
    with pytest.raises(AuthError) as caught:
        read_all(connector, "Lead")
    assert caught.value.code == "INVALID_SESSION_ID"


def test_unknown_field_fails_permanently_with_the_vendors_words(emulator: Emulator) -> None:
    connector = connector_for(emulator)
    stream = SObjectStream(connector.client, "Account", ("Id", "SystemModstamp", "Bogus__c"))
    with pytest.raises(PermanentError) as caught:
        list(stream.read(None))
    assert caught.value.code == "INVALID_FIELD"
    assert "Bogus__c" in (caught.value.detail or "")


def test_fetch_returns_named_records_including_deleted_ones(emulator: Emulator) -> None:
    connector = connector_for(emulator)
    accounts = read_all(connector, "Account")[0]
    wanted = [accounts[0].payload["Id"], accounts[1].payload["Id"]]
    emulator.delete("Account", wanted[1])
    items = connector.fetch("Account", [*wanted, wanted[0]])
    assert sorted(item.payload["Id"] for item in items) == sorted(wanted)
    assert [item.deleted for item in items if item.payload["Id"] == wanted[1]] == [True]


def test_fetch_refuses_text_that_is_not_an_id(emulator: Emulator) -> None:
    with pytest.raises(PermanentError):
        connector_for(emulator).fetch("Account", ["001' OR Name != '"])


def test_generated_dataset_reads_completely_and_every_record_maps(tmp_path: Path) -> None:
    generate(tmp_path, seed=1, customers=20)
    on_disk = {
        obj: len(json.loads((tmp_path / "salesforce" / f"{obj}.json").read_text()))
        for obj in OBJECTS
    }
    read_at = datetime.now(UTC)
    with Emulator(tmp_path) as running:
        connector = connector_for(running)
        read = {obj: read_all(connector, obj)[0] for obj in OBJECTS}
    assert {obj: len(items) for obj, items in read.items()} == on_disk
    for obj, items in read.items():
        for item in items:
            assert map_payload("salesforce", obj, item.payload, read_at=read_at)
