"""A `revcycle gateway` process tunes its garbage collector while serving, and only then."""

from __future__ import annotations

import gc
from pathlib import Path

from canonical.store import upgrade_async
from hub.collector import THRESHOLDS, serving_collector
from hub.gateway_app import create_app_from_settings
from hub.settings import Settings


async def test_serving_freezes_start_up_objects_and_restores_the_defaults_after() -> None:
    before = gc.get_threshold()
    async with serving_collector():
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


async def test_a_gateway_process_serves_with_the_tuned_collector_and_an_embedded_app_without(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    await upgrade_async(url)
    settings = Settings(REVCYCLE_DATABASE_URL=url, REVCYCLE_FOLLOWUPS="none")
    before = gc.get_threshold()

    served = create_app_from_settings(settings, process=[serving_collector])
    async with served.router.lifespan_context(served):
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before

    embedded = create_app_from_settings(settings)
    async with embedded.router.lifespan_context(embedded):
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0
