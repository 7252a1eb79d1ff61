from datetime import date
from pathlib import Path

from reconciliation.reconcile import reconcile
from reconciliation.report import to_csv, to_json
from sandbox.dataset import generate
from tests.reconciliation.dataset_helpers import snapshot_of

AS_OF = date(2026, 4, 1)


def test_findings_name_their_customers_as_their_own_system_does(tmp_path: Path) -> None:
    generate(tmp_path, seed=4, customers=60, as_of=AS_OF)
    result = reconcile(snapshot_of(tmp_path), as_of=AS_OF)
    with_party = [f for f in result.findings if f.party is not None]
    assert with_party
    named = [f for f in with_party if f.party in result.party_names]
    assert len(named) == len(with_party)
    first = named[0]
    assert first.party is not None
    name = result.party_names[first.party]
    assert not name.startswith(("cus_", "00"))
    shown = next(f for f in to_json(result)["findings"] if f["fingerprint"] == first.fingerprint)
    assert shown["party_name"] == name
    assert name in to_csv(result)
