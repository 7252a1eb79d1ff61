"""Errors every connector raises, whatever its SDK throws underneath.

    ConnectorError                 base; carries vendor, HTTP status, vendor code, request id
    ├── ConnectorConfigError       a setting is missing or wrong (fix the configuration)
    ├── AuthError                  credentials rejected after the one refresh / re-login we try
    ├── RateLimited                the vendor said slow down (429, REQUEST_LIMIT_EXCEEDED, 3001)
    ├── TransientError             5xx, timeouts, dropped connections: worth another try
    │   └── Unreachable            no connection at all, after every attempt: the vendor is down
    │                              or not where the settings say
    └── PermanentError             the request itself is wrong (4xx): retrying cannot help

SDK exceptions (stripe.StripeError, simple_salesforce's SalesforceError, quickbooks'
QuickbooksException, requests/httpx errors) are translated at the connector boundary with
`raise … from exc`, so jobs and the sync engine only ever see this family. `str(error)` is the
operator's one-line message; `detail` keeps the vendor's own words. `network_reason` says in a
few words what stopped a request that got no answer ("connection refused", "host not found").
"""

from __future__ import annotations

import socket
import ssl


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


class Unreachable(TransientError):
    """Every attempt failed to connect: later calls to the same vendor will meet the same wall."""


class PermanentError(ConnectorError):
    """A request the vendor will never accept as sent."""


# The SDKs wrap the operating system's error two or three deep (requests in urllib3, httpx in
# httpcore); the first of these found down the chain names the cause.
_NETWORK_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (socket.gaierror, "host not found"),
    (ssl.SSLError, "TLS handshake failed"),
    (TimeoutError, "timed out"),
)


def network_reason(error: BaseException) -> str | None:
    """What stopped a request underneath the SDK's wrappers, or None if nothing network-level."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for kind, reason in _NETWORK_REASONS:
            if isinstance(current, kind):
                return reason
        current = current.__cause__ or current.__context__
    return None
