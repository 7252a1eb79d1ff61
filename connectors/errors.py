"""Errors every connector raises, whatever its SDK throws underneath.

    ConnectorError                 base; carries vendor, HTTP status, vendor code, request id
    ├── ConnectorConfigError       a setting is missing or wrong (fix the configuration)
    ├── AuthError                  credentials rejected after the one refresh / re-login we try
    ├── RateLimited                the vendor said slow down (429, REQUEST_LIMIT_EXCEEDED, 3001)
    ├── TransientError             5xx, timeouts, dropped connections: worth another try
    └── PermanentError             the request itself is wrong (4xx): retrying cannot help

SDK exceptions (stripe.StripeError, simple_salesforce's SalesforceError, quickbooks'
QuickbooksException, requests/httpx errors) are translated at the connector boundary with
`raise … from exc`, so jobs and the sync engine only ever see this family. `str(error)` is the
operator's one-line message; `detail` keeps the vendor's own words.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every connector error."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        detail: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.vendor = vendor
        self.status = status
        self.code = code
        self.request_id = request_id
        self.detail = detail
        self.retry_after = retry_after

    def __str__(self) -> str:
        parts = [f"{self.vendor}: {self.args[0]}"]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(self.code)
        if self.request_id:
            parts.append(f"request {self.request_id}")
        return " · ".join(parts)


class ConnectorConfigError(ConnectorError):
    """A missing or malformed connector setting."""


class AuthError(ConnectorError):
    """The vendor rejected our credentials even after a refresh."""


class RateLimited(ConnectorError):
    """The vendor asked us to slow down; `retry_after` is its hint in seconds, if it gave one."""

    retryable = True


class TransientError(ConnectorError):
    """A failure that another attempt may not meet (5xx, timeout, connection reset)."""

    retryable = True


class PermanentError(ConnectorError):
    """A request the vendor will never accept as sent."""
