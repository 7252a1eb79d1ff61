"""The Stripe emulator's Starlette app."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from sandbox.emulators.common import Faults
from sandbox.emulators.stripe.admin import SandboxAdmin
from sandbox.emulators.stripe.config import StripeConfig
from sandbox.emulators.stripe.routes import StripeApi
from sandbox.emulators.stripe.store import StripeStore


def build_app(data_dir: Path, config: StripeConfig | None = None) -> Starlette:
    """Load `data_dir/stripe/*.json` and serve it as Stripe's API plus the `/_sandbox` admin API."""
    config = config or StripeConfig()
    store = StripeStore(data_dir, config)
    faults = Faults()
    admin = SandboxAdmin(store, faults, config)
    api = StripeApi(store, faults, config)
    app = Starlette(routes=[*admin.routes(), *api.routes()])
    app.state.store = store
    app.state.faults = faults
    return app
