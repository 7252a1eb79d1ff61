"""Building the Salesforce emulator's Starlette app from a dataset directory and a config."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from sandbox.emulators.salesforce.admin import admin_routes
from sandbox.emulators.salesforce.api import api_routes
from sandbox.emulators.salesforce.auth import oauth_routes
from sandbox.emulators.salesforce.config import SalesforceConfig
from sandbox.emulators.salesforce.state import SalesforceState


def build_app(data_dir: Path, config: SalesforceConfig | None = None) -> Starlette:
    state = SalesforceState.load(data_dir, config or SalesforceConfig())
    app = Starlette(routes=[*api_routes(state), *oauth_routes(state), *admin_routes(state)])
    app.state.salesforce = state
    return app
