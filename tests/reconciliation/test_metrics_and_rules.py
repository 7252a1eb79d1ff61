"""Hand-computed metrics and rule boundaries over tiny snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from canonical.money import Money
from reconciliation.metrics.aging import aging
from reconciliation.metrics.dso_cei import collection_metrics
from reconciliation.metrics.leakage import convert
from reconciliation.reconcile import find
from reconciliation.snapshot import Snapshot
from reconciliation.snapshot_types import StripeInvoice

AS_OF = date(2026, 3, 1)
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def invoice(ident: str, **changes: object) -> StripeInvoice:
    base = StripeInvoice(
        ident, "cus_1", "open", "USD", 10000, 10000, 0, 0, 10000, None,
        NOW - timedelta(days=40), NOW - timedelta(days=40), None, AS_OF - timedelta(days=10),
        None, None, None,
    )  # fmt: skip
    return base._replace(**changes)  # type: ignore[arg-type]


def test_dso_and_cei_follow_the_standard_formulas() -> None:
    invoices = [
        invoice("in_a", total=10000, remaining=10000),  # sold in period, still owed, overdue
        invoice(  # sold before the period, paid inside it
            "in_b",
            status="paid",
            total=5000,
            remaining=0,
            finalized_at=NOW - timedelta(days=120),
            paid_at=NOW - timedelta(days=30),
        ),
    ]

    (usd,) = collection_metrics(invoices, as_of=AS_OF, period_days=90)

    # begin 5000, sales 10000, end 10000, current 0
    assert usd.dso_days == Decimal("90.0")  # 10000 / 10000 * 90
    assert usd.cei_percent == Decimal("33.3")  # (5000 + 10000 - 10000) / (15000 - 0) * 100


@pytest.mark.parametrize(
    ("days_late", "bucket"),
    [(0, 0), (1, 1), (30, 1), (31, 2), (60, 2), (61, 3), (90, 3), (91, 4)],
)
def test_aging_buckets_have_inclusive_upper_edges(days_late: int, bucket: int) -> None:
    inv = invoice(
        "in_c", due_date=AS_OF - timedelta(days=days_late), currency="JPY", remaining=1500
    )

    (row,) = aging([inv], as_of=AS_OF)

    assert [b.amount for b in row.buckets][bucket] == Money(1500, "JPY")


@pytest.mark.parametrize(("discount", "at_stake"), [(2000, None), (2001, 1), (4000, 2000)])
def test_discount_above_twenty_percent_of_subtotal_is_excess(
    discount: int, at_stake: int | None
) -> None:
    snapshot = Snapshot(invoices=[invoice("in_d", subtotal=10000, discount=discount)])

    found = [f for f in find(snapshot, as_of=AS_OF).findings if f.kind == "excess_discount"]

    assert [f.amount_at_stake.minor for f in found] == ([] if at_stake is None else [at_stake])


def test_kwd_discount_threshold_floors_in_fils() -> None:
    inv = invoice("in_k", currency="KWD", subtotal=12345, discount=2470)  # floor(2469) -> 1 over

    (finding,) = [
        f
        for f in find(Snapshot(invoices=[inv]), as_of=AS_OF).findings
        if f.kind == "excess_discount"
    ]

    assert finding.amount_at_stake == Money(1, "KWD")


def test_conversion_is_labelled_and_only_with_given_rates() -> None:
    total = convert([Money(1000, "USD"), Money(500, "JPY")], {"JPY": Decimal("0.0067")}, "USD")

    assert total.total == Money(1335, "USD")  # 10.00 USD + 500 JPY * 0.0067 = 13.35 USD
    assert "given rates" in total.label
