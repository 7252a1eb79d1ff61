"""`revcycle gateway [--host] [--port] [--workers N]`: the webhook gateway under uvicorn.

uvicorn imports `hub.gateway_app:create_app_from_env` as a factory in each worker process.
Its access log is off: a Salesforce Outbound Message URL carries its secret as `?token=`, and
the access log would print it.

It refuses to start on a store whose schema is missing or not this revcycle's (every delivery
would be a 503), but starts while the store is unreachable: it answers 503 until the store is
back, and the senders retry.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer
import uvicorn

from canonical.errors import StoreUnavailable
from canonical.store.migrate import ensure_current
from hub.gateway_app import describe
from hub.settings import get_settings

APP_FACTORY = "hub.gateway_app:create_app_from_env"


def gateway_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes.", min=1)] = 1,
) -> None:
    """Serve the webhook gateway, health, metrics and the ops API."""
    settings = get_settings()
    with contextlib.suppress(StoreUnavailable):
        asyncio.run(ensure_current(settings.REVCYCLE_DATABASE_URL))
    accepts = dict(describe(settings))
    typer.echo(f"revcycle gateway on http://{host}:{port}, {workers} worker(s): {accepts}")
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level=settings.REVCYCLE_LOG_LEVEL,
        loop="uvloop",
        http="httptools",
        ws="none",
        lifespan="on",
    )
