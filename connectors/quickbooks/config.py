"""Settings of one QuickBooks Online company (realm) connection, built by the hub from settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

PRODUCTION_API_BASE = "https://quickbooks.api.intuit.com/v3"
SANDBOX_API_BASE = "https://sandbox-quickbooks.api.intuit.com/v3"
_DISCOVERY_PATHS = {
    "sandbox": "/.well-known/openid_sandbox_configuration",
    "production": "/.well-known/openid_configuration",
}

Environment = Literal["sandbox", "production"]


@dataclass(frozen=True, slots=True)
class QuickBooksConfig:
    client_id: str
    client_secret: str
    realm_id: str
    refresh_token: str  # the first refresh token; the token store holds the rotated ones
    access_token: str | None = None  # optional: without one, the first call refreshes
    environment: Environment = "production"
    # `https://host/v3` form, like python-quickbooks' own `api_url_v3`, or a bare host (then
    # `/v3` is added). None: Intuit's URL.
    api_base: str | None = None
    # The OpenID discovery document intuit-oauth reads its token endpoint from. None: Intuit's
    # document, or the one served next to `api_base` when that is set.
    discovery_url: str | None = None
    redirect_uri: str = "http://localhost/callback"  # unused by refresh; intuit-oauth wants one
    webhook_verifier_token: str | None = None
    minor_version: int = 75
    page_size: int = 1000  # QBO's MAXRESULTS ceiling
    requests_per_minute: float = 500  # Intuit's published limit per realm
    concurrency: int = 10  # Intuit's published limit of concurrent requests per realm
    timeout_s: float = 30.0
    cdc_lookback_days: int = 30  # how far back QBO's change data capture reaches

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= 1000:
            raise ValueError("page_size must be between 1 and 1000 (QBO's MAXRESULTS limit)")

    @property
    def resolved_api_base(self) -> str:
        if self.api_base is not None:
            base = self.api_base.rstrip("/")
            # A bare host (as `revcycle sandbox serve` writes it) means the v3 API under it.
            return base if urlsplit(base).path else f"{base}/v3"
        return SANDBOX_API_BASE if self.environment == "sandbox" else PRODUCTION_API_BASE

    @property
    def resolved_discovery_url(self) -> str | None:
        """The discovery document URL, or None to let intuit-oauth pick Intuit's own."""
        if self.discovery_url is not None:
            return self.discovery_url
        if self.api_base is None:
            return None
        parts = urlsplit(self.api_base)
        return f"{parts.scheme}://{parts.netloc}{_DISCOVERY_PATHS[self.environment]}"
