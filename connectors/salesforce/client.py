"""The Salesforce client: simple-salesforce behind the retry table, the rate limiter and re-login.

Every call goes through `SalesforceClient.call`, so callers only ever see `connectors.errors`.
With a session id, simple-salesforce does not log in again on `INVALID_SESSION_ID`; the policy's
REFRESH_TOKEN row does: make a new session once through the configured grant, rebuild the SDK
client, try again.

simple-salesforce turns every URL into `https://host:port`. For a plain-http instance (the
sandbox) the requests session gets an adapter on exactly that prefix that sends it over http.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError

from connectors.policy import RateLimiter, run_with_policy
from connectors.salesforce.auth import SessionToken, request_token
from connectors.salesforce.config import SalesforceConfig
from connectors.salesforce.policy import salesforce_policy, translate

T = TypeVar("T")
JSON = dict[str, Any]


class TimeoutAdapter(HTTPAdapter):
    """Gives every request a timeout: several simple-salesforce calls cannot pass one."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


class PlainHttpAdapter(TimeoutAdapter):
    """Sends the https URLs simple-salesforce builds to a plain-http instance over http."""

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        if request.url and request.url.startswith("https://"):
            request.url = "http://" + request.url.removeprefix("https://")
        return super().send(request, **kwargs)


def mount_adapters(session: requests.Session, instance_url: str | None, timeout: float) -> None:
    """Timeouts everywhere; `https://host:port/` goes back to http for a plain-http instance."""
    session.mount("https://", TimeoutAdapter(timeout))
    session.mount("http://", TimeoutAdapter(timeout))
    parts = urlsplit(instance_url or "")
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname + (f":{parts.port}" if parts.port not in (None, 443) else "")
        session.mount(f"https://{host}/", PlainHttpAdapter(timeout))


class SalesforceClient:
    def __init__(
        self,
        config: SalesforceConfig,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        config.validate()
        self.config = config
        self._session = session or requests.Session()
        self._session.hooks["response"].append(self._remember_error_headers)
        mount_adapters(self._session, config.instance_url, config.timeout)
        self._sleep = sleep
        self._policy = salesforce_policy(
            config.max_attempts, config.retry_base_delay, config.retry_max_delay
        )
        self._limiter = RateLimiter(config.requests_per_second, concurrency=config.max_concurrent)
        self._local = threading.local()
        self._login_lock = threading.Lock()
        self._sdk: Salesforce | None = None
        self.instance_url: str | None = config.instance_url
        self.logins = 0  # new sessions made; `check` and tests read it
        if config.access_token and config.instance_url:
            self._use(SessionToken(config.access_token, config.instance_url.rstrip("/")))

    # -- the one way in
    def call(self, operation: str, fn: Callable[[Salesforce], T]) -> T:
        """Run `fn` against the SDK under the rate limit, retrying as the policy table says."""

        def attempt() -> T:
            sdk = self._sdk or self._login()
            self._local.headers = {}
            with self._limiter:
                try:
                    return fn(sdk)
                except (SalesforceError, requests.RequestException) as exc:
                    headers = getattr(self._local, "headers", {})
                    raise translate(exc, operation, headers, self._policy) from exc

        refresh = self._relogin if self.config.grant is not None else None
        return run_with_policy(attempt, self._policy, refresh=refresh, sleep=self._sleep)

    # -- the calls the connector makes
    def query(self, soql: str, *, include_deleted: bool, operation: str) -> JSON:
        headers = {"Sforce-Query-Options": f"batchSize={self.config.page_size}"}
        return self.call(
            operation,
            lambda sf: sf.query(soql, include_deleted=include_deleted, headers=headers),
        )

    def query_more(self, next_records_url: str, *, operation: str) -> JSON:
        return self.call(
            operation,
            lambda sf: sf.query_more(next_records_url, identifier_is_url=True),
        )

    def limits(self) -> JSON:
        return self.call("limits", lambda sf: sf.limits())

    def userinfo(self) -> JSON:
        answer = self.call("userinfo", lambda sf: sf.oauth2("userinfo"))
        return answer if isinstance(answer, dict) else {}

    def create(self, sobject: str, fields: Mapping[str, Any]) -> JSON:
        return self.call(
            f"create {sobject}",
            lambda sf: getattr(sf, sobject).create(dict(fields)),
        )

    # -- sessions
    def _login(self) -> Salesforce:
        with self._login_lock:
            if self._sdk is None:
                self._use(request_token(self._session, self.config))
                self.logins += 1
            assert self._sdk is not None
            return self._sdk

    def _relogin(self) -> None:
        with self._login_lock:
            self._sdk = None
        self._login()

    def _use(self, token: SessionToken) -> None:
        mount_adapters(self._session, token.instance_url, self.config.timeout)
        self.instance_url = token.instance_url
        self._sdk = Salesforce(
            session_id=token.access_token,
            instance_url=token.instance_url,
            version=self.config.api_version,
            session=self._session,
            # Money arrives as JSON decimals; never let it become a float.
            parse_float=Decimal,
            object_pairs_hook=dict,
        )

    def _remember_error_headers(
        self, response: requests.Response, *args: Any, **kwargs: Any
    ) -> None:
        # simple-salesforce's exceptions drop the response headers; Retry-After lives there.
        if response.status_code >= 400:
            self._local.headers = dict(response.headers)
