"""The reconciler's result: findings, how records were matched, and the collection metrics.

Every type here is a frozen value that `canonical.jsonable.to_jsonable` turns into JSON. Ratios,
days and scores are `Decimal` (never float: the JSON stays exact and reproducible); money is
`Money`, and amounts in different currencies are kept apart as tuples of `Money`, one per currency,
never summed. A converted total exists only for explicitly given rates, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from canonical.money import Money
from canonical.records import Finding, FindingKind, SourceRef

# --- matching -------------------------------------------------------------------------------------


class PairType(StrEnum):
    """What kind of thing was paired across systems."""

    INVOICE = "invoice"  # Stripe invoice ↔ QBO invoice
    PAYMENT = "payment"  # Stripe succeeded charge ↔ QBO payment
    REFUND = "refund"  # Stripe refund ↔ QBO refund receipt (or credit memo)
    CREDIT_NOTE = "credit_note"  # Stripe credit note ↔ QBO credit memo
    PAYOUT = "payout"  # Stripe payout ↔ QBO deposit
    DEAL = "deal"  # Salesforce opportunity ↔ Stripe invoice / subscription


class MatchMethod(StrEnum):
    """How a pair was found: a linking convention first, a fallback last."""

    DOC_NUMBER = "doc_number"  # QBO DocNumber == Stripe invoice number
    PRIVATE_NOTE = "private_note"  # QBO PrivateNote holds the Stripe id (in_/ch_/re_/cn_/po_)
    PAYMENT_REF = "payment_ref"  # QBO PaymentRefNum holds the ch_ id
    INTENT_NOTE = "intent_note"  # QBO PrivateNote holds the pi_ id of the one succeeded charge
    LINKED_TXN = "linked_txn"  # QBO LinkedTxn to the matched invoice, same amount, ±3 days
    METADATA = "metadata"  # Stripe metadata.salesforce_opportunity_id on the invoice
    SUBSCRIPTION = "subscription"  # ... or on the invoice's subscription
    AMOUNT_DATE = "amount_date"  # same party/currency/amount within the date window


@dataclass(frozen=True, slots=True)
class MatchRate:
    """Of `total` subjects of one pair type, `matched` found a counterpart; `by_method` says how.

    `rate` is matched / total to 4 places, None when there was nothing to match; build with `of`.
    """

    pair: PairType
    matched: int
    total: int
    rate: Decimal | None
    by_method: Mapping[MatchMethod, int] = field(default_factory=dict)

    @classmethod
    def of(
        cls, pair: PairType, matched: int, total: int, by_method: Mapping[MatchMethod, int]
    ) -> MatchRate:
        rate = None if total == 0 else (Decimal(matched) / total).quantize(Decimal("0.0001"))
        return cls(pair, matched, total, rate, dict(by_method))


@dataclass(frozen=True, slots=True)
class MatchSummary:
    """Match rates for every pair type (pairs are not kept: millions)."""

    rates: tuple[MatchRate, ...]

    def rate_of(self, pair: PairType) -> MatchRate | None:
        return next((r for r in self.rates if r.pair == pair), None)


# --- collection metrics ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CollectionMetrics:
    """DSO and CEI for one currency over `period_days` ending at the as-of date.

    DSO = ending AR / credit sales * days; CEI = (beginning AR + credit sales - ending AR) /
    (beginning AR + credit sales - ending current AR) * 100. None when a denominator is zero.
    """

    currency: str
    period_days: int
    beginning_ar: Money
    credit_sales: Money
    ending_ar: Money
    ending_current_ar: Money
    dso_days: Decimal | None
    cei_percent: Decimal | None


class AgingBucketName(StrEnum):
    CURRENT = "current"
    DAYS_1_30 = "1-30"
    DAYS_31_60 = "31-60"
    DAYS_61_90 = "61-90"
    DAYS_90_PLUS = "90+"


@dataclass(frozen=True, slots=True)
class AgingBucket:
    name: AgingBucketName
    amount: Money
    count: int


@dataclass(frozen=True, slots=True)
class AgingRow:
    """Open receivables of one currency by days past due, in bucket order, plus their total."""

    currency: str
    buckets: tuple[AgingBucket, ...]
    total: Money


# --- leakage --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeakageByKind:
    """Open findings of one kind: how many, and the amount at stake per currency."""

    kind: FindingKind
    count: int
    amounts: tuple[Money, ...]


@dataclass(frozen=True, slots=True)
class ConvertedTotal:
    """A total across currencies, only ever from rates given explicitly; `label` says which."""

    label: str
    currency: str
    rates: Mapping[str, Decimal]
    total: Money


@dataclass(frozen=True, slots=True)
class Leakage:
    by_kind: tuple[LeakageByKind, ...]
    by_currency: tuple[Money, ...]
    converted: ConvertedTotal | None = None


# --- collection risk and worklist -----------------------------------------------------------------


class RiskFactorName(StrEnum):
    DAYS_TO_PAY_TREND = "days_to_pay_trend"
    FAILED_ATTEMPTS = "failed_attempts"
    OVERDUE_BALANCE = "overdue_balance"
    DISPUTES = "disputes"


@dataclass(frozen=True, slots=True)
class RiskFactor:
    """One explained part of a risk score: contribution = normalised value * weight."""

    name: RiskFactorName
    value: Decimal
    weight: Decimal
    contribution: Decimal
    explanation: str


@dataclass(frozen=True, slots=True)
class RiskScore:
    """A customer's collection risk, 0-100, as the sum of its factors' contributions."""

    party: SourceRef
    display_name: str
    score: Decimal
    factors: tuple[RiskFactor, ...]


@dataclass(frozen=True, slots=True)
class WorklistEntry:
    """One customer to chase, in rank order (1 = first)."""

    rank: int
    party: SourceRef
    display_name: str
    overdue: tuple[Money, ...]
    oldest_days_overdue: int
    score: Decimal
    top_reason: str
    open_findings: int
    links: tuple[SourceRef, ...]


# --- funnel ---------------------------------------------------------------------------------------


class FunnelStageName(StrEnum):
    LEADS = "leads"
    CONVERTED = "converted"
    DEALS_WON = "deals_won"
    BILLED = "billed"
    COLLECTED = "collected"
    BOOKED = "booked_in_ledger"


@dataclass(frozen=True, slots=True)
class FunnelStage:
    """A stage's count, amounts per currency, and count / previous stage's (None at first)."""

    name: FunnelStageName
    count: int
    amounts: tuple[Money, ...]
    conversion_from_previous: Decimal | None


@dataclass(frozen=True, slots=True)
class StageDuration:
    """The median days between two stages over the `samples` cycles that reached both."""

    from_stage: str
    to_stage: str
    median_days: Decimal | None
    samples: int


@dataclass(frozen=True, slots=True)
class Funnel:
    stages: tuple[FunnelStage, ...]
    durations: tuple[StageDuration, ...]


# --- the whole result -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Metrics:
    collection: tuple[CollectionMetrics, ...]
    aging: tuple[AgingRow, ...]
    match_rates: tuple[MatchRate, ...]
    leakage: Leakage
    risk: tuple[RiskScore, ...]
    worklist: tuple[WorklistEntry, ...]
    funnel: Funnel


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    """One reconciliation at `as_of`: findings sorted by (kind, key), matches, metrics."""

    as_of: date
    findings: tuple[Finding, ...]
    matches: MatchSummary
    metrics: Metrics
    # Display names of the parties the findings name, for reports ("Acme Ltd", not "cus_…").
    party_names: Mapping[SourceRef, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A past run as stored in `reconcile_runs`, for the trend across runs."""

    run_id: int
    as_of: date
    started_at: datetime
    finished_at: datetime | None
    counts_by_kind: Mapping[str, int]
    amounts_by_kind: Mapping[str, tuple[Money, ...]]
    open_findings: int
