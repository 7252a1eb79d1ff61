"""The gateway built from settings: generic sources parsed from JSON, and the embedded mode
(SQLite, jobs in-process) accepting a webhook end to end."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import orjson
import pytest

from canonical.store import Store, upgrade_async
from canonical.store import inbox as repo
from canonical.store.engine import connect
from connectors.generic import HmacScheme
from gateway.config import StandardSource
from hub.gateway_app import create_app_from_settings, describe, gateway_config, generic_sources
from hub.settings import Settings, SettingsError
from tests.gateway.conftest import STANDARD_SECRET, STRIPE_SECRET, stripe_event, stripe_signature


def test_generic_sources_parse_both_schemes() -> None:
    raw = orjson.dumps(
        {
            "acme": {"scheme": "standard", "secret": STANDARD_SECRET},
            "github": {
                "scheme": "hmac",
                "secret": "s",
                "header": "X-Hub-Signature-256",
                "prefix": "sha256=",
                "id_header": "X-GitHub-Delivery",
            },
        }
    ).decode()
    sources = generic_sources(raw)
    assert sources["acme"] == StandardSource(STANDARD_SECRET)
    assert sources["github"] == HmacScheme(
        "s", "X-Hub-Signature-256", prefix="sha256=", id_header="X-GitHub-Delivery"
    )


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        "[]",
        '{"stripe": {"secret": "whsec_AAAA"}}',
        '{"acme": {"scheme": "standard", "secret": "whsec_%%%"}}',
        '{"acme": {"scheme": "hmac", "secret": "x-very-secret", "header": "X", '
        '"algorithm": "md5"}}',
        '{"acme": {"scheme": "rot13", "secret": "x-very-secret"}}',
    ],
)
def test_bad_generic_sources_fail_naming_the_variable_not_the_secret(raw: str) -> None:
    with pytest.raises(SettingsError) as caught:
        generic_sources(raw)
    assert "REVCYCLE_WEBHOOK_SOURCES" in str(caught.value)
    assert "x-very-secret" not in str(caught.value)


def test_the_config_takes_every_secret_from_settings() -> None:
    settings = Settings(
        STRIPE_WEBHOOK_SECRET=STRIPE_SECRET,
        REVCYCLE_OPS_TOKEN="ops",
        REVCYCLE_WEBHOOK_MAX_BYTES=1000,
    )
    config = gateway_config(settings)
    assert config.stripe_secret == STRIPE_SECRET
    assert config.ops_token == "ops"
    assert config.quickbooks_verifier_token is None
    assert config.max_body_bytes == 1000
    assert describe(settings)["queue"] == "in-process"
    assert STRIPE_SECRET not in str(describe(settings))


async def test_the_embedded_gateway_stores_and_processes_in_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    await upgrade_async(url)
    settings = Settings(
        REVCYCLE_DATABASE_URL=url,
        STRIPE_WEBHOOK_SECRET=STRIPE_SECRET,
        REVCYCLE_FOLLOWUPS="none",
    )
    app = create_app_from_settings(settings)
    body = stripe_event("evt_embedded", "customer.created")
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client,
    ):
        response = await client.post(
            "/webhooks/stripe", content=body, headers={"stripe-signature": stripe_signature(body)}
        )
        assert response.status_code == 200
        event = await finished_event(url)
    assert event.dedupe_key == "evt_embedded"
    assert event.attempts == 1  # the in-process job ran it, once


async def finished_event(url: str) -> repo.InboxEvent:
    """The only event, once a job has finished it (whatever the outcome)."""
    store = Store.from_url(url)
    try:
        for _ in range(200):
            async with connect(store.engine) as conn:
                [event] = await repo.list_events(conn)
            if event.status not in (repo.RECEIVED, repo.PROCESSING):
                return event
            await asyncio.sleep(0.025)
    finally:
        await store.close()
    raise AssertionError(f"the event stayed {event.status}")
