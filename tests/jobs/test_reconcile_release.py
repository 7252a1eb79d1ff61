"""The reconcile service frees its snapshot in slices, between turns of the event loop."""

from __future__ import annotations

import asyncio
from array import array

import pytest

from canonical.records import Source
from jobs import reconcile as service
from reconciliation.snapshot import Snapshot, StorePairs
from reconciliation.snapshot_types import PartyRow, RefPosting, StripeMoney


def _snapshot(rows: int) -> Snapshot:
    money = StripeMoney("re_1", "succeeded", 100, "usd", None, "ch_1", None)
    pairs = StorePairs(
        link_invoices=[f"in_{n}" for n in range(rows)],
        link_charges=array("q", range(rows)),
        charge_postings={f"ch_{n}": RefPosting(f"p{n}", "usd", n, None, None) for n in range(rows)},
    )
    snapshot = Snapshot(refunds=[money] * rows, paired=pairs)
    snapshot.parties.extend(
        PartyRow(Source.STRIPE, f"cus_{n}", None, None, None) for n in range(rows)
    )
    return snapshot


async def test_releasing_a_snapshot_empties_every_container_and_lets_other_tasks_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service, "RELEASE_STEP", 10)
    snapshot = _snapshot(95)
    turns = 0

    async def other_work() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_work())
    await asyncio.sleep(0)
    await service._release(snapshot)
    other.cancel()

    assert snapshot.refunds == []
    assert snapshot.parties == []
    assert snapshot.paired is not None
    assert snapshot.paired.link_invoices == []
    assert len(snapshot.paired.link_charges) == 0
    assert snapshot.paired.charge_postings == {}
    # 95 rows in steps of 10 are 10 slices for each of the five containers holding rows.
    assert turns >= 50
