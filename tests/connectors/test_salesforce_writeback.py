"""Task write-back against the emulator: created once per idempotency key."""

from __future__ import annotations

import pytest

from connectors.errors import PermanentError
from connectors.salesforce.writeback import soql_string
from tests.connectors.salesforce_fixtures import Emulator, connector_for, emulator, org_dir

__all__ = ["emulator", "org_dir"]  # fixtures, imported for pytest

OPPORTUNITY_ID = "006000000000001AAA"


def tasks(emulator: Emulator) -> list[dict[str, object]]:
    store = emulator.app.state.salesforce.store
    return list(store.collections["Task"].values())


def test_task_is_created_with_the_key_in_its_description(emulator: Emulator) -> None:
    connector = connector_for(emulator)
    task_id = connector.create_task(
        "Invoice the won deal", OPPORTUNITY_ID, None, "High", "Closed won, never billed.", "k-1"
    )
    (task,) = tasks(emulator)
    assert task["Id"] == task_id
    assert task["WhatId"] == OPPORTUNITY_ID
    assert task["Priority"] == "High"
    assert "revcycle-key: k-1" in str(task["Description"])


def test_same_key_twice_creates_one_task(emulator: Emulator) -> None:
    connector = connector_for(emulator)
    args = ("Invoice it", OPPORTUNITY_ID, None, "Normal", "why", "k-1")
    assert connector.create_task(*args) == connector.create_task(*args)
    assert len(tasks(emulator)) == 1


def test_another_key_on_the_same_record_and_subject_is_another_task(emulator: Emulator) -> None:
    connector = connector_for(emulator)
    first = connector.create_task("Chase", OPPORTUNITY_ID, None, "Normal", "why", "k-1")
    second = connector.create_task("Chase", OPPORTUNITY_ID, None, "Normal", "why", "k-2")
    assert first != second
    assert len(tasks(emulator)) == 2


def test_subject_with_quotes_is_found_again(emulator: Emulator) -> None:
    connector = connector_for(emulator)
    args = ("Call O'Brien \\ today", OPPORTUNITY_ID, None, "Low", "why", "k-9")
    assert connector.create_task(*args) == connector.create_task(*args)


@pytest.mark.parametrize(
    ("what_id", "priority", "key"),
    [
        ("006' OR Subject != '", "Normal", "k"),
        (OPPORTUNITY_ID, "Urgent", "k"),
        (OPPORTUNITY_ID, "Normal", " "),
    ],
)
def test_bad_task_requests_are_refused_before_any_call(
    emulator: Emulator, what_id: str, priority: str, key: str
) -> None:
    with pytest.raises(PermanentError):
        connector_for(emulator).create_task("s", what_id, None, priority, "d", key)
    assert tasks(emulator) == []


@pytest.mark.parametrize(
    ("text", "literal"),
    [("plain", "'plain'"), ("O'Brien", "'O\\'Brien'"), ("a\\b", "'a\\\\b'"), ("x\ny", "'x\\ny'")],
)
def test_soql_string_literals_escape_with_backslashes(text: str, literal: str) -> None:
    assert soql_string(text) == literal
