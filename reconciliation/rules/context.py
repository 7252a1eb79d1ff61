"""What every rule needs besides the snapshot: the as-of instant, the limits, the indexes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from canonical.money import Money
from canonical.records import Finding, FindingKind, Source, SourceRef
from reconciliation.fingerprint import fingerprint
from reconciliation.linking import LedgerIndex, MatchTally, Parties
from reconciliation.snapshot import Snapshot
from reconciliation.snapshot_types import Charge
from reconciliation.thresholds import Thresholds


@dataclass(slots=True)
class RuleContext:
    snapshot: Snapshot
    as_of: date
    thresholds: Thresholds
    ledger: LedgerIndex
    parties: Parties
    tally: MatchTally = field(default_factory=MatchTally)
    charges_by_invoice: dict[str, list[Charge]] = field(default_factory=dict)

    # Rules ask `past` once per record: the as-of instant and the cutoffs are worked out once.
    _now: datetime = field(init=False)
    _cutoffs: dict[int, datetime] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._now = datetime.combine(self.as_of, time(), tzinfo=UTC)

    @property
    def now(self) -> datetime:
        """The as-of instant: the start of the as-of day, UTC."""
        return self._now

    def past(self, moment: datetime | None, days: int) -> bool:
        """True when more than `days` whole days separate `moment` from the as-of instant."""
        return moment is not None and moment < self.cutoff(days)

    def cutoff(self, days: int) -> datetime:
        """The instant `days` before the as-of instant: a moment before it is `past`.

        (now - moment > days  <=>  moment < now - days, exact arithmetic.) Loops over a million
        records compare against it directly.
        """
        cutoff = self._cutoffs.get(days)
        if cutoff is None:
            cutoff = self._cutoffs[days] = self._now - timedelta(days=days)
        return cutoff

    def finding(
        self,
        kind: FindingKind,
        key: SourceRef,
        amount: int,
        currency: str,
        detail: str,
        *,
        records: Iterable[SourceRef] = (),
        party: tuple[Source, str | None] | None = None,
    ) -> Finding:
        return Finding(
            kind=kind,
            key=key,
            records=(key, *records),
            amount_at_stake=Money(amount, currency.upper()),
            detail=detail,
            fingerprint=fingerprint(kind, key),
            party=None if party is None else self.parties.ref(*party),
        )


def stripe(ident: str) -> SourceRef:
    return SourceRef(Source.STRIPE, ident)


def quickbooks(ident: str) -> SourceRef:
    return SourceRef(Source.QUICKBOOKS, ident)


def salesforce(ident: str) -> SourceRef:
    return SourceRef(Source.SALESFORCE, ident)


def money_text(minor: int, currency: str) -> str:
    return str(Money(minor, currency.upper()))
