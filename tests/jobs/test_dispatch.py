import pytest

from jobs.dispatch import handles, legacy_quickbooks_type, quickbooks_change


@pytest.mark.parametrize(
    ("source", "event_type", "expected"),
    [
        ("stripe", "invoice.payment_failed", True),
        ("stripe", "invoice.paid", True),
        ("stripe", "charge.dispute.created", True),
        ("stripe", "customer.subscription.updated", True),
        ("stripe", "payout.paid", True),
        ("stripe", "product.created", False),
        ("stripe", "invoice.upcoming", False),
        ("stripe", None, False),
        ("quickbooks", "qbo.invoice.updated.v1", True),
        ("quickbooks", "qbo.creditmemo.deleted.v1", True),
        ("quickbooks", "Invoice.Update", True),
        ("quickbooks", "JournalEntry.Delete", True),
        ("quickbooks", "Bill.Update", False),
        ("quickbooks", "qbo.vendor.created.v1", False),
        ("quickbooks", "Invoice.Frobnicate", False),
        ("quickbooks", "invoice", False),
        ("salesforce", "Opportunity", True),
        ("salesforce", "OpportunityLineItem", True),
        ("salesforce", "Case", False),
        ("generic", "anything", False),
    ],
)
def test_handles_table(source: str, event_type: str | None, expected: bool) -> None:
    assert handles(source, event_type) is expected


def test_cloud_and_legacy_quickbooks_types_name_the_same_change() -> None:
    cloud = quickbooks_change("qbo.refundreceipt.voided.v1")
    legacy = quickbooks_change(legacy_quickbooks_type("RefundReceipt", "Void"))
    assert cloud == legacy == ("RefundReceipt", "Void")
