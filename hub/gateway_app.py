"""The gateway built from the environment: what `revcycle gateway` has uvicorn serve.

uvicorn calls `create_app_from_env` (factory=True) once in each worker process, so every process
has its own store pool, Redis connection and group-commit writer.

Without `REVCYCLE_REDIS_URL` the jobs run in this process (`jobs.queue.InProcessQueue` over
`jobs.worker.FUNCTIONS`): their services are built at start-up, and the relay runs once then, so
events acknowledged before a restart but never processed are picked up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import orjson
from arq.connections import ArqRedis
from starlette.applications import Starlette

from canonical.store.store import Store
from connectors.generic import HmacScheme
from gateway.app import create_app
from gateway.config import GatewayConfig, GenericSource, StandardSource
from gateway.ops.findings import LoadedReport
from hub.collector import serving_collector
from hub.logging import configure_logging
from hub.settings import Settings, SettingsError, get_settings
from hub.wiring import build_services, build_store
from jobs.queue import ArqQueue, InProcessQueue, JobQueue
from jobs.reconcile import load_snapshot, run_history, thresholds_from
from jobs.relay import relay
from jobs.services import SERVICES
from jobs.worker import FUNCTIONS
from reconciliation.model import ReconcileResult
from reconciliation.reconcile import reconcile
from reconciliation.report import VendorLinks
from reconciliation.thresholds import Thresholds

SOURCES_VARIABLE = "REVCYCLE_WEBHOOK_SOURCES"
RESERVED_NAMES = frozenset({"stripe", "quickbooks", "salesforce"})


def _secret(value: Any) -> str | None:
    return None if value is None else str(value.get_secret_value()) or None


def generic_sources(raw: str | None) -> dict[str, GenericSource]:
    """Parse `REVCYCLE_WEBHOOK_SOURCES`; errors name the variable and the source, never a secret."""
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise SettingsError(f"{SOURCES_VARIABLE}: not JSON") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{SOURCES_VARIABLE}: expected an object of sources by name")
    return {str(name): _source(str(name), spec) for name, spec in data.items()}


def _source(name: str, spec: Any) -> GenericSource:
    where = f"{SOURCES_VARIABLE}[{name!r}]"
    if name in RESERVED_NAMES or not name.isidentifier():
        raise SettingsError(f"{where}: the name must be a new identifier-like word")
    if not isinstance(spec, dict) or not isinstance(spec.get("secret"), str):
        raise SettingsError(f"{where}: expected an object with a string secret")
    try:
        if spec.get("scheme", "standard") == "standard":
            return StandardSource(spec["secret"])
        if spec.get("scheme") == "hmac":
            return HmacScheme(
                secret=spec["secret"],
                header=str(spec.get("header", "")),
                algorithm=str(spec.get("algorithm", "sha256")),
                encoding="base64" if spec.get("encoding") == "base64" else "hex",
                prefix=str(spec.get("prefix", "")),
                id_header=spec.get("id_header"),
            )
    except ValueError as exc:
        raise SettingsError(f"{where}: {exc}") from None
    raise SettingsError(f"{where}: scheme must be 'standard' or 'hmac'")


def gateway_config(settings: Settings) -> GatewayConfig:
    return GatewayConfig(
        stripe_secret=_secret(settings.STRIPE_WEBHOOK_SECRET),
        quickbooks_verifier_token=_secret(settings.QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN),
        salesforce_token=_secret(settings.SALESFORCE_WEBHOOK_TOKEN),
        salesforce_org_id=settings.SALESFORCE_ORG_ID,
        generic_sources=generic_sources(_secret(settings.REVCYCLE_WEBHOOK_SOURCES)),
        ops_token=_secret(settings.REVCYCLE_OPS_TOKEN),
        max_body_bytes=settings.REVCYCLE_WEBHOOK_MAX_BYTES,
        signature_tolerance_s=settings.REVCYCLE_WEBHOOK_TOLERANCE_SECONDS,
    )


def vendor_links(settings: Settings) -> VendorLinks:
    """Where the report's records open in the vendors' own UIs, for the accounts configured."""
    stripe_key = _secret(settings.STRIPE_API_KEY) or ""
    return VendorLinks(
        stripe_test_mode=stripe_key.startswith(("sk_test_", "rk_test_")),
        quickbooks_sandbox=settings.QUICKBOOKS_ENVIRONMENT == "sandbox",
        salesforce_instance=settings.SALESFORCE_INSTANCE_URL or None,
    )


class LatestReconciliation:
    """The report loader for `/ops/report`: the latest recorded run, rebuilt over the store.

    Runs store their summary, not their findings and metrics, so the result is recomputed by the
    pure reconciler for the latest run's as-of date over the store as it is now. It is kept until
    a newer run is recorded; the findings' statuses come from the store on every request anyway.
    """

    def __init__(self, store: Store, thresholds: Thresholds) -> None:
        self._store = store
        self._thresholds = thresholds
        self._cached: tuple[int, ReconcileResult] | None = None
        self._rebuilding = asyncio.Lock()  # one rebuild at a time, however many pages load

    async def __call__(self) -> LoadedReport | None:
        history = await run_history(self._store)
        if not history:
            return None
        latest = history[-1]
        async with self._rebuilding:
            if self._cached is None or self._cached[0] != latest.run_id:
                snapshot, _ = await load_snapshot(self._store)
                result = await asyncio.to_thread(
                    reconcile, snapshot, as_of=latest.as_of, thresholds=self._thresholds
                )
                self._cached = (latest.run_id, result)
            result = self._cached[1]
        return result, history


def create_app_from_env() -> Starlette:
    """The app of a `revcycle gateway` process, which has its collector tuned for serving."""
    settings = get_settings()
    configure_logging(settings.REVCYCLE_LOG_FORMAT, settings.REVCYCLE_LOG_LEVEL)
    return create_app_from_settings(settings, process=[serving_collector])


Resource = Callable[[], AbstractAsyncContextManager[object]]


def create_app_from_settings(settings: Settings, *, process: Sequence[Resource] = ()) -> Starlette:
    """`process`: what only a process of the gateway's own enters, after everything else."""
    store = build_store(settings)
    config = gateway_config(settings)
    loader = LatestReconciliation(store, thresholds_from(settings))
    links = vendor_links(settings)
    if settings.REVCYCLE_REDIS_URL is not None:
        # Connections open lazily, on the serving event loop.
        queue: JobQueue = ArqQueue(ArqRedis.from_url(settings.REVCYCLE_REDIS_URL))
        return create_app(
            config,
            store=store,
            queue=queue,
            resources=process,
            report_loader=loader,
            links=links,
        )
    ctx: dict[str, Any] = {}
    in_process = InProcessQueue(FUNCTIONS, ctx=ctx, max_tries=settings.REVCYCLE_JOB_MAX_TRIES)

    @asynccontextmanager
    async def job_services() -> AsyncIterator[None]:
        services = await build_services(settings, in_process, store=store)
        ctx[SERVICES] = services
        try:
            await relay(services)
            yield
        finally:
            await services.close()

    return create_app(
        config,
        store=store,
        queue=in_process,
        resources=[job_services, *process],
        report_loader=loader,
        links=links,
    )


def describe(settings: Settings) -> Mapping[str, object]:
    """What the gateway will accept, without a secret: for the start-up log line."""
    config = gateway_config(settings)
    return {
        "stripe": config.stripe_secret is not None,
        "quickbooks": config.quickbooks_verifier_token is not None,
        "salesforce": config.salesforce_token is not None,
        "generic": sorted(config.generic_sources),
        "ops": config.ops_token is not None,
        "queue": "redis" if settings.REVCYCLE_REDIS_URL else "in-process",
    }
