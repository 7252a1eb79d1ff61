"""`revcycle events list|replay`: the webhook inbox, and putting dead events back to work.

Replayed events are queued on Redis when `REVCYCLE_REDIS_URL` is set (a worker picks them up),
else processed right here, in-process, before the command returns.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from canonical.store.engine import begin, connect
from canonical.store.inbox import InboxEvent, list_events, replay
from canonical.store.ops_tables import INBOX_STATUSES
from hub.settings import Settings, get_settings
from hub.wiring import build_queue, build_store, in_process_services
from jobs.queue import QueueUnavailable
from jobs.worker import FUNCTIONS

events_app = typer.Typer(help="The webhook inbox: list events, replay them.", no_args_is_help=True)
console = Console()


def event_json(event: InboxEvent) -> dict[str, Any]:
    return event.as_json()


@events_app.command("list")
def list_command(
    status: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """The newest events first."""
    if status is not None and status not in INBOX_STATUSES:
        raise typer.BadParameter(f"status must be one of {', '.join(INBOX_STATUSES)}")
    events = asyncio.run(_list(get_settings(), status, limit))
    if as_json:
        typer.echo(json.dumps([event_json(e) for e in events], indent=2))
        return
    table = Table("id", "source", "event id", "type", "status", "attempts", "error")
    for e in events:
        row = event_json(e)
        table.add_row(*("" if row[k] is None else str(row[k]) for k in row))
    console.print(table)


async def _list(settings: Settings, status: str | None, limit: int) -> list[InboxEvent]:
    store = build_store(settings)
    try:
        async with connect(store.engine) as conn:
            return await list_events(conn, status=status, limit=limit)
    finally:
        await store.close()


@events_app.command("replay")
def replay_command(
    event_id: Annotated[int | None, typer.Argument(help="The inbox id of one event.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Every event of this status (e.g. dead).")
    ] = None,
) -> None:
    """Put finished events back to `received` and queue them again."""
    if (event_id is None) == (status is None):
        raise typer.BadParameter("give an event id or --status, not both")
    ids = asyncio.run(replay_events(get_settings(), event_id, status))
    typer.echo(f"replayed {len(ids)} event(s)" + (f": {', '.join(map(str, ids))}" if ids else ""))


async def replay_events(settings: Settings, event_id: int | None, status: str | None) -> list[int]:
    store = build_store(settings)
    try:
        async with begin(store.engine) as conn:
            ids = await replay(
                conn, ids=[event_id] if event_id is not None else None, status=status
            )
    finally:
        await store.close()
    if ids:
        await _queue(settings, ids)
    return ids


async def _queue(settings: Settings, ids: list[int]) -> None:
    if settings.REVCYCLE_REDIS_URL is None:
        queue, services = await in_process_services(settings, FUNCTIONS)
        try:
            for event_id in ids:
                await queue.enqueue("process_event", event_id, job_id=f"event:{event_id}")
            await queue.drain()
        finally:
            await queue.close()
            await services.close()
        return
    arq_queue = await build_queue(settings, FUNCTIONS)
    # A fresh job id: the first run's result may still hold `event:<id>` in Redis.
    stamp = int(time.time() * 1000)
    try:
        for event_id in ids:
            await queue.enqueue(
                "process_event", event_id, job_id=f"event:{event_id}:replay:{stamp}"
            )
    except QueueUnavailable:
        typer.echo("Redis is unreachable: the events wait as received for the relay", err=True)
    finally:
        await arq_queue.close()


if __name__ == "__main__":  # `python -m hub.cli_events`, before `revcycle events` is wired
    events_app()
