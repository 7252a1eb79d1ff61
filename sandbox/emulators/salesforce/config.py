"""Settings of the Salesforce emulator: the org it pretends to be and its fixed sandbox credentials.

The credentials are constants, not random, so a user can re-source the env file the sandbox writes.
"""

# ruff: noqa: S105  (these are the public, fixed credentials of a local emulator, not secrets)
from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.emulators.common import Faults


@dataclass
class SalesforceConfig:
    access_token: str = "00D000000005BANEA2!AQsandboxAccessToken"
    client_id: str = "3MVG9sandbox.revcycle.consumer.key"
    client_secret: str = "sandbox-salesforce-consumer-secret"
    refresh_token: str = "5Aep861sandboxRefreshToken"
    username: str = "integration@revcycle.sandbox"
    password: str = "sandbox-password"
    security_token: str = "sandboxSecurityToken"
    organization_id: str = "00D000000005BANEA2"
    user_id: str = "0050000000000FvAAI"
    webhook_token: str = "sandbox-salesforce-webhook-token"
    api_version: str = "59.0"
    daily_api_limit: int = 100_000
    # The outbound-message retry policy, shortened from Salesforce's 24 hours to fit a test run.
    delivery_attempts: int = 3
    delivery_backoff_s: float = 0.05
    faults: Faults = field(default_factory=Faults)
