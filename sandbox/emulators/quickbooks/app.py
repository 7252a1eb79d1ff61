"""Building the QuickBooks emulator's Starlette app from a dataset directory and a config."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from sandbox.emulators.quickbooks.admin import admin_routes
from sandbox.emulators.quickbooks.api import api_routes
from sandbox.emulators.quickbooks.auth import oauth_routes
from sandbox.emulators.quickbooks.config import QuickBooksConfig
from sandbox.emulators.quickbooks.state import QuickBooksState


def build_app(data_dir: Path, config: QuickBooksConfig | None = None) -> Starlette:
    state = QuickBooksState.load(data_dir, config or QuickBooksConfig())
    app = Starlette(routes=[*api_routes(state), *oauth_routes(state), *admin_routes(state)])
    app.state.quickbooks = state
    return app
