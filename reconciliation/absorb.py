"""One discrepancy, one finding: drop what a higher-level finding already explains.

- A Stripe invoice missing from QuickBooks, or paid there but still open (`status_mismatch`),
  explains its charges' postings: their missing/mismatched/duplicate Payment findings go.
- `currency_mismatch` absorbs `amount_mismatch` on the same record.
- `unbilled_deal` absorbs `underbilled_deal` on the same deal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from canonical.records import Finding, FindingKind, Source

K = FindingKind
_POSTING_KINDS = frozenset({K.MISSING_IN_LEDGER, K.AMOUNT_MISMATCH, K.CURRENCY_MISMATCH})
_OUTRANKS = {K.AMOUNT_MISMATCH: K.CURRENCY_MISMATCH, K.UNDERBILLED_DEAL: K.UNBILLED_DEAL}


def absorb(
    findings: Iterable[Finding],
    absorbed_invoices: set[str],
    invoice_of_charge: Mapping[str, str],
) -> list[Finding]:
    items = list(findings)
    present = {(f.kind, f.key) for f in items}

    def explained(f: Finding) -> bool:
        if (outranked_by := _OUTRANKS.get(f.kind)) and (outranked_by, f.key) in present:
            return True
        if f.kind in _POSTING_KINDS and f.key.source is Source.STRIPE:
            return invoice_of_charge.get(f.key.source_id) in absorbed_invoices
        if f.kind is K.DUPLICATE_PAYMENT and f.key.source is Source.QUICKBOOKS:
            charge = f.records[1].source_id if len(f.records) > 1 else ""
            return invoice_of_charge.get(charge) in absorbed_invoices
        return False

    return [f for f in items if not explained(f)]
