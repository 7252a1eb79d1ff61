"""The QBO query-language parser and evaluator, as tables (pure: no server)."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.emulators.quickbooks.query import QueryError, matches, parse

INVOICE: dict[str, Any] = {
    "Id": "42",
    "DocNumber": "INV-0042",
    "TotalAmt": 250.75,
    "TxnDate": "2026-01-15",
    "CustomerRef": {"value": "7", "name": "Acme"},
    "MetaData": {"LastUpdatedTime": "2026-01-10T04:00:00-08:00"},
    "EmailStatus": "NotSet",
}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("DocNumber = 'inv-0042'", True),
        ("DocNumber LIKE 'INV-%'", True),
        ("DocNumber LIKE '%43'", False),
        ("TotalAmt > '250.7'", True),
        ("TotalAmt = 250.75", True),
        ("TotalAmt < '250.75'", False),
        ("TxnDate >= '2026-01-15'", True),
        ("TxnDate > '2026-01-15'", False),
        ("CustomerRef = '7'", True),  # a reference compares by its value
        ("Id IN ('1', '42')", True),
        ("Id IN ('1', '2')", False),
        ("Metadata.LastUpdatedTime > '2026-01-10T11:59:59-00:00'", True),  # instants, any offset
        ("MetaData.LastUpdatedTime > '2026-01-10T12:00:00Z'", False),
        ("metadata.lastupdatedtime <= '2026-01-10T12:00:00+00:00'", True),
    ],
)
def test_where_conditions(where: str, expected: bool) -> None:
    query = parse(f"SELECT * FROM Invoice WHERE {where}")

    assert all(matches(INVOICE, cond) for cond in query.where) is expected


def test_clauses_and_limits() -> None:
    query = parse(
        "select count(*) from Invoice where TotalAmt > '1' AND DocNumber LIKE 'INV%' "
        "order by TxnDate desc, Id STARTPOSITION 5 MAXRESULTS 5000"
    )

    assert query.count is True
    assert len(query.where) == 2
    assert query.order_by == [("TxnDate", True), ("Id", False)]
    assert (query.start_position, query.max_results) == (5, 1000)  # QBO caps MAXRESULTS at 1000


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * Invoice",
        "SELECT * FROM Invoice WHERE",
        "SELECT * FROM Invoice WHERE TotalAmt ~ '1'",
        "SELECT * FROM Invoice MAXRESULTS many",
        "SELECT * FROM Invoice WHERE Id = '1' OR Id = '2'",  # QBO has no OR
    ],
)
def test_malformed_queries_are_error_4000(text: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(text)

    assert caught.value.code == "4000"
