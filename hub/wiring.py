"""Building the store, the queue, the connectors and the jobs' services from settings.

Connectors never read settings: each gets its `<Vendor>Config` here, and only the vendors whose
credentials are set are built.

QuickBooks rotates refresh tokens, and they must be stored atomically (`Store.rotate_token`, an
async compare-and-swap), while the connector's `TokenStore` is synchronous and is called from the
worker thread the SDK runs in. `StoreTokenBridge` runs the store's coroutine on the event loop
that owns the store's connection pool (`asyncio.run_coroutine_threadsafe`) and waits for it in
that thread. It must therefore never be called on the loop's own thread (it would wait on
itself); it refuses to, with a clear error. Every connector call goes through `asyncio.to_thread`
(the sync engine, `jobs.services.call`), so this holds; a caller of `connector.check()` must do
the same.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import httpx
from arq import create_pool
from arq.connections import RedisSettings

from canonical.records import Source
from canonical.store import Store
from canonical.store.migrate import ensure_current
from connectors.quickbooks import QuickBooksConfig, QuickBooksConnector, TokenState
from connectors.salesforce import SalesforceConfig, SalesforceConnector
from connectors.stripe import StripeConfig, StripeConnector
from connectors.stripe.config import DEFAULT_API_BASE as STRIPE_DEFAULT_API_BASE
from hub.settings import Settings
from jobs.queue import ArqQueue, InProcessQueue, JobFunction, JobQueue
from jobs.reconcile import thresholds_from
from jobs.reconcile_jobs import reconcile_soon
from jobs.services import (
    SERVICES,
    JobsConfig,
    Services,
    parse_followups,
    parse_notify_urls,
)

T = TypeVar("T")
QUICKBOOKS_PROVIDER = "quickbooks"


def build_store(settings: Settings) -> Store:
    return Store.from_url(settings.REVCYCLE_DATABASE_URL)


async def open_store(settings: Settings) -> Store:
    """The store, once its schema is this revcycle's: a command run before `revcycle db upgrade`
    (or after an upgrade of revcycle without one) stops with one line saying so."""
    await ensure_current(settings.REVCYCLE_DATABASE_URL)
    return build_store(settings)


def redis_settings(settings: Settings) -> RedisSettings:
    if settings.REVCYCLE_REDIS_URL is None:
        raise ValueError("REVCYCLE_REDIS_URL is not set")
    return RedisSettings.from_dsn(settings.REVCYCLE_REDIS_URL)


async def build_queue(
    settings: Settings,
    functions: Mapping[str, JobFunction],
    *,
    ctx: dict[str, Any] | None = None,
) -> JobQueue:
    """arq on Redis when `REVCYCLE_REDIS_URL` is set, else the same functions in-process (with
    `ctx` as their job context)."""
    if settings.REVCYCLE_REDIS_URL is None:
        return InProcessQueue(functions, ctx=ctx, max_tries=settings.REVCYCLE_JOB_MAX_TRIES)
    return ArqQueue(await create_pool(redis_settings(settings)))


def jobs_config(settings: Settings) -> JobsConfig:
    secret = settings.REVCYCLE_NOTIFY_SECRET
    return JobsConfig(
        max_tries=settings.REVCYCLE_JOB_MAX_TRIES,
        job_timeout_s=settings.REVCYCLE_JOB_TIMEOUT_SECONDS,
        retry_base_s=settings.REVCYCLE_RETRY_BASE_SECONDS,
        retry_max_s=settings.REVCYCLE_RETRY_MAX_SECONDS,
        relay_interval_s=settings.REVCYCLE_RELAY_INTERVAL_SECONDS,
        relay_min_age_s=settings.REVCYCLE_RELAY_MIN_AGE_SECONDS,
        sync_interval_minutes=settings.REVCYCLE_SYNC_INTERVAL_MINUTES,
        followups=parse_followups(settings.REVCYCLE_FOLLOWUPS),
        ledger_writeback=settings.REVCYCLE_LEDGER_WRITEBACK,
        deal_grace_days=settings.REVCYCLE_DEAL_GRACE_DAYS,
        reconcile_interval_minutes=settings.REVCYCLE_RECONCILE_INTERVAL_MINUTES,
        reconcile_debounce_s=settings.REVCYCLE_RECONCILE_DEBOUNCE_SECONDS,
        thresholds=thresholds_from(settings),
        notify=parse_notify_urls(settings.REVCYCLE_NOTIFY_URLS),
        notify_secret=secret.get_secret_value() if secret else None,
    )


# --- connectors ---------------------------------------------------------------------------------


def _secret(value: Any) -> str | None:
    return None if value is None else str(value.get_secret_value())


def stripe_config(settings: Settings) -> StripeConfig | None:
    key = _secret(settings.STRIPE_API_KEY)
    if key is None:
        return None
    return StripeConfig(api_key=key, api_base=settings.STRIPE_API_BASE or STRIPE_DEFAULT_API_BASE)


def salesforce_config(settings: Settings) -> SalesforceConfig | None:
    config = SalesforceConfig(
        instance_url=settings.SALESFORCE_INSTANCE_URL,
        access_token=_secret(settings.SALESFORCE_ACCESS_TOKEN),
        refresh_token=_secret(settings.SALESFORCE_REFRESH_TOKEN),
        client_id=settings.SALESFORCE_CLIENT_ID,
        client_secret=_secret(settings.SALESFORCE_CLIENT_SECRET),
        username=settings.SALESFORCE_USERNAME,
        password=_secret(settings.SALESFORCE_PASSWORD),
        security_token=_secret(settings.SALESFORCE_SECURITY_TOKEN),
        organization_id=settings.SALESFORCE_ORG_ID,
        webhook_token=_secret(settings.SALESFORCE_WEBHOOK_TOKEN),
    )
    has_session = config.access_token is not None and config.instance_url is not None
    return config if has_session or config.grant is not None else None


def quickbooks_config(settings: Settings) -> QuickBooksConfig | None:
    secret = _secret(settings.QUICKBOOKS_CLIENT_SECRET)
    refresh = _secret(settings.QUICKBOOKS_REFRESH_TOKEN)
    client_id, realm = settings.QUICKBOOKS_CLIENT_ID, settings.QUICKBOOKS_REALM_ID
    if client_id is None or secret is None or refresh is None or realm is None:
        return None
    base = settings.QUICKBOOKS_API_BASE
    if base is not None and not base.rstrip("/").endswith("/v3"):
        base = base.rstrip("/") + "/v3"  # the setting may be the origin (the sandbox writes that)
    return QuickBooksConfig(
        client_id=client_id,
        client_secret=secret,
        realm_id=realm,
        refresh_token=refresh,
        environment=settings.QUICKBOOKS_ENVIRONMENT,
        api_base=base,
        webhook_verifier_token=_secret(settings.QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN),
    )


class StoreTokenBridge:
    """The QuickBooks connector's synchronous `TokenStore` over the async `Store`."""

    def __init__(self, store: Store, loop: asyncio.AbstractEventLoop, timeout_s: float = 30.0):
        self._store = store
        self._loop = loop
        self._timeout_s = timeout_s
        # Built on the loop's own thread (the usual case): remember it, to refuse calls from it.
        running = _current_loop()
        self._loop_thread = threading.get_ident() if running is loop else None

    def _run(self, make: Callable[[], Awaitable[T]]) -> T:
        if threading.get_ident() == self._loop_thread:
            raise RuntimeError(
                "the QuickBooks token store was called on the event loop's thread; "
                "run connector calls with asyncio.to_thread"
            )

        async def run() -> T:
            return await make()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(self._timeout_s)

    def load(self, realm: str) -> TokenState | None:
        stored = self._run(lambda: self._store.get_token(QUICKBOOKS_PROVIDER, realm))
        if stored is None or stored.refresh_token is None:
            return None
        return TokenState(
            stored.access_token, stored.refresh_token, stored.version, stored.expires_at
        )

    def swap(self, realm: str, expected_version: int, new_state: TokenState) -> bool:
        return self._run(
            lambda: self._store.rotate_token(
                QUICKBOOKS_PROVIDER,
                realm,
                expected_version or None,  # 0 means "nothing stored yet"
                access_token=new_state.access_token,
                refresh_token=new_state.refresh_token,
                expires_at=new_state.expires_at,
            )
        )


def build_connectors(
    settings: Settings, store: Store, *, loop: asyncio.AbstractEventLoop | None = None
) -> dict[Source, Any]:
    """The connectors whose credentials are set. QuickBooks needs the event loop that owns
    `store` (default: the running one) for its token bridge."""
    connectors: dict[Source, Any] = {}
    stripe = stripe_config(settings)
    if stripe is not None:
        connectors[Source.STRIPE] = StripeConnector(stripe)
    salesforce = salesforce_config(settings)
    if salesforce is not None:
        connectors[Source.SALESFORCE] = SalesforceConnector(salesforce)
    quickbooks = quickbooks_config(settings)
    if quickbooks is not None:
        owner = loop or _running_loop()
        bridge = StoreTokenBridge(store, owner)
        connectors[Source.QUICKBOOKS] = QuickBooksConnector(quickbooks, bridge)
    return connectors


def _current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _running_loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "build_connectors needs the event loop the store runs on (call it from async code "
            "or pass loop=) for the QuickBooks token store"
        ) from None


def close_connectors(connectors: Mapping[Source, Any]) -> None:
    for connector in connectors.values():
        close = getattr(connector, "close", None)
        if close is not None:
            close()


# --- the jobs' services ---------------------------------------------------------------------------


async def build_services(
    settings: Settings, queue: JobQueue, *, store: Store | None = None
) -> Services:
    """Everything a job needs; `close()` releases what this built."""
    own_store = store is None
    opened = store or build_store(settings)
    connectors = build_connectors(settings, opened)
    http = httpx.AsyncClient(timeout=10.0)

    async def close() -> None:
        await http.aclose()
        await asyncio.to_thread(close_connectors, connectors)
        if own_store:
            await opened.close()

    return Services(
        store=opened,
        queue=queue,
        config=jobs_config(settings),
        connectors=connectors,
        http=http,
        reconcile=reconcile_soon if settings.REVCYCLE_RECONCILE_ON_LEDGER_CHANGE else None,
        on_close=(close,),
    )


async def in_process_services(
    settings: Settings, functions: Mapping[str, JobFunction]
) -> tuple[InProcessQueue, Services]:
    """The embedded mode: an in-process queue whose jobs get these services."""
    ctx: dict[str, Any] = {}
    queue = InProcessQueue(functions, ctx=ctx, max_tries=settings.REVCYCLE_JOB_MAX_TRIES)
    services = await build_services(settings, queue)
    ctx[SERVICES] = services
    return queue, services
