"""`/ops/findings` and `/ops/report` as `create_app` mounts them: filters and pages, acknowledge
and resolve (the status persists, the history is kept), 404/409/400/401 answers, and the report
before and after there is one to show."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from canonical.records import FindingStatus
from canonical.store import Store
from canonical.store import findings as findings_repo
from canonical.store.engine import begin, connect
from canonical.store.findings import StoredFinding
from reconciliation.model import ReconcileResult, RunSummary
from tests.gateway.conftest import OPS_TOKEN, Gateway, GatewayFactory
from tests.reconciliation.report_samples import SAMPLE_FINDINGS, sample_history, sample_result

AUTH = {"Authorization": f"Bearer {OPS_TOKEN}"}
OPEN_USD = "fp-missing_in_ledger-in_usd1"  # party cus_hostile
OPEN_JPY = "fp-amount_mismatch-in_jpy1"  # party cus_tokyo
ACKED_KWD = "fp-unrecorded_dispute-dp_kwd1"
RESOLVED_DEAL = "fp-unbilled_deal-0065g00000ABCDEAAA"
OPEN_PAYOUT = "fp-payout_mismatch-po_1"


@pytest.fixture
async def seeded(gateway: Gateway) -> Gateway:
    async with begin(gateway.store.engine) as conn:
        for finding in SAMPLE_FINDINGS:
            await findings_repo.record_finding(conn, finding, now=datetime.now(UTC))
    return gateway


async def stored(store: Store, fingerprint: str) -> StoredFinding:
    async with connect(store.engine) as conn:
        found = await findings_repo.get_finding(conn, fingerprint)
    assert found is not None
    return found


async def listed(gateway: Gateway, query: str = "") -> list[str]:
    response = await gateway.client.get(f"/ops/findings{query}", headers=AUTH)
    assert response.status_code == 200, response.text
    return [f["fingerprint"] for f in response.json()["findings"]]


async def test_findings_are_listed_in_the_issue_shape(seeded: Gateway) -> None:
    body = (await seeded.client.get("/ops/findings", headers=AUTH)).json()
    assert [f["fingerprint"] for f in body["findings"]] == [f.fingerprint for f in SAMPLE_FINDINGS]
    jpy = body["findings"][1]
    assert jpy["kind"] == "amount_mismatch"
    assert jpy["amount_at_stake"] == {"minor": 1500, "currency": "JPY"}
    assert jpy["records"] == [
        {"source": "stripe", "id": "in_jpy1"},
        {"source": "quickbooks", "id": "77"},
    ]
    assert body["next_offset"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?kind=amount_mismatch", [OPEN_JPY]),
        ("?status=open", [OPEN_USD, OPEN_JPY, OPEN_PAYOUT]),
        ("?status=resolved", [RESOLVED_DEAL]),
        ("?party=cus_tokyo", [OPEN_JPY]),
        ("?party=cus_tokyo&kind=missing_in_ledger", []),
        ("?kind=missing_in_ledger&status=open&party=cus_hostile", [OPEN_USD]),
    ],
)
async def test_findings_are_filtered_by_kind_status_and_party(
    seeded: Gateway, query: str, expected: list[str]
) -> None:
    assert await listed(seeded, query) == expected


@pytest.mark.parametrize("party", [None, "cus_tokyo"])
async def test_findings_are_paged_with_limit_and_offset(seeded: Gateway, party: str | None) -> None:
    where = f"&party={party}" if party else ""
    every = await listed(seeded, f"?limit=500{where}")
    pages: list[str] = []
    offset: int | None = 0
    while offset is not None:
        response = await seeded.client.get(
            f"/ops/findings?limit=2&offset={offset}{where}", headers=AUTH
        )
        body = response.json()
        assert len(body["findings"]) <= 2
        pages += [f["fingerprint"] for f in body["findings"]]
        offset = body["next_offset"]
    assert pages == every


@pytest.mark.parametrize(
    "query",
    ["?kind=bogus", "?status=closed", "?limit=0", "?limit=501", "?offset=-1", "?offset=x"],
)
async def test_bad_filters_get_a_400_error_body(seeded: Gateway, query: str) -> None:
    response = await seeded.client.get(f"/ops/findings{query}", headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_parameter"


async def test_acknowledge_persists_with_its_note_in_the_history(seeded: Gateway) -> None:
    response = await seeded.client.post(
        f"/ops/findings/{OPEN_JPY}/ack", json={"note": "asked finance"}, headers=AUTH
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "acknowledged"
    assert [(c["from_status"], c["to_status"], c["note"]) for c in body["history"]] == [
        (None, "open", SAMPLE_FINDINGS[1].detail),
        ("open", "acknowledged", "asked finance"),
    ]
    assert (await stored(seeded.store, OPEN_JPY)).finding.status is FindingStatus.ACKNOWLEDGED
    assert await listed(seeded, "?status=acknowledged") == [OPEN_JPY, ACKED_KWD]


async def test_resolve_persists_and_keeps_the_whole_history(seeded: Gateway) -> None:
    await seeded.client.post(f"/ops/findings/{OPEN_USD}/ack", headers=AUTH)
    response = await seeded.client.post(
        f"/ops/findings/{OPEN_USD}/resolve", json={"note": "booked by hand"}, headers=AUTH
    )
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    async with connect(seeded.store.engine) as conn:
        history = await findings_repo.history(conn, OPEN_USD)
    assert [(h.from_status, h.to_status) for h in history] == [
        (None, "open"),
        ("open", "acknowledged"),
        ("acknowledged", "resolved"),
    ]
    assert [h.note for h in history[1:]] == ["by ops", "booked by hand"]
    assert (await stored(seeded.store, OPEN_USD)).finding.status is FindingStatus.RESOLVED


async def test_repeating_a_move_changes_nothing(seeded: Gateway) -> None:
    again = await seeded.client.post(f"/ops/findings/{ACKED_KWD}/ack", headers=AUTH)
    assert again.status_code == 200
    assert [c["to_status"] for c in again.json()["history"]] == ["acknowledged"]


async def test_a_resolved_finding_cannot_be_acknowledged(seeded: Gateway) -> None:
    response = await seeded.client.post(f"/ops/findings/{RESOLVED_DEAL}/ack", headers=AUTH)
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"
    assert (await stored(seeded.store, RESOLVED_DEAL)).finding.status is FindingStatus.RESOLVED


@pytest.mark.parametrize("action", ["ack", "resolve"])
@pytest.mark.parametrize("fingerprint", ["0" * 64, "no.such", "x" * 129])
async def test_an_unknown_fingerprint_is_404(
    seeded: Gateway, action: str, fingerprint: str
) -> None:
    response = await seeded.client.post(f"/ops/findings/{fingerprint}/{action}", headers=AUTH)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "no finding with that fingerprint"}


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"note": 5}', b'{"note": "a\\u0000b"}', b'{"other": "x"}'],
)
async def test_a_bad_note_is_400_and_changes_nothing(seeded: Gateway, body: bytes) -> None:
    response = await seeded.client.post(
        f"/ops/findings/{OPEN_PAYOUT}/resolve", content=body, headers=AUTH
    )
    assert response.status_code == 400
    assert (await stored(seeded.store, OPEN_PAYOUT)).finding.status is FindingStatus.OPEN


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/ops/findings"),
        ("POST", f"/ops/findings/{OPEN_USD}/ack"),
        ("POST", f"/ops/findings/{OPEN_USD}/resolve"),
        ("GET", "/ops/report"),
    ],
)
async def test_without_the_token_it_is_401_and_nothing_changes(
    seeded: Gateway, method: str, path: str
) -> None:
    response = await seeded.client.request(method, path)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    wrong = await seeded.client.request(method, path, headers={"Authorization": "Bearer no"})
    assert wrong.status_code == 401
    assert (await stored(seeded.store, OPEN_USD)).finding.status is FindingStatus.OPEN


async def test_the_report_is_404_before_any_reconciliation(seeded: Gateway) -> None:
    response = await seeded.client.get("/ops/report", headers=AUTH)
    assert response.status_code == 404
    assert response.json() == {"error": "no_report", "detail": "no reconciliation has run yet"}


async def test_the_report_shows_the_stored_status_of_each_finding(
    make_gateway: GatewayFactory,
) -> None:
    result = sample_result()

    async def load_report() -> tuple[ReconcileResult, Sequence[RunSummary]]:
        return result, sample_history()

    gateway = await make_gateway(report_loader=load_report)
    async with begin(gateway.store.engine) as conn:
        for finding in SAMPLE_FINDINGS:
            await findings_repo.record_finding(conn, finding, now=datetime.now(UTC))
    await gateway.client.post(f"/ops/findings/{OPEN_JPY}/ack", headers=AUTH)

    response = await gateway.client.get("/ops/report", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = response.text
    row = f'data-fingerprint="{OPEN_JPY}" data-kind="amount_mismatch" data-status="acknowledged"'
    assert row in page
    assert '<meta name="revcycle-ops-base" content="/ops">' in page
