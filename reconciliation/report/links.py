"""Each record's page in its vendor's own UI, so ops can jump from a finding to the source.

Canonical references carry only `(source, id)`. Stripe and Salesforce ids say what they are (a
Stripe prefix like `in_`, a Salesforce key prefix like `006`); QuickBooks ids are bare numbers, so
the QuickBooks entity is inferred from the finding: its kind and the Stripe object it is keyed by
(a QuickBooks record beside a Stripe refund is a refund receipt). When nothing says what a record
is, it gets no link rather than a wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from canonical.records import Finding, FindingKind, Source, SourceRef

# Stripe id prefix -> dashboard path segment.
_STRIPE_PATHS: Final = {
    "in_": "invoices",
    "ch_": "payments",
    "pi_": "payments",
    "py_": "payments",
    "re_": "refunds",
    "cn_": "credit_notes",
    "dp_": "disputes",
    "du_": "disputes",
    "po_": "payouts",
    "cus_": "customers",
    "sub_": "subscriptions",
    "txn_": "balance_transactions",
}

# Salesforce key prefix (first three characters of every record id) -> object name.
_SALESFORCE_OBJECTS: Final = {
    "001": "Account",
    "003": "Contact",
    "005": "User",
    "006": "Opportunity",
    "00Q": "Lead",
    "00k": "OpportunityLineItem",
}

# QuickBooks entity -> (app page, query parameter naming the id).
_QUICKBOOKS_PAGES: Final = {
    "Invoice": ("invoice", "txnId"),
    "Payment": ("recvpayment", "txnId"),
    "CreditMemo": ("creditmemo", "txnId"),
    "RefundReceipt": ("refundreceipt", "txnId"),
    "JournalEntry": ("journal", "txnId"),
    "Deposit": ("deposit", "txnId"),
    "Customer": ("customerdetail", "nameId"),
}

# The QuickBooks counterpart of a Stripe object, by the Stripe id's prefix.
_QUICKBOOKS_COUNTERPART: Final = {
    "in_": "Invoice",
    "ch_": "Payment",
    "pi_": "Payment",
    "py_": "Payment",
    "re_": "RefundReceipt",
    "cn_": "CreditMemo",
    "dp_": "JournalEntry",
    "du_": "JournalEntry",
    "po_": "Deposit",
    "cus_": "Customer",
}

# Finding kinds whose QuickBooks records are always of one entity, whatever the key.
_QUICKBOOKS_BY_KIND: Final = {
    FindingKind.MISSING_IN_BILLING: "Invoice",
    FindingKind.STATUS_MISMATCH: "Invoice",
    FindingKind.DUPLICATE_PAYMENT: "Payment",
    FindingKind.PAYOUT_MISMATCH: "Deposit",
    FindingKind.UNRECORDED_DISPUTE: "JournalEntry",
}


@dataclass(frozen=True, slots=True)
class VendorLinks:
    """Which vendor environments the records come from (test mode, sandbox company, org URL)."""

    stripe_test_mode: bool = False
    quickbooks_sandbox: bool = False
    salesforce_instance: str | None = None  # e.g. "https://acme.my.salesforce.com"

    def stripe(self, object_id: str) -> str | None:
        path = next((p for k, p in _STRIPE_PATHS.items() if object_id.startswith(k)), None)
        if path is None:
            return None
        mode = "test/" if self.stripe_test_mode else ""
        return f"https://dashboard.stripe.com/{mode}{path}/{quote(object_id, safe='')}"

    def salesforce(self, record_id: str) -> str | None:
        if self.salesforce_instance is None:
            return None
        base = self.salesforce_instance.rstrip("/")
        name = _SALESFORCE_OBJECTS.get(record_id[:3])
        ident = quote(record_id, safe="")
        if name is None:  # Lightning resolves a bare record id to its object
            return f"{base}/lightning/r/{ident}/view"
        return f"{base}/lightning/r/{name}/{ident}/view"

    def quickbooks(self, entity: str, record_id: str) -> str | None:
        page = _QUICKBOOKS_PAGES.get(entity)
        if page is None:
            return None
        host = "app.sandbox.qbo.intuit.com" if self.quickbooks_sandbox else "app.qbo.intuit.com"
        return f"https://{host}/app/{page[0]}?{page[1]}={quote(record_id, safe='')}"

    def record_url(self, ref: SourceRef, *, quickbooks_entity: str | None = None) -> str | None:
        """The vendor UI page of `ref`, or None when its kind of record cannot be told."""
        if ref.source is Source.STRIPE:
            return self.stripe(ref.source_id)
        if ref.source is Source.SALESFORCE:
            return self.salesforce(ref.source_id)
        if quickbooks_entity is None:
            return None
        return self.quickbooks(quickbooks_entity, ref.source_id)

    def finding_urls(self, finding: Finding) -> list[tuple[SourceRef, str | None]]:
        """Every record of `finding` with its vendor page (None where it cannot be told)."""
        entity = quickbooks_entity_of(finding)
        return [(ref, self.record_url(ref, quickbooks_entity=entity)) for ref in finding.records]


def quickbooks_entity_of(finding: Finding) -> str | None:
    """The QuickBooks entity of the QuickBooks records of `finding`, inferred from its kind/key."""
    by_kind = _QUICKBOOKS_BY_KIND.get(finding.kind)
    if by_kind is not None:
        return by_kind
    if finding.key.source is not Source.STRIPE:
        return None
    key = finding.key.source_id
    return next((e for p, e in _QUICKBOOKS_COUNTERPART.items() if key.startswith(p)), None)
