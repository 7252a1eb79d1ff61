"""The demo flow, and its embedded runtime: SQLite, in-process jobs, the gateway on this loop.

1. generate a seeded dataset and migrate a fresh store; 2. start the emulators (and a receiver
for notifications); 3. full sync through the real SDKs, and a first reconciliation, scored
against the ground truth as planted; 4. start the gateway and fire the webhook burst; 5. drain
the jobs; 6. check the follow-ups through the vendors' APIs; 7. re-sync, reconcile, write the
reports and score again, leaving out the differences the webhooks explain.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from canonical.records import Source
from canonical.store.migrate import upgrade_async
from gateway.app import create_app
from hub.demo import steps
from hub.demo.servers import LoopServer, NotificationReceiver
from hub.demo.summary import DemoSummary, Followups
from hub.demo.truth import score, score_after_changes, truth_rows
from hub.gateway_app import gateway_config
from hub.settings import Settings
from hub.wiring import build_connectors, build_services, build_store, close_connectors
from jobs.queue import InProcessQueue
from jobs.reconcile import ReconcileOutcome, run_history
from jobs.services import SERVICES
from jobs.worker import FUNCTIONS
from reconciliation.model import ReconcileResult, RunSummary
from reconciliation.report import VendorLinks
from sandbox.dataset import generate
from sandbox.serve import Sandbox


@dataclass(frozen=True)
class DemoOptions:
    out: Path = Path("demo-out")
    seed: int = 7
    customers: int = 120  # ≥ 50 plants every finding kind; about 10 s on 2 cores
    as_of: date | None = None  # default today (UTC)
    serve: bool = False


class Runtime(Protocol):
    """Where webhooks go and jobs run."""

    url: str  # the gateway's base URL

    async def drain(self) -> None:
        """Until every job the burst led to has finished."""

    def gateway_duplicates(self) -> int | None: ...

    def show_report(self, result: ReconcileResult, history: Sequence[RunSummary]) -> None:
        """What `/ops/report` serves from now on, where the runtime serves it."""

    async def serve_forever(self) -> None: ...


RuntimeFactory = Callable[[Settings], AbstractAsyncContextManager[Runtime]]
OnSummary = Callable[[DemoSummary, Settings], None]


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.timings[name] = now - self._last
        self._last = now


async def run_flow(
    options: DemoOptions,
    *,
    mode: str,
    database_url: str,
    redis_url: str | None,
    runtime: RuntimeFactory,
    on_summary: OnSummary,
) -> DemoSummary:
    """Everything but the runtime; the store at `database_url` must be empty or absent."""
    clock = _Clock()
    as_of = options.as_of or datetime.now(UTC).date()
    data = options.out / "data"
    shutil.rmtree(data, ignore_errors=True)
    generated = await asyncio.to_thread(
        generate, data, seed=options.seed, customers=options.customers, as_of=as_of
    )
    await upgrade_async(database_url)
    clock.lap("generate + migrate")
    truth = truth_rows(data)
    token = secrets.token_urlsafe(18)
    async with Sandbox(data) as sandbox:
        with NotificationReceiver() as receiver:
            settings = steps.demo_settings(
                sandbox.env(),
                database_url=database_url,
                redis_url=redis_url,
                ops_token=token,
                notify_url=receiver.url,
            )
            store = build_store(settings)
            connectors = build_connectors(settings, store)
            try:
                synced = await steps.sync_all(connectors, store)
                first = await steps.reconcile(store, settings, as_of)
                clock.lap("sync + reconcile")
                async with runtime(settings) as running:
                    fired = await asyncio.to_thread(steps.fire_burst, running.url, sandbox.urls)
                    await running.drain()
                    clock.lap("webhooks + jobs")
                    processed = await steps.read_processed(store)
                    seen = await _seen_at_vendors(connectors, processed)
                    await steps.sync_all(connectors, store)
                    final = await steps.reconcile(store, settings, as_of)
                    reports = await steps.write_reports(store, final, options.out)
                    running.show_report(final.result, await run_history(store))
                    clock.lap("verify + re-sync + reconcile")
                    summary = DemoSummary(
                        mode=mode,
                        seed=options.seed,
                        customers=options.customers,
                        as_of=as_of.isoformat(),
                        synced=synced,
                        dataset=steps.dataset_counts(generated.counts),
                        deliveries=steps.count_deliveries(
                            fired, processed.inbox, running.gateway_duplicates()
                        ),
                        followups=_followups(processed, seen, receiver.received, final),
                        findings=steps.finding_lines(final),
                        collection=steps.collection_lines(final),
                        as_generated=score(first.result.findings, truth),
                        final=score_after_changes(
                            final.result.findings,
                            truth,
                            before=first.result.findings,
                            touched=steps.touched_records(processed),
                        ),
                        reports=reports,
                        gateway_url=running.url,
                        timings=clock.timings,
                    )
                    on_summary(summary, settings)
                    if options.serve:
                        await running.serve_forever()
            finally:
                await asyncio.to_thread(close_connectors, connectors)
                await store.close()
    return summary


async def _seen_at_vendors(
    connectors: Mapping[Source, Any], processed: steps.Processed
) -> tuple[int, int]:
    """(Salesforce tasks, QuickBooks payments) of the follow-ups, as the vendors' APIs list them."""
    followups = processed.followups
    tasks = await asyncio.to_thread(steps.verify_tasks, connectors[Source.SALESFORCE], followups)
    payments = await asyncio.to_thread(
        steps.verify_payments, connectors[Source.QUICKBOOKS], followups
    )
    return tasks, payments


def _followups(
    processed: steps.Processed,
    seen: tuple[int, int],
    notifications_received: int,
    final: ReconcileOutcome,
) -> Followups:
    """The follow-ups the jobs logged, by kind, beside what the vendors and the receiver saw."""
    kinds = steps.kinds_count(processed.followups)
    tasks_seen, payments_seen = seen
    return Followups(
        tasks=sum(kinds[k] for k in steps.TASK_KINDS),
        tasks_verified=tasks_seen,
        payments=kinds["ledger_payment"],
        payments_verified=payments_seen,
        notifications=kinds["notify"],
        notifications_received=notifications_received,
        deal_checks=sum(1 for f in processed.followups if f.kind == "deal_check"),
        findings_opened=final.lifecycle.opened + final.lifecycle.reopened,
        findings_resolved=final.lifecycle.resolved,
    )


# --- the embedded runtime ---------------------------------------------------------------------


class EmbeddedRuntime:
    def __init__(self, server: LoopServer, queue: InProcessQueue, app: Any) -> None:
        self._server = server
        self._queue = queue
        self._app = app
        self.url = server.url
        self.report: tuple[ReconcileResult, Sequence[RunSummary]] | None = None

    def show_report(self, result: ReconcileResult, history: Sequence[RunSummary]) -> None:
        self.report = (result, history)

    async def drain(self) -> None:
        await self._queue.drain()

    def gateway_duplicates(self) -> int | None:
        registry = self._app.state.metrics.registry
        return int(
            sum(
                registry.get_sample_value("revcycle_webhooks_duplicates_total", {"source": s}) or 0
                for s in ("stripe", "quickbooks", "salesforce")
            )
        )

    async def serve_forever(self) -> None:
        await self._server.wait()


@asynccontextmanager
async def embedded_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The gateway on this loop with the in-process queue over the job functions, as
    `revcycle gateway` runs without Redis."""
    store = build_store(settings)
    ctx: dict[str, Any] = {}
    queue = InProcessQueue(FUNCTIONS, ctx=ctx, max_tries=settings.REVCYCLE_JOB_MAX_TRIES)

    @asynccontextmanager
    async def job_services() -> AsyncIterator[None]:
        services = await build_services(settings, queue, store=store)
        ctx[SERVICES] = services
        try:
            yield
        finally:
            await services.close()

    async def load_report() -> tuple[ReconcileResult, Sequence[RunSummary]] | None:
        return runtime.report  # the final run, once `show_report` has it

    app = create_app(
        gateway_config(settings),
        store=store,
        queue=queue,
        resources=[job_services],
        report_loader=load_report,
        links=VendorLinks(stripe_test_mode=True),  # the sandbox plays test-mode Stripe
    )
    server = LoopServer(app)
    runtime = EmbeddedRuntime(server, queue, app)
    await server.start()
    try:
        yield runtime
    finally:
        await server.stop()


async def run_demo(options: DemoOptions, on_summary: OnSummary) -> DemoSummary:
    options.out.mkdir(parents=True, exist_ok=True)
    database = (options.out / "revcycle.db").resolve()
    database.unlink(missing_ok=True)
    return await run_flow(
        options,
        mode="embedded",
        database_url=f"sqlite:///{database}",
        redis_url=None,
        runtime=embedded_runtime,
        on_summary=on_summary,
    )
