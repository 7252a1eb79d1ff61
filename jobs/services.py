"""What a job works with: the store, the connectors, the queue, the follow-up settings, a clock.

The hub builds one `Services` per worker process (`hub.wiring`) and puts it in the job context
under `SERVICES`; jobs never read settings or the environment themselves. Connector calls are
synchronous SDK calls, so jobs make them through `call` (a worker thread).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Protocol, TypeVar

import httpx
from arq import Retry

from canonical.errors import StoreUnavailable
from canonical.records import Record, Source
from canonical.store import Store
from connectors.errors import ConnectorError
from jobs.queue import JobQueue, QueueUnavailable
from reconciliation.thresholds import Thresholds

SERVICES: Final = "revcycle_services"
T = TypeVar("T")

FOLLOWUP_KINDS: Final = (
    "payment_failed_task",
    "dispute_task",
    "ledger_payment",
    "unbilled_deal",
    "notify",
)


class ReconcileHook(Protocol):
    """Re-checks the pairs a ledger change touches (issue 6 plugs the reconciler in here)."""

    async def __call__(self, services: Services, changed: Sequence[Record]) -> None: ...


@dataclass(frozen=True, slots=True)
class NotifyTarget:
    url: str
    slack: bool


@dataclass(frozen=True, slots=True)
class JobsConfig:
    max_tries: int = 8
    job_timeout_s: int = 300
    retry_base_s: float = 2.0
    retry_max_s: float = 600.0
    relay_interval_s: int = 30
    relay_min_age_s: float = 5.0
    sync_interval_minutes: int = 60
    followups: frozenset[str] = frozenset(FOLLOWUP_KINDS)
    ledger_writeback: bool = False
    deal_grace_days: int = 14
    reconcile_interval_minutes: int = 60  # 0: no scheduled reconciliation
    reconcile_debounce_s: int = 60  # how long a ledger change waits for others before a run
    thresholds: Thresholds = field(default_factory=Thresholds)
    notify: tuple[NotifyTarget, ...] = ()
    notify_secret: str | None = field(default=None, repr=False)

    def enabled(self, kind: str) -> bool:
        return kind in self.followups

    def backoff(self, job_try: int, retry_after: float | None = None) -> float:
        """Seconds before try `job_try + 1`: doubling from the base, capped, never below the
        vendor's own `Retry-After`."""
        delay: float = min(self.retry_base_s * 2.0 ** max(job_try - 1, 0), self.retry_max_s)
        return max(delay, retry_after or 0.0)


def parse_followups(text: str) -> frozenset[str]:
    """`all`, `none`, or a comma list of `FOLLOWUP_KINDS`."""
    words = {word.strip().lower() for word in text.split(",") if word.strip()}
    if words <= {"all"}:
        return frozenset(FOLLOWUP_KINDS) if words else frozenset()
    if words == {"none"}:
        return frozenset()
    unknown = words - set(FOLLOWUP_KINDS)
    if unknown:
        raise ValueError(
            f"unknown follow-up(s) {', '.join(sorted(unknown))}; known: {', '.join(FOLLOWUP_KINDS)}"
        )
    return frozenset(words)


def parse_notify_urls(text: str) -> tuple[NotifyTarget, ...]:
    """Comma list of URLs; `slack+https://…` (or a hooks.slack.com URL) gets Slack's payload."""
    targets: list[NotifyTarget] = []
    for raw in (part.strip() for part in text.split(",")):
        if not raw:
            continue
        forced = raw.startswith("slack+")
        url = raw.removeprefix("slack+")
        targets.append(NotifyTarget(url, forced or "hooks.slack.com" in url))
    return tuple(targets)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    store: Store
    queue: JobQueue
    config: JobsConfig
    connectors: Mapping[Source, Any] = field(default_factory=dict)
    http: httpx.AsyncClient | None = None
    clock: Callable[[], datetime] = _utc_now
    reconcile: ReconcileHook | None = None  # None until the reconciler exists (issue 6)
    on_close: Sequence[Callable[[], Awaitable[None]]] = ()

    def connector(self, source: Source) -> Any:
        found = self.connectors.get(source)
        if found is None:
            raise NotConfigured(f"the {source.value} connector is not configured")
        return found

    async def close(self) -> None:
        for closer in self.on_close:
            await closer()


class NotConfigured(Exception):
    """A job needs a connector the settings do not configure: a permanent failure."""


def services_of(ctx: Mapping[str, Any]) -> Services:
    services = ctx.get(SERVICES)
    if not isinstance(services, Services):
        raise RuntimeError("the job context has no services; the worker's on_startup builds them")
    return services


async def call(fn: Callable[..., T], *args: Any) -> T:
    """A synchronous connector call, in a worker thread so the event loop keeps serving."""
    return await asyncio.to_thread(fn, *args)


class TransientJobError(Exception):
    """A job-level condition that another try will clear (e.g. a follow-up held by another job)."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, ConnectorError):
        return exc.retryable
    return isinstance(
        exc, StoreUnavailable | QueueUnavailable | httpx.TransportError | TransientJobError
    )


def retry_after_of(exc: BaseException) -> float | None:
    return exc.retry_after if isinstance(exc, ConnectorError) else None


def retry_or_give_up(ctx: Mapping[str, Any], services: Services, exc: BaseException) -> None:
    """Raise `arq.Retry` with backoff unless this was the last try (then return: give up)."""
    job_try = int(ctx.get("job_try", 1))
    max_tries = int(ctx.get("max_tries", services.config.max_tries))
    if job_try < max_tries:
        raise Retry(defer=services.config.backoff(job_try, retry_after_of(exc))) from exc
