"""Match rates per pair type, as counted while matching (see `linking.MatchTally`)."""

from __future__ import annotations

from reconciliation.model import MatchRate, MatchSummary


def match_rates(summary: MatchSummary) -> tuple[MatchRate, ...]:
    """Pair types that had anything to match, in `PairType` order."""
    return tuple(rate for rate in summary.rates if rate.total)
