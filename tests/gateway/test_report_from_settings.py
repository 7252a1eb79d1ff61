"""`/ops/report` as `revcycle gateway` serves it: the latest recorded reconciliation, rebuilt over
the store (SQLite and PostgreSQL) and kept until a newer run, with links into the vendors' UIs
for the accounts configured."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from canonical.store import Store
from hub.gateway_app import LatestReconciliation, create_app_from_settings, vendor_links
from hub.settings import Settings
from jobs.reconcile import run_reconcile
from reconciliation.report import VendorLinks
from reconciliation.thresholds import Thresholds
from sandbox.dataset import generate
from tests.gateway.conftest import OPS_TOKEN
from tests.reconciliation.dataset_helpers import dataset_records

AS_OF = date(2026, 3, 1)
NOW = datetime(2026, 3, 1, 6, tzinfo=UTC)
AUTH = {"Authorization": f"Bearer {OPS_TOKEN}"}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seed3")
    generate(out, seed=3, customers=20, as_of=AS_OF)
    return out


@pytest.fixture
async def synced(store: Store, dataset: Path) -> Store:
    await store.upsert(list(dataset_records(dataset)))
    return store


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, VendorLinks()),
        ({"STRIPE_API_KEY": "sk_test_123"}, VendorLinks(stripe_test_mode=True)),
        ({"STRIPE_API_KEY": "rk_test_123"}, VendorLinks(stripe_test_mode=True)),
        ({"STRIPE_API_KEY": "sk_live_123"}, VendorLinks()),
        ({"QUICKBOOKS_ENVIRONMENT": "sandbox"}, VendorLinks(quickbooks_sandbox=True)),
        (
            {"SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com"},
            VendorLinks(salesforce_instance="https://acme.my.salesforce.com"),
        ),
    ],
)
def test_vendor_links_follow_the_configured_accounts(
    environment: dict[str, str], expected: VendorLinks
) -> None:
    assert vendor_links(Settings.model_validate(environment)) == expected


async def test_the_gateway_serves_the_latest_reconciliation(synced: Store, store_url: str) -> None:
    settings = Settings(
        REVCYCLE_DATABASE_URL=store_url,
        REVCYCLE_OPS_TOKEN=OPS_TOKEN,
        REVCYCLE_FOLLOWUPS="none",
        STRIPE_API_KEY="sk_test_demo",
    )
    app = create_app_from_settings(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client,
    ):
        before = await client.get("/ops/report", headers=AUTH)
        outcome = await run_reconcile(synced, as_of=AS_OF, now=NOW)
        after = await client.get("/ops/report", headers=AUTH)

    assert before.status_code == 404
    assert before.json()["detail"] == "no reconciliation has run yet"
    assert after.status_code == 200
    assert after.headers["content-type"].startswith("text/html")
    assert outcome.result.findings  # the dataset plants some
    for finding in outcome.result.findings:
        assert f'data-fingerprint="{finding.fingerprint}"' in after.text
    assert "https://dashboard.stripe.com/test/" in after.text


async def test_the_rebuilt_report_is_kept_until_a_newer_run(synced: Store) -> None:
    loader = LatestReconciliation(synced, Thresholds())
    assert await loader() is None

    first = await run_reconcile(synced, as_of=AS_OF, now=NOW)
    shown = await loader()
    again = await loader()
    assert shown is not None
    assert again is not None
    assert again[0] is shown[0]  # not rebuilt
    assert shown[0].as_of == AS_OF
    assert shown[0].findings == first.result.findings
    assert [run.run_id for run in shown[1]] == [first.run_id]

    later = date(2026, 6, 1)
    second = await run_reconcile(synced, as_of=later, now=NOW)
    newer = await loader()
    assert newer is not None
    assert newer[0] is not shown[0]
    assert newer[0].as_of == later
    assert [run.run_id for run in newer[1]] == [first.run_id, second.run_id]
