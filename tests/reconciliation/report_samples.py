"""Hand-built reconciliation results for the report tests (no reconciler involved)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from canonical.money import Money
from canonical.records import Finding, FindingKind, FindingStatus, Source, SourceRef
from reconciliation.model import (
    AgingBucket,
    AgingBucketName,
    AgingRow,
    CollectionMetrics,
    Funnel,
    FunnelStage,
    FunnelStageName,
    Leakage,
    LeakageByKind,
    MatchMethod,
    MatchRate,
    MatchSummary,
    Metrics,
    PairType,
    ReconcileResult,
    RiskFactor,
    RiskFactorName,
    RiskScore,
    RunSummary,
    StageDuration,
    WorklistEntry,
)

HOSTILE_NAME = "<script>alert('pwned')</script> & Sons"
STRIPE_CUSTOMER = SourceRef(Source.STRIPE, "cus_hostile")
TOKYO_CUSTOMER = SourceRef(Source.STRIPE, "cus_tokyo")


def stripe(ident: str) -> SourceRef:
    return SourceRef(Source.STRIPE, ident)


def qbo(ident: str) -> SourceRef:
    return SourceRef(Source.QUICKBOOKS, ident)


def finding(
    kind: FindingKind,
    key: SourceRef,
    amount: Money,
    *,
    records: tuple[SourceRef, ...] = (),
    status: FindingStatus = FindingStatus.OPEN,
    party: SourceRef | None = None,
    detail: str = "",
) -> Finding:
    return Finding(
        kind=kind,
        key=key,
        records=records or (key,),
        amount_at_stake=amount,
        detail=detail or f"{kind.value} on {key.source_id}",
        fingerprint=f"fp-{kind.value}-{key.source_id}",
        status=status,
        party=party,
    )


SAMPLE_FINDINGS = (
    finding(
        FindingKind.MISSING_IN_LEDGER,
        stripe("in_usd1"),
        Money(123456, "USD"),
        party=STRIPE_CUSTOMER,
        detail="invoice INV-0001 has no QuickBooks counterpart <b>bold</b>",
    ),
    finding(
        FindingKind.AMOUNT_MISMATCH,
        stripe("in_jpy1"),
        Money(1500, "JPY"),
        records=(stripe("in_jpy1"), qbo("77")),
        party=TOKYO_CUSTOMER,
    ),
    finding(
        FindingKind.UNRECORDED_DISPUTE,
        stripe("dp_kwd1"),
        Money(12345, "KWD"),
        status=FindingStatus.ACKNOWLEDGED,
    ),
    finding(
        FindingKind.UNBILLED_DEAL,
        SourceRef(Source.SALESFORCE, "0065g00000ABCDEAAA"),
        Money(990000, "USD"),
        status=FindingStatus.RESOLVED,
    ),
    finding(
        FindingKind.PAYOUT_MISMATCH,
        stripe("po_1"),
        Money(5, "USD"),
        records=(stripe("po_1"), qbo("301")),
    ),
)


def _leakage() -> Leakage:
    return Leakage(
        by_kind=(
            LeakageByKind(FindingKind.MISSING_IN_LEDGER, 1, (Money(123456, "USD"),)),
            LeakageByKind(FindingKind.AMOUNT_MISMATCH, 1, (Money(1500, "JPY"),)),
            LeakageByKind(FindingKind.UNRECORDED_DISPUTE, 1, (Money(12345, "KWD"),)),
            LeakageByKind(FindingKind.PAYOUT_MISMATCH, 1, (Money(5, "USD"),)),
        ),
        by_currency=(Money(1500, "JPY"), Money(12345, "KWD"), Money(123461, "USD")),
    )


def _aging() -> tuple[AgingRow, ...]:
    amounts = (50000, 25000, 0, 1000, 700)
    buckets = tuple(
        AgingBucket(name, Money(minor, "USD"), 1 if minor else 0)
        for name, minor in zip(AgingBucketName, amounts, strict=True)
    )
    jpy = tuple(AgingBucket(name, Money(3000, "JPY"), 1) for name in AgingBucketName)
    return (
        AgingRow("USD", buckets, Money(sum(amounts), "USD")),
        AgingRow("JPY", jpy, Money(15000, "JPY")),
    )


def _risk() -> tuple[RiskScore, ...]:
    factor = RiskFactor(
        RiskFactorName.OVERDUE_BALANCE,
        Decimal("0.8"),
        Decimal("40"),
        Decimal("32.0"),
        "owes 1234.56 USD more than 30 days past due",
    )
    return (RiskScore(STRIPE_CUSTOMER, HOSTILE_NAME, Decimal("71.5"), (factor,)),)


def _worklist() -> tuple[WorklistEntry, ...]:
    return (
        WorklistEntry(
            rank=1,
            party=STRIPE_CUSTOMER,
            display_name=HOSTILE_NAME,
            overdue=(Money(123456, "USD"), Money(12345, "KWD")),
            oldest_days_overdue=47,
            score=Decimal("71.5"),
            top_reason="overdue balance: 1234.56 USD past due 47 days",
            open_findings=1,
            links=(stripe("in_usd1"),),
        ),
        WorklistEntry(
            rank=2,
            party=TOKYO_CUSTOMER,
            display_name="Tokyo KK",
            overdue=(Money(1500, "JPY"),),
            oldest_days_overdue=3,
            score=Decimal("12.0"),
            top_reason="two failed payment attempts",
            open_findings=1,
            links=(),
        ),
    )


def _funnel() -> Funnel:
    stages = (
        FunnelStage(FunnelStageName.LEADS, 100, (), None),
        FunnelStage(FunnelStageName.CONVERTED, 40, (), Decimal("0.4")),
        FunnelStage(FunnelStageName.DEALS_WON, 20, (Money(2000000, "USD"),), Decimal("0.5")),
        FunnelStage(FunnelStageName.BILLED, 18, (Money(1800000, "USD"),), Decimal("0.9")),
        FunnelStage(FunnelStageName.COLLECTED, 15, (Money(1500000, "USD"),), Decimal("0.8333")),
        FunnelStage(FunnelStageName.BOOKED, 14, (Money(1400000, "USD"),), Decimal("0.9333")),
    )
    durations = (
        StageDuration("lead", "won", Decimal("21"), 20),
        StageDuration("won", "invoiced", Decimal("4.5"), 18),
        StageDuration("invoiced", "paid", None, 0),
    )
    return Funnel(stages, durations)


def sample_metrics() -> Metrics:
    rates = (
        MatchRate.of(
            PairType.INVOICE, 9, 10, {MatchMethod.DOC_NUMBER: 8, MatchMethod.AMOUNT_DATE: 1}
        ),
        MatchRate.of(PairType.PAYOUT, 0, 0, {}),
    )
    collection = (
        CollectionMetrics(
            "USD",
            90,
            Money(100000, "USD"),
            Money(900000, "USD"),
            Money(77700, "USD"),
            Money(50000, "USD"),
            Decimal("7.77"),
            Decimal("97.21"),
        ),
    )
    return Metrics(collection, _aging(), rates, _leakage(), _risk(), _worklist(), _funnel())


def sample_result(findings: tuple[Finding, ...] = SAMPLE_FINDINGS) -> ReconcileResult:
    metrics = sample_metrics()
    return ReconcileResult(date(2025, 6, 30), findings, MatchSummary(metrics.match_rates), metrics)


def sample_history() -> tuple[RunSummary, ...]:
    def run(run_id: int, day: int, open_findings: int, usd: int) -> RunSummary:
        at = datetime(2025, 6, day, 6, tzinfo=UTC)
        return RunSummary(
            run_id=run_id,
            as_of=date(2025, 6, day),
            started_at=at,
            finished_at=at,
            counts_by_kind={"missing_in_ledger": open_findings},
            amounts_by_kind={"missing_in_ledger": (Money(usd, "USD"), Money(700, "JPY"))},
            open_findings=open_findings,
        )

    return (run(1, 28, 7, 200000), run(2, 29, 5, 150000), run(3, 30, 4, 123461))
