"""JSON and CSV outputs of a hand-built result, and the vendor links of each record."""

from __future__ import annotations

import csv
import io
import json

import pytest

from canonical.money import Money
from canonical.records import Finding, FindingKind, Source, SourceRef
from reconciliation.report import VendorLinks, to_csv, to_json
from reconciliation.report.csv_out import COLUMNS
from reconciliation.report.links import quickbooks_entity_of
from tests.reconciliation.report_samples import SAMPLE_FINDINGS, finding, qbo, sample_result, stripe


def test_json_findings_have_the_issue_shape() -> None:
    body = json.loads(json.dumps(to_json(sample_result())))
    assert len(body["findings"]) == len(SAMPLE_FINDINGS)
    first = body["findings"][1]
    assert {"kind", "fingerprint", "status", "records", "amount_at_stake", "detail"} <= set(first)
    assert first["kind"] == "amount_mismatch"
    assert first["records"] == [
        {"source": "stripe", "id": "in_jpy1"},
        {"source": "quickbooks", "id": "77"},
    ]
    assert first["amount_at_stake"] == {"minor": 1500, "currency": "JPY"}


def test_json_metrics_are_exact_and_per_currency() -> None:
    metrics = to_json(sample_result())["metrics"]
    assert {"collection", "aging", "match_rates", "leakage", "risk", "worklist", "funnel"} <= set(
        metrics
    )
    assert metrics["leakage"]["by_currency"][1] == {"minor": 12345, "currency": "KWD"}
    assert metrics["collection"][0]["dso_days"] == "7.77"  # Decimal as text, never a float


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_one_row_per_finding_with_exact_amounts() -> None:
    rows = _rows(to_csv(sample_result()))
    assert len(rows) == len(SAMPLE_FINDINGS)
    assert list(rows[0]) == list(COLUMNS)
    amounts = {row["fingerprint"]: (row["amount_minor"], row["amount"]) for row in rows}
    assert amounts["fp-amount_mismatch-in_jpy1"] == ("1500", "1500")
    assert amounts["fp-unrecorded_dispute-dp_kwd1"] == ("12345", "12.345")
    assert amounts["fp-payout_mismatch-po_1"] == ("5", "0.05")
    assert rows[1]["records"] == "stripe:in_jpy1 quickbooks:77"


def test_csv_defuses_spreadsheet_formulas() -> None:
    hostile = finding(
        FindingKind.MISSING_IN_LEDGER, stripe("in_f"), Money(1, "USD"), detail="=HYPERLINK(1)"
    )
    (row,) = _rows(to_csv(sample_result((hostile,))))
    assert row["detail"] == "'=HYPERLINK(1)"


def test_csv_quotes_commas_and_newlines() -> None:
    tricky = finding(
        FindingKind.MISSING_IN_LEDGER, stripe("in_q"), Money(1, "USD"), detail='a, "b"\nc'
    )
    (row,) = _rows(to_csv(sample_result((tricky,))))
    assert row["detail"] == 'a, "b"\nc'


@pytest.mark.parametrize(
    ("ref", "links", "url"),
    [
        (stripe("in_1"), VendorLinks(), "https://dashboard.stripe.com/invoices/in_1"),
        (
            stripe("in_1"),
            VendorLinks(stripe_test_mode=True),
            "https://dashboard.stripe.com/test/invoices/in_1",
        ),
        (stripe("ch_1"), VendorLinks(), "https://dashboard.stripe.com/payments/ch_1"),
        (stripe("pi_1"), VendorLinks(), "https://dashboard.stripe.com/payments/pi_1"),
        (stripe("po_1"), VendorLinks(), "https://dashboard.stripe.com/payouts/po_1"),
        (stripe("cus_1"), VendorLinks(), "https://dashboard.stripe.com/customers/cus_1"),
        (stripe("xx_1"), VendorLinks(), None),
        (SourceRef(Source.SALESFORCE, "006000000000001AAA"), VendorLinks(), None),
        (
            SourceRef(Source.SALESFORCE, "006000000000001AAA"),
            VendorLinks(salesforce_instance="https://acme.my.salesforce.com/"),
            "https://acme.my.salesforce.com/lightning/r/Opportunity/006000000000001AAA/view",
        ),
        (
            SourceRef(Source.SALESFORCE, "a01000000000001AAA"),
            VendorLinks(salesforce_instance="https://acme.my.salesforce.com"),
            "https://acme.my.salesforce.com/lightning/r/a01000000000001AAA/view",
        ),
    ],
)
def test_record_urls(ref: SourceRef, links: VendorLinks, url: str | None) -> None:
    assert links.record_url(ref) == url


def test_quickbooks_sandbox_companies_link_to_the_sandbox_app() -> None:
    links = VendorLinks(quickbooks_sandbox=True)
    assert links.record_url(qbo("9"), quickbooks_entity="Invoice") == (
        "https://app.sandbox.qbo.intuit.com/app/invoice?txnId=9"
    )


def test_ids_are_url_encoded() -> None:
    url = VendorLinks().record_url(qbo("1&x=2"), quickbooks_entity="Payment")
    assert url == "https://app.qbo.intuit.com/app/recvpayment?txnId=1%26x%3D2"


@pytest.mark.parametrize(
    ("kind", "key", "entity"),
    [
        (FindingKind.MISSING_IN_BILLING, qbo("5"), "Invoice"),
        (FindingKind.STATUS_MISMATCH, stripe("in_1"), "Invoice"),
        (FindingKind.AMOUNT_MISMATCH, stripe("re_1"), "RefundReceipt"),
        (FindingKind.AMOUNT_MISMATCH, stripe("cn_1"), "CreditMemo"),
        (FindingKind.CURRENCY_MISMATCH, stripe("ch_1"), "Payment"),
        (FindingKind.PAYOUT_MISMATCH, stripe("po_1"), "Deposit"),
        (FindingKind.DUPLICATE_PAYMENT, qbo("8"), "Payment"),
        (FindingKind.UNBILLED_DEAL, SourceRef(Source.SALESFORCE, "006x"), None),
    ],
)
def test_quickbooks_entity_is_inferred_from_the_finding(
    kind: FindingKind, key: SourceRef, entity: str | None
) -> None:
    found: Finding = finding(kind, key, Money(1, "USD"))
    assert quickbooks_entity_of(found) == entity
