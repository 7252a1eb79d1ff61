"""The HTML report rendered from a hand-built result: sections, exact amounts, escaping, offline."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canonical.money import Money
from canonical.records import FindingKind, FindingStatus
from reconciliation.report import VendorLinks, render_html
from tests.reconciliation.report_samples import (
    HOSTILE_NAME,
    SAMPLE_FINDINGS,
    finding,
    sample_history,
    sample_result,
    stripe,
)

VENDOR_HOSTS = {"dashboard.stripe.com", "app.qbo.intuit.com", "acme.my.salesforce.com"}
LINKS = VendorLinks(salesforce_instance="https://acme.my.salesforce.com")


class _Collector(HTMLParser):
    """Start tags with their attributes, and the text of every <td class="num">."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.numeric_cells: list[str] = []
        self._in_num = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_num = tag == "td" and "num" in (dict(attrs).get("class") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_num = False

    def handle_data(self, data: str) -> None:
        if self._in_num and data.strip():
            self.numeric_cells.append(data.strip())


def _parse(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    return collector


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(sample_result(), history=sample_history(), links=LINKS)


def test_every_section_is_present(page: str) -> None:
    ids = {attrs.get("id") for _, attrs in _parse(page).tags}
    for section in (
        "summary",
        "chart-leakage",
        "chart-aging",
        "chart-trend",
        "findings",
        "worklist",
        "funnel",
        "filter-kind",
        "filter-status",
        "filter-customer",
        "filter-text",
    ):
        assert section in ids, section


@pytest.mark.parametrize("amount", ["1500 JPY", "12.345 KWD", "1234.56 USD", "0.05 USD"])
def test_amounts_are_exact_in_their_currency_and_right_aligned(page: str, amount: str) -> None:
    assert amount in _parse(page).numeric_cells


def test_amounts_never_get_decimals_their_currency_lacks(page: str) -> None:
    assert "15.00 JPY" not in page
    assert "1500.00 JPY" not in page
    assert "123.45 KWD" not in page


def test_hostile_customer_names_and_details_are_escaped(page: str) -> None:
    assert HOSTILE_NAME not in page
    assert "&lt;script&gt;alert(" in page
    assert "<b>bold</b>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    scripts = [attrs for tag, attrs in _parse(page).tags if tag == "script"]
    assert len(scripts) == 1  # only the report's own inline script


def test_page_loads_nothing_from_outside(page: str) -> None:
    assert not re.search(r"<script[^>]*\bsrc=", page, re.IGNORECASE)
    assert not re.search(r"<link[^>]*href=", page, re.IGNORECASE)
    assert "@import" not in page
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    for tag, attrs in _parse(page).tags:
        if tag in {"img", "iframe", "object", "embed", "source", "audio", "video"}:
            pytest.fail(f"external-capable element <{tag}> in the report")
        if tag != "a":
            assert not any((v or "").startswith(("http", "//")) for v in attrs.values())


def test_only_vendor_pages_are_linked(page: str) -> None:
    urls = re.findall(r"https?://[^\s\"'<>]+", page)
    assert urls
    assert {urlsplit(u).hostname for u in urls} <= VENDOR_HOSTS


def test_each_record_links_to_its_vendor_page(page: str) -> None:
    hrefs = {attrs.get("href") for tag, attrs in _parse(page).tags if tag == "a"}
    assert "https://dashboard.stripe.com/invoices/in_usd1" in hrefs
    assert "https://app.qbo.intuit.com/app/invoice?txnId=77" in hrefs
    assert "https://app.qbo.intuit.com/app/deposit?txnId=301" in hrefs
    assert "https://acme.my.salesforce.com/lightning/r/Opportunity/0065g00000ABCDEAAA/view" in hrefs


def test_finding_rows_carry_filter_attributes(page: str) -> None:
    rows = [
        attrs for tag, attrs in _parse(page).tags if tag == "tr" and "data-fingerprint" in attrs
    ]
    assert len(rows) == len(SAMPLE_FINDINGS)
    by_fp = {row["data-fingerprint"]: row for row in rows}
    hostile = by_fp["fp-missing_in_ledger-in_usd1"]
    assert hostile["data-kind"] == "missing_in_ledger"
    assert hostile["data-status"] == "open"
    assert hostile["data-customer"] == "cus_hostile"
    assert "<script>" in (hostile["data-search"] or "")  # the parser unescapes attribute values


def test_open_findings_come_first_and_the_biggest_within_a_currency(page: str) -> None:
    order = re.findall(r'data-fingerprint="([^"]+)"', page)
    statuses = re.findall(r'data-status="([^"]+)"', page)
    assert statuses == sorted(statuses, key=["open", "acknowledged", "resolved"].index)
    assert order.index("fp-missing_in_ledger-in_usd1") < order.index("fp-payout_mismatch-po_1")


def test_customer_filter_lists_each_customer_once_by_name(page: str) -> None:
    select = page.split('id="filter-customer"')[1].split("</select>")[0]
    assert select.count('value="cus_hostile"') == 1
    assert "Tokyo KK" in select


def test_worklist_explains_the_score_on_demand(page: str) -> None:
    worklist = page.split('id="worklist"')[1].split("</section>")[0]
    assert "<details>" in worklist
    assert "owes 1234.56 USD more than 30 days past due" in worklist
    assert worklist.index("&lt;script&gt;") < worklist.index("Tokyo KK")  # rank order


def test_funnel_shows_counts_amounts_conversion_and_median_days(page: str) -> None:
    funnel = page.split('id="funnel"')[1].split("</section>")[0]
    for text in ("deals won", "20000.00 USD", "83.3%", "lead → won", "4.5"):
        assert text in funnel


def test_trend_plots_one_point_per_run(page: str) -> None:
    trend = page.split('id="chart-trend"')[1].split("</figure>")[0]
    assert trend.count("<circle") == 3 * 3  # open findings, JPY and USD leakage
    assert "1234.61 USD" in trend


def test_without_history_the_trend_says_so() -> None:
    page = render_html(sample_result())
    assert "No earlier runs." in page.split('id="chart-trend"')[1]


def test_ops_buttons_appear_only_when_served_by_the_gateway() -> None:
    offline = render_html(sample_result()).split("<script>")[0]
    assert "data-action=" not in offline
    assert "revcycle-ops-base" not in offline
    served = render_html(sample_result(), ops_base="/ops")
    assert '<meta name="revcycle-ops-base" content="/ops">' in served
    assert served.split("<script>")[0].count('data-action="ack"') == len(SAMPLE_FINDINGS)


def test_acknowledge_is_disabled_unless_open() -> None:
    only = (
        finding(
            FindingKind.DUPLICATE_PAYMENT,
            stripe("ch_1"),
            Money(1, "USD"),
            status=FindingStatus.ACKNOWLEDGED,
        ),
    )
    page = render_html(sample_result(only), ops_base="/ops")
    assert re.search(r'data-action="ack"\s+disabled', page)
    assert not re.search(r'data-action="resolve"\s+disabled', page)


def test_ops_base_is_escaped() -> None:
    page = render_html(sample_result(), ops_base='/ops"><script>x</script>')
    assert '"><script>x' not in page


@settings(max_examples=40, deadline=None)
@given(
    minor=st.integers(min_value=0, max_value=10**12),
    currency=st.sampled_from(["USD", "JPY", "KWD", "EUR", "BHD", "KRW"]),
)
def test_any_amount_at_stake_renders_exactly(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    only = (finding(FindingKind.MISSING_IN_LEDGER, stripe("in_x"), money),)
    assert str(money) in _parse(render_html(sample_result(only))).numeric_cells
