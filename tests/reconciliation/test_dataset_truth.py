"""The reconciler over generated sandbox datasets reports exactly `truth.json`."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciliation.reconcile import find
from reconciliation.snapshot import Snapshot
from sandbox.dataset import FINDING_KINDS, PlantRates, generate
from tests.reconciliation.dataset_helpers import diff, found_rows, snapshot_of, truth_rows

AS_OF = date(2026, 3, 1)


@pytest.fixture(scope="module", params=[(1, 150), (2, 170), (3, 200), (4, 160), (7, 1000)])
def dataset(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    seed, customers = request.param
    out = tmp_path_factory.mktemp(f"seed{seed}")
    generate(out, seed=seed, customers=customers, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def snapshot(dataset: Path) -> Snapshot:
    return snapshot_of(dataset)


def test_findings_equal_the_planted_truth_to_the_minor_unit(
    dataset: Path, snapshot: Snapshot
) -> None:
    found = found_rows(snapshot, AS_OF)
    truth = truth_rows(dataset)

    assert found == truth, diff(found, truth)


def test_no_trap_produces_a_finding(dataset: Path, snapshot: Snapshot) -> None:
    traps = json.loads((dataset / "meta.json").read_text())["traps"]
    trapped = {ident for ids in traps.values() for ident in ids}
    result = find(snapshot, as_of=AS_OF)

    flagged = {f.key.source_id for f in result.findings} & trapped

    assert trapped, "the dataset should set traps"
    assert flagged == set()


def test_every_pair_records_how_it_was_matched(snapshot: Snapshot) -> None:
    result = find(snapshot, as_of=AS_OF)

    for rate in result.tally.rates():
        assert sum(rate.by_method.values()) == rate.matched <= rate.total


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.sets(st.sampled_from(FINDING_KINDS), min_size=1),
    seed=st.integers(0, 10**6),
    customers=st.integers(10, 45),  # below 50 the rates alone decide: no forced kinds
    as_of=st.dates(date(2024, 1, 1), date(2030, 12, 31)),
)
def test_random_subsets_of_planted_kinds_are_found_exactly(
    kinds: set[str], seed: int, customers: int, as_of: date
) -> None:
    rates = PlantRates(**{kind: (0.3 if kind in kinds else 0.0) for kind in FINDING_KINDS})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, seed=seed, customers=customers, as_of=as_of, rates=rates)
        truth = truth_rows(root)
        found = found_rows(snapshot_of(root), as_of)

    assert {row[0] for row in truth} <= kinds
    assert found == truth, diff(found, truth)
