"""`revcycle demo` end to end on the embedded parts: the numbers in its summary, not only that it
finishes. The demo runs once per module (about 8 s); each test checks one promise."""

from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from canonical.money import Money
from canonical.records import Finding, FindingKind, Source, SourceRef
from hub.demo.run import DemoOptions, run_demo
from hub.demo.steps import SCENARIOS
from hub.demo.summary import DemoSummary
from hub.demo.truth import finding_row, score, score_after_changes
from hub.settings import Settings

pytestmark = pytest.mark.slow
AS_OF = date(2026, 3, 31)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoSummary, list[str]]:
    """The summary the demo returned and what it handed to its printer."""
    out = tmp_path_factory.mktemp("demo")
    shown: list[str] = []

    def on_summary(summary: DemoSummary, settings: Settings) -> None:
        shown.append(settings.REVCYCLE_DATABASE_URL)

    options = DemoOptions(out=out, seed=7, customers=60, as_of=AS_OF)
    # Its own thread and loop: the gateway serves on the loop the demo runs on.
    with ThreadPoolExecutor(max_workers=1) as pool:
        summary = pool.submit(asyncio.run, run_demo(options, on_summary)).result()
    return summary, shown


def test_every_record_of_the_dataset_is_synced(demo: tuple[DemoSummary, list[str]]) -> None:
    summary, _ = demo
    assert set(summary.synced) == {"salesforce", "stripe", "quickbooks"}
    assert all(count > 0 for count in summary.synced.values())
    assert summary.synced == summary.dataset


def test_the_forged_delivery_alone_is_rejected(demo: tuple[DemoSummary, list[str]]) -> None:
    assert demo[0].deliveries.rejected == 1


def test_duplicates_are_accepted_and_stored_once(demo: tuple[DemoSummary, list[str]]) -> None:
    deliveries = demo[0].deliveries
    assert deliveries.duplicates == 4  # invoice.paid delivered five times
    assert deliveries.gateway_duplicates == deliveries.duplicates
    assert deliveries.accepted > deliveries.stored_events - deliveries.duplicates > 0


def test_every_stored_event_is_processed(demo: tuple[DemoSummary, list[str]]) -> None:
    deliveries = demo[0].deliveries
    assert deliveries.processed + deliveries.ignored == deliveries.stored_events


def test_every_scenario_made_a_delivery(demo: tuple[DemoSummary, list[str]]) -> None:
    deliveries = demo[0].deliveries
    assert deliveries.accepted + deliveries.rejected >= len(SCENARIOS) + 4


def test_tasks_and_payments_are_visible_through_the_vendor_apis(
    demo: tuple[DemoSummary, list[str]],
) -> None:
    followups = demo[0].followups
    assert followups.tasks_verified == followups.tasks >= 1
    assert followups.payments_verified == followups.payments >= 1


def test_notifications_reach_the_receiver(demo: tuple[DemoSummary, list[str]]) -> None:
    followups = demo[0].followups
    assert followups.notifications_received == followups.notifications >= 1


def test_findings_match_the_ground_truth_exactly(demo: tuple[DemoSummary, list[str]]) -> None:
    summary = demo[0]
    for scored in (summary.as_generated, summary.final):
        assert scored.precision == scored.recall == 1.0
    planted = summary.as_generated.true_positives + summary.as_generated.missed
    assert sum(line.count for line in summary.findings) == planted
    assert len(summary.findings) == 12  # every finding kind is present at this size


def test_collection_metrics_are_given_per_currency(demo: tuple[DemoSummary, list[str]]) -> None:
    lines = demo[0].collection
    assert {line.currency for line in lines} >= {"USD", "EUR"}
    assert any(line.dso_days is not None and line.cei_percent is not None for line in lines)


def test_reports_are_written_and_the_html_is_self_contained(
    demo: tuple[DemoSummary, list[str]],
) -> None:
    reports = demo[0].reports
    assert all(path.is_file() for path in reports.values())
    html = reports["html"].read_text()
    assert not re.search(r"<(?:script|img|link|iframe)\b[^>]*\b(?:src|href)=\"(?:https?:)?//", html)
    document = json.loads(reports["json"].read_text())
    assert len(document["findings"]) == sum(line.count for line in demo[0].findings)
    assert reports["csv"].read_text().count("\n") >= len(document["findings"])


def test_the_embedded_store_is_a_sqlite_file_under_out(
    demo: tuple[DemoSummary, list[str]],
) -> None:
    summary, shown = demo
    assert len(shown) == 1
    assert shown[0].startswith("sqlite:///")
    assert Path(shown[0].removeprefix("sqlite:///")).parent == summary.reports["html"].parent


def _finding(kind: str, key: str, minor: int, *records: str) -> Finding:
    refs = tuple(SourceRef(Source.QUICKBOOKS, r) for r in records)
    return Finding(
        kind=FindingKind(kind),
        key=SourceRef(Source.STRIPE, key),
        records=(SourceRef(Source.STRIPE, key), *refs),
        amount_at_stake=Money(minor, "USD"),
        detail="",
        fingerprint=key,
    )


def test_a_planted_finding_the_webhooks_fixed_is_left_out_with_its_reason() -> None:
    planted = _finding("status_mismatch", "in_1", 500, "107")
    truth = {finding_row(planted)}
    scored = score_after_changes([], truth, before=[planted], touched={"107"})
    assert (scored.precision, scored.recall, scored.missed) == (1.0, 1.0, 0)
    assert scored.explained == ("gone status_mismatch on stripe in_1: the webhooks changed 107",)


def test_a_difference_on_untouched_records_counts_against_the_score() -> None:
    planted = _finding("status_mismatch", "in_1", 500, "107")
    extra = _finding("missing_in_ledger", "in_2", 900)
    scored = score_after_changes([extra], {finding_row(planted)}, before=[planted], touched={"9"})
    assert (scored.precision, scored.recall) == (0.0, 0.0)
    assert scored.explained == ()


def test_a_wrong_amount_is_not_a_match() -> None:
    planted = _finding("amount_mismatch", "ch_1", 500)
    assert score([_finding("amount_mismatch", "ch_1", 501)], {finding_row(planted)}).recall == 0.0
