"""Settings of the QuickBooks Online emulator: the company it plays and its fixed credentials.

The credentials are constants, not random, so a user can re-source the env file the sandbox writes.
"""

# ruff: noqa: S105  (these are the public, fixed credentials of a local emulator, not secrets)
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sandbox.emulators.common import Faults

RateLimitFormat = Literal["json", "xml", "alternate"]


@dataclass
class QuickBooksConfig:
    client_id: str = "ABsandboxQuickBooksClientId"
    client_secret: str = "sandbox-quickbooks-client-secret"
    # The first refresh token; Intuit rotates it on every refresh, so only the newest one works.
    refresh_token: str = "AB11sandboxQuickBooksRefreshToken"
    access_token: str = "eyJsandboxQuickBooksAccessToken"
    realm_id: str = "9130350000000001"
    webhook_verifier_token: str = "sandbox-quickbooks-verifier-token"
    company_name: str = "Revcycle Sandbox Company"
    country: str = "US"
    access_token_expires_in: int = 3600
    # Intuit sends throttling (fault 3001) as JSON or as XML; "alternate" switches on each fault.
    rate_limit_format: RateLimitFormat = "alternate"
    # Intuit retries failed webhook deliveries; the sandbox does it quickly and a few times only.
    delivery_attempts: int = 3
    delivery_backoff_s: float = 0.05
    faults: Faults = field(default_factory=Faults)
