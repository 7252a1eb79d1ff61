"""Settings of the Stripe emulator.

The secrets are fixed sandbox values (not random), so an env file written once stays valid.
"""

from __future__ import annotations

from dataclasses import dataclass

# The version stripe-python 16.1.0 pins (stripe/_api_version.py); events carry it as `api_version`.
STRIPE_API_VERSION = "2026-10-28.endive"


@dataclass(frozen=True)
class StripeConfig:
    api_key: str = "sk_test_revcycle_sandbox_0000000000000000"
    webhook_secret: str = "whsec_revcycle_sandbox_0000000000000000"  # noqa: S105 (sandbox value)
    api_version: str = STRIPE_API_VERSION
    # Stripe retries a failed delivery for three days; the sandbox makes a few quick tries.
    delivery_attempts: int = 3
    delivery_backoff_s: float = 0.05
    delivery_timeout_s: float = 10.0
    # How far back `GET /v1/events` reaches, as Stripe's own 30-day window.
    events_window_s: int = 30 * 24 * 3600
