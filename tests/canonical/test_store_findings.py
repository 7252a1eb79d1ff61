"""The findings lifecycle on both backends: runs open, refresh, auto-resolve and reopen findings;
users acknowledge and resolve them; every transition is kept in the history."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from canonical.money import Money
from canonical.records import Finding, FindingKind, FindingStatus, Source, SourceRef
from canonical.store import Store
from canonical.store.engine import begin
from canonical.store.finding_runs import apply_run
from canonical.store.findings import (
    acknowledge,
    fingerprint_for,
    get_finding,
    history,
    list_findings,
    record_finding,
    resolve,
)
from reconciliation.fingerprint import fingerprint

T0 = datetime(2026, 3, 1, tzinfo=UTC)
CUSTOMER = SourceRef(Source.STRIPE, "cus_1")


def make(
    ident: str, minor: int = 500, kind: FindingKind = FindingKind.MISSING_IN_LEDGER
) -> Finding:
    key = SourceRef(Source.STRIPE, ident)
    return Finding(
        kind=kind,
        key=key,
        records=(key,),
        amount_at_stake=Money(minor, "USD"),
        detail=f"{ident} is not in QuickBooks",
        fingerprint=fingerprint(kind, key),
        party=CUSTOMER,
    )


async def run(store: Store, findings: list[Finding], at: datetime) -> None:
    async with begin(store.engine) as conn:
        await apply_run(conn, findings, now=at)


async def status_of(store: Store, finding: Finding) -> FindingStatus:
    async with begin(store.engine) as conn:
        stored = await get_finding(conn, finding.fingerprint)
    assert stored is not None
    return stored.finding.status


def test_reconciler_and_store_fingerprints_agree() -> None:
    key = SourceRef(Source.QUICKBOOKS, "42")

    assert fingerprint(FindingKind.MISSING_IN_BILLING, key) == fingerprint_for(
        "missing_in_billing", key
    )


async def test_a_rerun_with_a_changed_amount_updates_rather_than_duplicates(store: Store) -> None:
    await run(store, [make("in_1", 500)], T0)
    await run(store, [make("in_1", 700)], T0 + timedelta(days=1))

    async with begin(store.engine) as conn:
        stored = await list_findings(conn)
    assert [s.finding.amount_at_stake for s in stored] == [Money(700, "USD")]
    assert stored[0].last_seen == T0 + timedelta(days=1)


async def test_a_finding_seen_again_takes_its_customer_and_records_from_the_latest_run(
    store: Store,
) -> None:
    first = replace(make("in_9"), party=None)  # its customer not known yet
    await run(store, [first], T0)
    charge = SourceRef(Source.STRIPE, "ch_9")
    later = replace(make("in_9", 900), records=(first.key, charge), extra={"charges": "2"})
    await run(store, [later], T0 + timedelta(days=1))

    async with begin(store.engine) as conn:
        [stored] = await list_findings(conn, party=CUSTOMER)
        assert stored.finding.records == (first.key, charge)
        assert dict(stored.finding.extra) == {"charges": "2"}
        assert (stored.first_seen, stored.last_seen) == (T0, T0 + timedelta(days=1))

        # One finding recorded on its own (a follow-up's check) refreshes the same way.
        assert not await record_finding(conn, replace(later, party=None), now=T0)
        refreshed = await get_finding(conn, later.fingerprint)
    assert refreshed is not None
    assert refreshed.finding.party is None


async def test_a_finding_absent_from_the_next_run_resolves_as_fixed_at_source(store: Store) -> None:
    finding = make("in_2")
    await run(store, [finding], T0)
    await run(store, [], T0 + timedelta(days=1))

    async with begin(store.engine) as conn:
        steps = await history(conn, finding.fingerprint)
    assert await status_of(store, finding) is FindingStatus.RESOLVED
    assert steps[-1].note == "fixed at source"


async def test_an_acknowledged_finding_stays_acknowledged_across_runs(store: Store) -> None:
    finding = make("in_3")
    await run(store, [finding], T0)
    async with begin(store.engine) as conn:
        assert await acknowledge(conn, finding.fingerprint, "chasing", now=T0)
    await run(store, [finding], T0 + timedelta(days=1))

    assert await status_of(store, finding) is FindingStatus.ACKNOWLEDGED


async def test_a_resolved_finding_that_recurs_reopens_with_its_history(store: Store) -> None:
    finding = make("in_4")
    await run(store, [finding], T0)
    async with begin(store.engine) as conn:
        assert await resolve(conn, finding.fingerprint, "booked by hand", now=T0)
    await run(store, [finding], T0 + timedelta(days=2))

    async with begin(store.engine) as conn:
        steps = [(h.from_status, h.to_status) for h in await history(conn, finding.fingerprint)]
    assert await status_of(store, finding) is FindingStatus.OPEN
    assert steps == [(None, "open"), ("open", "resolved"), ("resolved", "open")]


async def test_acknowledging_a_resolved_finding_is_refused(store: Store) -> None:
    finding = make("in_5")
    await run(store, [finding], T0)
    async with begin(store.engine) as conn:
        await resolve(conn, finding.fingerprint, "done", now=T0)
        refused = not await acknowledge(conn, finding.fingerprint, "late", now=T0)

    assert refused


async def test_list_filters_by_kind_status_and_party(store: Store) -> None:
    other = replace(make("cus_x_inv", kind=FindingKind.EXCESS_DISCOUNT), party=None)
    await run(store, [make("in_6"), other], T0)

    async with begin(store.engine) as conn:
        by_kind = await list_findings(conn, kind="excess_discount")
        by_party = await list_findings(conn, party=CUSTOMER, status="open")
        paged = await list_findings(conn, limit=1, offset=1)

    assert [s.finding.key.source_id for s in by_kind] == ["cus_x_inv"]
    assert [s.finding.key.source_id for s in by_party] == ["in_6"]
    assert len(paged) == 1


async def test_one_run_opens_refreshes_reopens_and_resolves_together(store: Store) -> None:
    gone, kept, back, fresh = make("in_7"), make("in_8"), make("in_9"), make("in_10")
    await run(store, [gone, kept, back], T0)
    async with begin(store.engine) as conn:
        assert await acknowledge(conn, kept.fingerprint, "chasing", now=T0)
        assert await resolve(conn, back.fingerprint, "booked", now=T0)
        outcome = await apply_run(
            conn, [replace(kept, amount_at_stake=Money(900, "USD")), back, fresh], now=T0
        )
        stored = {s.finding.fingerprint: s.finding for s in await list_findings(conn)}
        gone_steps = await history(conn, gone.fingerprint)

    counts = (outcome.opened, outcome.reopened, outcome.refreshed, outcome.resolved)
    assert counts == (1, 1, 1, 1)
    assert dict(outcome.statuses) == {
        kept.fingerprint: FindingStatus.ACKNOWLEDGED,
        back.fingerprint: FindingStatus.OPEN,
        fresh.fingerprint: FindingStatus.OPEN,
    }
    assert {fp: f.status for fp, f in stored.items()} == {
        gone.fingerprint: FindingStatus.RESOLVED,
        **outcome.statuses,
    }
    assert stored[kept.fingerprint].amount_at_stake == Money(900, "USD")
    assert [(h.from_status, h.to_status, h.note) for h in gone_steps] == [
        (None, "open", gone.detail),
        ("open", "resolved", "fixed at source"),
    ]
