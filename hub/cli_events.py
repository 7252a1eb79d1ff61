"""`revcycle events list|replay`: the webhook inbox, and putting dead events back to work.

Replayed events are queued on Redis when `REVCYCLE_REDIS_URL` is set (a worker picks them up),
else processed right here, in-process, before the command returns.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
from redis.exceptions import RedisError
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from canonical.store.engine import begin, connect
from canonical.store.inbox import InboxEvent, get_event, list_events, replay
from canonical.store.ops_tables import INBOX_STATUSES
from hub.settings import Settings, get_settings
from hub.wiring import build_queue, in_process_services, open_store
from jobs.events import queue_replayed
from jobs.worker import FUNCTIONS

# Replayed events are `received` once committed: a worker's relay queues them when Redis is back.
UNQUEUED = "Redis is unreachable: the events wait as received for the relay"

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
    if not events:
        typer.echo("no events" + (f" with status {status}" if status else " in the inbox"))
        return
    console.print(events_table(events))


def events_table(events: list[InboxEvent]) -> Table:
    """One row per event, readable at 80 columns: what an operator scans for (id, source, status,
    tries, arrival) is never cut; the type with the vendor's event id under it, and the error,
    wrap in the width left. `--json` has every field whole."""
    table = Table(
        Column("id", justify="right", no_wrap=True),
        Column("source", no_wrap=True),
        Column("type\nevent id", overflow="fold", ratio=1),
        Column("status", no_wrap=True),
        Column("tries", justify="right", no_wrap=True),
        Column("received\n(UTC)", no_wrap=True),
        Column("error", overflow="fold", ratio=1),
    )
    for e in events:
        kind = Text(e.event_type or "")
        kind.append(f"\n{e.dedupe_key}", style="dim")
        received = e.received_at.strftime("%Y-%m-%d\n%H:%M:%S")
        table.add_row(str(e.id), e.source, kind, e.status, str(e.attempts), received, e.error or "")
    return table


async def _list(settings: Settings, status: str | None, limit: int) -> list[InboxEvent]:
    store = await open_store(settings)
    try:
        async with connect(store.engine) as conn:
            return await list_events(conn, status=status, limit=limit)
    finally:
        await store.close()


@events_app.command("replay")
def replay_command(
    event_id: Annotated[
        int | None, typer.Argument(metavar="ID", help="The inbox id of one event.")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Every event of this status (e.g. dead).")
    ] = None,
) -> None:
    """Put finished events back to `received` and queue them again.

    With REVCYCLE_REDIS_URL a worker processes them; without it they are processed here, before
    the command returns. If Redis cannot be reached they wait as received, and a worker's relay
    queues them once it can. A named event that is not in the inbox, or is being processed, is
    an error, and nothing changes.
    """
    if (event_id is None) == (status is None):
        raise typer.BadParameter("give an event id or --status, not both")
    ids = asyncio.run(replay_events(get_settings(), event_id, status))
    typer.echo(f"replayed {len(ids)} event(s)" + (f": {', '.join(map(str, ids))}" if ids else ""))


async def replay_events(settings: Settings, event_id: int | None, status: str | None) -> list[int]:
    """Replay one event or every event of a status; a named event that is not in the inbox, or is
    being processed, is an error and nothing changes."""
    store = await open_store(settings)
    try:
        async with begin(store.engine) as conn:
            ids = await replay(
                conn, ids=[event_id] if event_id is not None else None, status=status
            )
            if event_id is not None and not ids:
                found = await get_event(conn, event_id)
                if found is None:
                    raise LookupError(f"no event {event_id} in the inbox")
                raise RuntimeError(
                    f"event {event_id} is being processed; replay it once it has finished"
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
            await queue_replayed(queue, ids)
            await queue.drain()
        finally:
            await queue.close()
            await services.close()
        return
    try:
        arq_queue = await build_queue(settings, FUNCTIONS)
    except (OSError, RedisError):
        typer.echo(UNQUEUED, err=True)
        return
    try:
        if not await queue_replayed(arq_queue, ids):
            typer.echo(UNQUEUED, err=True)
    finally:
        await arq_queue.close()


if __name__ == "__main__":  # `python -m hub.cli_events`, before `revcycle events` is wired
    events_app()
