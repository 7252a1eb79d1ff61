"""The one place that talks to Stripe: stripe-python's `StripeClient` over its httpx client.

Every call goes through the rate limiter and `run_with_policy`; every `stripe.StripeError` is
translated here into `connectors.errors`, so nothing above this module sees a Stripe exception.

List pages are read as raw JSON, not as `StripeObject`s: building `StripeObject`s (or even the
`OrderedDict`s of `raw_request`) costs far more than the HTTP round trip on loopback (measured:
~700 records/s through `list()`, ~6,500 through `raw_request`, ~16,000 parsing the body with
orjson). That uses the SDK's requestor directly, which is why stripe is pinned exactly; a test
covers this seam so an upgrade that moves it fails loudly.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

import orjson
import stripe

from connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimited,
    TransientError,
)
from connectors.policy import (
    Failure,
    RateLimiter,
    Resolution,
    Signal,
    retry_after_seconds,
    run_with_policy,
)
from connectors.stripe.config import StripeConfig
from connectors.stripe.policy import stripe_policy

VENDOR = "stripe"
JSON = dict[str, Any]


class StripeApi:
    """GET requests against Stripe's API, limited, retried and translated."""

    def __init__(
        self,
        config: StripeConfig,
        *,
        http_client: stripe.HTTPClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._http = http_client or stripe.HTTPXClient(
            timeout=config.timeout_s, allow_sync_methods=True
        )
        base = config.api_base.rstrip("/")
        self.sdk = stripe.StripeClient(
            config.api_key,
            base_addresses={"api": base, "files": base, "connect": base},
            http_client=self._http,
            max_network_retries=0,  # retries are the policy's job, not the SDK's
        )
        self.policy = stripe_policy(config.max_attempts, config.base_delay_s, config.max_delay_s)
        rate = config.requests_per_second
        self._limiter = RateLimiter(rate) if rate is not None else None
        self._sleep = sleep
        self.requests = 0
        self.retries = 0

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> JSON:
        """`GET path` as a plain dict, after any retries the policy allows."""
        return run_with_policy(
            lambda: self._get_once(path, params),
            self.policy,
            sleep=self._sleep,
            on_retry=self._count_retry,
        )

    def close(self) -> None:
        self._http.close()  # type: ignore[no-untyped-call]

    def _count_retry(self, attempt: int, resolution: Resolution) -> None:
        self.retries += 1

    def _get_once(self, path: str, params: Mapping[str, Any] | None) -> JSON:
        requestor = self.sdk._requestor
        limiter = self._limiter or contextlib.nullcontext()
        try:
            with limiter:
                self.requests += 1
                body, status, headers = requestor.request_raw(
                    "get", path, dict(params or {}), base_address="api", api_mode="V1"
                )
            if not 200 <= status < 300:
                # Let the SDK build its own typed error from the body, as it would have.
                requestor._interpret_response(body, status, headers, "V1")
            return cast(JSON, orjson.loads(cast(bytes, body)))
        except stripe.StripeError as exc:
            raise Failure(signal_of(exc), error_of(exc, path)) from exc
        except orjson.JSONDecodeError as exc:
            error = PermanentError(
                f"GET {path} answered something that is not JSON", vendor=VENDOR, detail=str(exc)
            )
            raise Failure(Signal(exception="MalformedResponse"), error) from exc


def signal_of(exc: stripe.StripeError) -> Signal:
    """What the retry policy looks at: status, Stripe's error code, headers, network failure."""
    if isinstance(exc, stripe.APIConnectionError):
        return Signal(exception="ConnectionError")
    return Signal(status=exc.http_status, code=code_of(exc), headers=dict(exc.headers or {}))


def code_of(exc: stripe.StripeError) -> str | None:
    """Stripe's error code; the SDK drops it from some errors (401, 429), the body keeps it."""
    if exc.code:
        return exc.code
    body = exc.json_body
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def error_of(exc: stripe.StripeError, path: str) -> ConnectorError:
    """The connector error a Stripe exception stands for, with Stripe's own words as detail."""
    headers = dict(exc.headers or {})
    common: dict[str, Any] = {
        "vendor": VENDOR,
        "status": exc.http_status,
        "code": code_of(exc),
        "request_id": exc.request_id,
        "detail": exc.user_message,
    }
    if isinstance(exc, stripe.AuthenticationError):
        return AuthError("Stripe rejected the API key", **common)
    if isinstance(exc, stripe.PermissionError):
        return AuthError(f"the API key may not call GET {path}", **common)
    if isinstance(exc, stripe.RateLimitError):
        return RateLimited(
            f"rate limited on GET {path}", retry_after=retry_after_seconds(headers), **common
        )
    if isinstance(exc, stripe.APIConnectionError):
        return TransientError(f"could not reach Stripe for GET {path}", **common)
    status = exc.http_status or 0
    if status >= 500 or status == 409:
        return TransientError(f"Stripe failed GET {path}", **common)
    return PermanentError(f"Stripe refused GET {path}", **common)
