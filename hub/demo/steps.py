"""The demo's steps that do not depend on where the jobs run: settings, sync, the webhook burst,
checking follow-ups at the vendors, and reconciling into reports."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from canonical.records import Source
from canonical.store import Store
from canonical.store.engine import connect
from canonical.store.followups import DONE, Followup, list_followups
from canonical.store.inbox import InboxEvent, list_events, status_counts
from hub.demo.summary import CollectionLine, Deliveries, KindLine
from hub.demo.truth import touched_ids
from hub.settings import Settings
from jobs.reconcile import ReconcileOutcome, run_history, run_reconcile, thresholds_from
from jobs.sync import sync_source
from reconciliation.report import render_html, to_csv, to_json
from sandbox.fire import FiredDelivery, fire

# Parties and deals before the invoices that point at them, invoices before their payments.
SYNC_ORDER = (Source.SALESFORCE, Source.STRIPE, Source.QUICKBOOKS)

# The burst, in the order a day might bring it. Each is one emulator scenario (sandbox/fire.py).
SCENARIOS = (
    "stripe.payment_failed_then_recovered",  # invoice.payment_failed → Task; then paid → Payment
    "stripe.dispute_created",  # on the charge just recovered → a high-priority Task
    "stripe.invoice_paid",  # paid in Stripe, still open in QBO → a QuickBooks Payment
    "stripe.duplicates",  # the same invoice.paid five times: one effect
    "stripe.out_of_order",  # three invoice.updated, newest first: the newest wins
    "quickbooks.invoice_updated",  # legacy eventNotifications
    "quickbooks.invoice_updated_cloudevents",  # the CloudEvents array
    "quickbooks.payment_created",  # a Payment made in QuickBooks (two entities, one delivery)
    "salesforce.opportunity_won",  # an Outbound Message (SOAP) → an unbilled-deal check
    "stripe.forged",  # signed with the wrong secret → 401, nothing stored
)
TASK_KINDS = ("payment_failed_task", "dispute_task")
_SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_XML_ID = re.compile(r">([A-Za-z0-9]{15,18})<")


def demo_settings(
    sandbox_env: Mapping[str, str],
    *,
    database_url: str,
    redis_url: str | None,
    ops_token: str,
    notify_url: str,
) -> Settings:
    """Everything explicit, so nothing from the caller's environment changes the demo."""
    values: dict[str, Any] = {
        **sandbox_env,
        "REVCYCLE_DATABASE_URL": database_url,
        "REVCYCLE_REDIS_URL": redis_url,
        "REVCYCLE_OPS_TOKEN": ops_token,
        "REVCYCLE_FOLLOWUPS": "all",
        "REVCYCLE_LEDGER_WRITEBACK": True,
        "REVCYCLE_NOTIFY_URLS": notify_url,
        "REVCYCLE_NOTIFY_SECRET": None,
        "REVCYCLE_SYNC_INTERVAL_MINUTES": 0,  # the demo syncs when it means to
        "REVCYCLE_RECONCILE_INTERVAL_MINUTES": 0,  # and reconciles when it means to
        "REVCYCLE_RECONCILE_ON_LEDGER_CHANGE": False,
        "REVCYCLE_RETRY_BASE_SECONDS": 0.5,
        "REVCYCLE_WEBHOOK_SOURCES": None,
        "REVCYCLE_LOG_LEVEL": "warning",
    }
    return Settings(**values)


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as environment variables, for the `revcycle` processes the demo starts."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        raw = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        env[name] = ("true" if raw else "false") if isinstance(raw, bool) else str(raw)
    return env


async def sync_all(connectors: Mapping[Source, Any], store: Store) -> dict[str, int]:
    """A full sync of every source; records read per source. A failed stream stops the demo."""
    read: dict[str, int] = {}
    for source in SYNC_ORDER:
        report = await sync_source(connectors[source], store, full=True)
        if not report.ok:
            raise RuntimeError(f"{source.value} sync failed: {report.errors}")
        read[source.value] = sum(counts.read for counts in report.objects.values())
    return read


def fire_burst(gateway_url: str, emulator_urls: Mapping[str, str]) -> list[FiredDelivery]:
    fired: list[FiredDelivery] = []
    for scenario in SCENARIOS:
        fired.extend(fire(gateway_url, scenario, dict(emulator_urls)))
    return fired


def count_deliveries(
    fired: list[FiredDelivery], inbox: Mapping[str, int], gateway_duplicates: int | None
) -> Deliveries:
    """A redelivery is an accepted delivery whose (vendor, id) was accepted before: Stripe's id is
    the event's, an Outbound Message's the first notification's."""
    seen: set[tuple[str, str]] = set()
    accepted = duplicates = rejected = 0
    for d in fired:
        if 200 <= d.status < 300:
            accepted += 1
            duplicates += (d.vendor, d.id) in seen
            seen.add((d.vendor, d.id))
        elif 400 <= d.status < 500:
            rejected += 1
    return Deliveries(
        accepted=accepted,
        duplicates=duplicates,
        rejected=rejected,
        stored_events=sum(inbox.values()),
        processed=inbox.get("processed", 0),
        ignored=inbox.get("ignored", 0),
        gateway_duplicates=gateway_duplicates,
    )


@dataclass(frozen=True)
class Processed:
    inbox: dict[str, int]
    events: list[InboxEvent]
    followups: list[Followup]


async def read_processed(store: Store) -> Processed:
    async with connect(store.engine) as conn:
        inbox = await status_counts(conn)
        events = await list_events(conn, limit=10_000)
        followups = await list_followups(conn, limit=10_000)
    return Processed(inbox, events, followups)


def done_of(followups: list[Followup], *kinds: str) -> list[Followup]:
    return [f for f in followups if f.kind in kinds and f.status == DONE]


def verify_tasks(connector: Any, followups: list[Followup]) -> int:
    """How many of the Tasks the jobs made a SOQL query finds in Salesforce."""
    ids = {str((f.response or {}).get("task_id")) for f in done_of(followups, *TASK_KINDS)}
    ids = {i for i in ids if _SALESFORCE_ID.match(i)}
    if not ids:
        return 0
    listed = ", ".join(f"'{i}'" for i in sorted(ids))
    result = connector.client.query(
        f"SELECT Id, Subject, WhatId FROM Task WHERE Id IN ({listed})",
        include_deleted=False,
        operation="demo: verify Tasks",
    )
    return len({str(r["Id"]) for r in result.get("records", ())} & ids)


def verify_payments(connector: Any, followups: list[Followup]) -> int:
    """How many written-back Payments python-quickbooks reads back, applied to their invoice."""
    verified = 0
    for f in done_of(followups, "ledger_payment"):
        answer = f.response or {}
        body = connector.client.read("Payment", str(answer.get("payment_id")))
        lines = body.get("Payment", {}).get("Line", [])
        linked = {t.get("TxnId") for line in lines for t in line.get("LinkedTxn", [])}
        verified += str(answer.get("invoice_id")) in linked
    return verified


def touched_records(processed: Processed) -> set[str]:
    """Ids in the stored webhook bodies and the follow-ups' targets and answers."""
    payloads: list[Mapping[str, Any]] = []
    ids: set[str] = set()
    for event in processed.events:
        try:
            parsed = json.loads(event.body)
        except ValueError:  # an Outbound Message: SOAP XML
            ids.update(_XML_ID.findall(event.body.decode("utf-8", "replace")))
            continue
        payloads.append({"body": parsed})
    for f in processed.followups:
        ids.add(f.target)
        payloads.append({"response": f.response or {}, "request": f.request or {}})
    return ids | touched_ids(payloads)


async def reconcile(store: Store, settings: Settings, as_of: date) -> ReconcileOutcome:
    return await run_reconcile(
        store, as_of=as_of, now=datetime.now(UTC), thresholds=thresholds_from(settings)
    )


async def write_reports(store: Store, outcome: ReconcileOutcome, out: Path) -> dict[str, Path]:
    paths = {name: out / f"report.{name}" for name in ("html", "json", "csv")}
    page = render_html(outcome.result, history=await run_history(store))
    await asyncio.to_thread(paths["html"].write_text, page)
    document = json.dumps(to_json(outcome.result), indent=2, sort_keys=True)
    await asyncio.to_thread(paths["json"].write_text, document)
    await asyncio.to_thread(paths["csv"].write_text, to_csv(outcome.result))
    return paths


def finding_lines(outcome: ReconcileOutcome) -> tuple[KindLine, ...]:
    return tuple(
        KindLine(line.kind.value, line.count, line.amounts)
        for line in outcome.result.metrics.leakage.by_kind
    )


def collection_lines(outcome: ReconcileOutcome) -> tuple[CollectionLine, ...]:
    return tuple(
        CollectionLine(m.currency, m.dso_days, m.cei_percent)
        for m in outcome.result.metrics.collection
    )


def dataset_counts(counts: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    return {vendor: sum(per.values()) for vendor, per in counts.items()}


def kinds_count(followups: list[Followup]) -> Counter[str]:
    return Counter(f.kind for f in followups if f.status == DONE)
