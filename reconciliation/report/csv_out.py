"""The findings as CSV, one row per finding, for spreadsheets.

Amounts come twice: exact minor units (for sums in a spreadsheet) and the decimal text with the
currency's own number of places (for reading). Cells that a spreadsheet would run as a formula are
prefixed with a quote, since details and names come from vendor data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Final

from canonical.money import exponent
from canonical.records import Finding, SourceRef
from reconciliation.model import ReconcileResult

COLUMNS: Final = (
    "kind",
    "status",
    "fingerprint",
    "key_source",
    "key_id",
    "party_source",
    "party_id",
    "party_name",
    "amount_minor",
    "currency",
    "amount",
    "records",
    "detail",
)
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _row(finding: Finding, names: Mapping[SourceRef, str]) -> list[str]:
    money = finding.amount_at_stake
    party = finding.party
    return [
        finding.kind.value,
        finding.status.value,
        finding.fingerprint,
        finding.key.source.value,
        _cell(finding.key.source_id),
        party.source.value if party else "",
        _cell(party.source_id) if party else "",
        _cell(names.get(party, "")) if party else "",
        str(money.minor),
        money.currency,
        f"{money.to_decimal():.{exponent(money.currency)}f}",
        _cell(" ".join(f"{r.source.value}:{r.source_id}" for r in finding.records)),
        _cell(finding.detail),
    ]


def to_csv(result: ReconcileResult) -> str:
    """A header row, then one row per finding in the result's order (RFC 4180, CRLF)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(_row(f, result.party_names) for f in result.findings)
    return out.getvalue()
