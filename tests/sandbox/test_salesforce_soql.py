"""The SOQL subset parser and evaluator, as tables (pure: no server)."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.emulators.salesforce.evaluate import Evaluator
from sandbox.emulators.salesforce.soql import SoqlError, parse

RECORD: dict[str, Any] = {
    "attributes": {"type": "Opportunity"},
    "Id": "0060000000000AbAAI",
    "Name": "Acme Renewal",
    "Amount": 1200.5,
    "IsWon": True,
    "CloseDate": "2026-01-15",
    "SystemModstamp": "2026-01-10T12:00:00.000+0000",
    "NextStep": None,
}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Name = 'acme renewal'", True),  # text compares case-insensitively
        ("Name != 'Acme Renewal'", False),
        ("Name LIKE 'Acme%'", True),
        ("Name LIKE '_cme R%'", True),
        ("Name LIKE 'Renewal'", False),
        ("Amount > 1200", True),
        ("Amount >= 1200.5", True),
        ("Amount < 1200.5", False),
        ("IsWon = true", True),
        ("IsWon = false", False),
        ("NextStep = null", True),
        ("NextStep != null", False),
        ("CloseDate > 2026-01-14", True),
        ("CloseDate <= 2026-01-14", False),
        ("SystemModstamp > 2026-01-10T11:59:59Z", True),
        ("SystemModstamp > 2026-01-10T13:30:00+0200", True),  # an instant, not a string
        ("SystemModstamp >= 2026-01-10T12:00:00.001+00:00", False),
        ("Id = '0060000000000Ab'", True),  # the 15-character form of an 18-character Id
        ("Name IN ('Other', 'ACME RENEWAL')", True),
        ("Name NOT IN ('Other', 'ACME RENEWAL')", False),
        ("IsWon = false OR Amount > 1000", True),
        ("IsWon = false OR (Amount > 1000 AND Name = 'x')", False),
        ("NOT IsWon = false", True),
    ],
)
def test_where_conditions(where: str, expected: bool) -> None:
    query = parse(f"SELECT Id FROM Opportunity WHERE {where}")

    assert query.where is not None
    assert Evaluator(lambda ref: None).matches(RECORD, query.where) is expected


def test_order_by_mixes_directions_and_places_nulls() -> None:
    rows: list[dict[str, Any]] = [
        {"Id": "1", "Stage": "b", "Amount": 5},
        {"Id": "2", "Stage": None, "Amount": 1},
        {"Id": "3", "Stage": "a", "Amount": 7},
        {"Id": "4", "Stage": "b", "Amount": 9},
    ]
    query = parse("SELECT Id FROM X ORDER BY Stage ASC NULLS LAST, Amount DESC")

    ordered = Evaluator(lambda ref: None).sort(rows, query.order_by)

    assert [r["Id"] for r in ordered] == ["3", "4", "1", "2"]


def test_limit_offset_and_escaped_strings() -> None:
    query = parse("select Id from Account where Name = 'O\\'Brien' limit 10 offset 20")

    assert (query.limit, query.offset) == (10, 20)
    assert query.where is not None
    assert Evaluator(lambda ref: None).matches({"Name": "o'brien"}, query.where)


@pytest.mark.parametrize(
    "soql",
    [
        "SELECT FROM Account",
        "SELECT Id Account",
        "SELECT Id FROM Account WHERE",
        "SELECT Id FROM Account WHERE Name = ",
        "SELECT Id FROM Account LIMIT x",
        "SELECT Id FROM Account WHERE Name ~ 'x'",
        "SELECT Id FROM Account ORDER Name",
    ],
)
def test_malformed_queries_are_refused(soql: str) -> None:
    with pytest.raises(SoqlError) as caught:
        parse(soql)

    assert caught.value.code == "MALFORMED_QUERY"
