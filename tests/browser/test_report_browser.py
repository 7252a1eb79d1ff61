"""Headless Chromium (Debian's, driven by playwright; no browser download) on the ops report.

The report is served by the real gateway app (`create_app` with a report loader, which mounts the
report and findings routes itself) under uvicorn on a loopback port, over a real migrated store
holding the findings. The test filters by kind, acknowledges a finding through the
page's own button (typing the ops token into the page's prompt), reloads, and checks the status
persisted on the page and in the store. The screenshot is kept in test-artifacts/report.png.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.applications import Starlette

from canonical.records import FindingStatus
from canonical.store import Store, upgrade_async
from canonical.store import findings as findings_repo
from canonical.store.engine import begin, connect
from gateway.app import create_app
from reconciliation.model import ReconcileResult, RunSummary
from reconciliation.report import VendorLinks
from tests.gateway.conftest import OPS_TOKEN, RecordingQueue, default_config, serving
from tests.reconciliation.report_samples import SAMPLE_FINDINGS, sample_history, sample_result

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TARGET = "fp-amount_mismatch-in_jpy1"

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        pytest.fail("CI must run the browser test: install Debian's chromium", pytrace=False)
    pytest.skip("no /usr/bin/chromium (apt-get install -y chromium)", allow_module_level=True)

async_api = pytest.importorskip("playwright.async_api")
# The findings lifecycle (acknowledge/resolve) is the reconciler's part of issue 6.
LIFECYCLE_READY = all(hasattr(findings_repo, name) for name in ("acknowledge", "resolve"))


@pytest.fixture
async def report_store(sqlite_url: str) -> AsyncIterator[Store]:
    await upgrade_async(sqlite_url)
    store = Store.from_url(sqlite_url)
    async with begin(store.engine) as conn:
        for finding in SAMPLE_FINDINGS:
            await findings_repo.record_finding(conn, finding, now=datetime.now(UTC))
    yield store
    await store.close()


def gateway_with_report(store: Store) -> Starlette:
    result = sample_result()

    async def load_report() -> tuple[ReconcileResult, Sequence[RunSummary]]:
        return result, sample_history()

    return create_app(
        default_config(),
        store=Store(store.engine),
        queue=RecordingQueue(),
        report_loader=load_report,
        links=VendorLinks(stripe_test_mode=True),
    )


@pytest.mark.skipif(
    not LIFECYCLE_READY, reason="canonical.store.findings has no acknowledge/resolve yet"
)
async def test_filter_acknowledge_reload_persists(report_store: Store, tmp_path: Path) -> None:
    app = gateway_with_report(report_store)
    async with serving(app) as base, async_api.async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            args=LAUNCH_FLAGS,
            headless=True,
            viewport={"width": 1400, "height": 900},
            extra_http_headers={"Authorization": f"Bearer {OPS_TOKEN}"},
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            await page.goto(f"{base}/ops/report")
            rows = page.locator("#findings tbody tr")
            assert await rows.count() == len(SAMPLE_FINDINGS)

            await page.select_option("#filter-kind", "amount_mismatch")
            visible = page.locator("#findings tbody tr:not([hidden])")
            assert await visible.count() == 1
            row = page.locator(f'tr[data-fingerprint="{TARGET}"]')
            assert await row.get_attribute("data-status") == "open"

            await row.locator('button[data-action="ack"]').click()
            await page.fill("#token-input", OPS_TOKEN)  # the page's token prompt
            await page.click("#token-ok")
            await page.wait_for_selector(
                f'tr[data-fingerprint="{TARGET}"][data-status="acknowledged"]'
            )

            await page.reload()
            row = page.locator(f'tr[data-fingerprint="{TARGET}"]')
            assert await row.get_attribute("data-status") == "acknowledged"
            assert await row.locator(".status").inner_text() == "acknowledged"
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            await context.close()

    async with connect(report_store.engine) as conn:
        stored = await findings_repo.get_finding(conn, TARGET)
    assert stored is not None
    assert stored.finding.status is FindingStatus.ACKNOWLEDGED
