"""The reconciliation as JSON: `findings` in the shape issue 6 fixes, plus every metric."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from canonical.jsonable import to_jsonable
from canonical.records import Finding, SourceRef
from reconciliation.model import ReconcileResult


def finding_json(finding: Finding, names: Mapping[SourceRef, str] | None = None) -> dict[str, Any]:
    """`{"kind", "fingerprint", "status", "records", "amount_at_stake", "detail"}` (+ party)."""
    party_name = (names or {}).get(finding.party) if finding.party else None
    return {
        "kind": finding.kind.value,
        "fingerprint": finding.fingerprint,
        "status": finding.status.value,
        "records": [ref.as_json() for ref in finding.records],
        "amount_at_stake": finding.amount_at_stake.as_json(),
        "detail": finding.detail,
        "key": finding.key.as_json(),
        "party": finding.party.as_json() if finding.party else None,
        "party_name": party_name,
    }


def to_json(result: ReconcileResult) -> dict[str, Any]:
    """A JSON-ready dict: `as_of`, `findings`, `match_rates` and `metrics` (exact: no floats)."""
    return {
        "as_of": result.as_of.isoformat(),
        "findings": [finding_json(f, result.party_names) for f in result.findings],
        "match_rates": to_jsonable(result.matches.rates),
        "metrics": to_jsonable(result.metrics),
    }
