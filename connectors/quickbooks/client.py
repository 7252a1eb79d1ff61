"""The python-quickbooks client of one realm: per-instance API base, tokens, limits, error policy.

Choices worth knowing:
- The API base is a class attribute in python-quickbooks; we set it on our instance only, so
  clients of other realms (or an emulator next to production) never share it.
- The SDK only needs `session.access_token` and `session.request(...)` from its session, so we
  give it a plain `requests.Session` that reads the token from the `TokenKeeper`. No oauthlib
  session means no https check, so an emulator over plain http needs no process-wide
  `OAUTHLIB_INSECURE_TRANSPORT`.
- `use_decimal=True` makes the SDK parse bodies with `json.loads(text, parse_float=Decimal)`:
  amounts stay exact from the wire on. Measured: parsing a 1,000-invoice page (500 KB) costs
  about 3.5 ms either way, so exactness is free.
- The SDK drops the HTTP status and cannot read XML faults, so the session remembers each
  thread's last response and the policy reads status, headers and body from it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import requests
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException

from connectors.errors import TransientError
from connectors.policy import Failure, Signal, network_signal, run_with_policy
from connectors.quickbooks.config import QuickBooksConfig
from connectors.quickbooks.policy import (
    QUICKBOOKS_POLICY,
    failure_for_network,
    failure_for_response,
)
from connectors.quickbooks.throttle import RealmThrottle
from connectors.quickbooks.tokens import TokenKeeper

T = TypeVar("T")
JSON = dict[str, Any]


class KeeperSession(requests.Session):
    """A `requests.Session` whose `access_token` is always the keeper's current one."""

    def __init__(self, keeper: TokenKeeper, timeout_s: float) -> None:
        super().__init__()
        self._keeper = keeper
        self._timeout_s = timeout_s
        self._local = threading.local()

    @property
    def access_token(self) -> str:
        token = self._keeper.current()
        self._local.token = token
        return token

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self._timeout_s)
        self._local.response = None
        response = super().request(method, url, *args, **kwargs)
        self._local.response = response
        return response

    def last_response(self) -> requests.Response | None:
        response: requests.Response | None = getattr(self._local, "response", None)
        return response

    def last_token(self) -> str | None:
        token: str | None = getattr(self._local, "token", None)
        return token


class QuickBooksClient:
    """Calls to one realm, each through the throttle and the retry policy."""

    def __init__(
        self,
        config: QuickBooksConfig,
        keeper: TokenKeeper,
        throttle: RealmThrottle | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.config = config
        self.keeper = keeper
        self.throttle = throttle or RealmThrottle(config.requests_per_minute, config.concurrency)
        self._sleep = sleep
        self.session = KeeperSession(keeper, config.timeout_s)
        self.sdk = _build_sdk(config, self.session)
        self.retries = 0  # attempts retried after 429/5xx, for tests and logs

    def query(self, statement: str) -> JSON:
        return self.call("query", lambda: self.sdk.query(statement))

    def change_data_capture(self, entities: str, changed_since: str) -> JSON:
        return self.call("cdc", lambda: self.sdk.change_data_capture(entities, changed_since))

    def read(self, entity: str, entity_id: str) -> JSON:
        return self.call(
            f"read {entity} {entity_id}", lambda: self.sdk.get_single_object(entity, entity_id)
        )

    def company_info(self) -> JSON:
        realm = self.config.realm_id
        return self.call("company info", lambda: self.sdk.get_single_object("companyinfo", realm))

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one SDK call under the limits, translating every failure into `connectors.errors`."""

        def attempt() -> T:
            with self.throttle:
                try:
                    return fn()
                except QuickbooksException as exc:
                    raise self._failure(exc, what) from exc
                except requests.RequestException as exc:
                    raise failure_for_network(exc, what=what) from exc
                except TransientError as exc:  # the token endpoint failed: worth another try
                    signal = network_signal(exc) or Signal(status=exc.status or 503)
                    raise Failure(signal, exc) from exc

        def on_retry(attempt_no: int, resolution: object) -> None:
            self.retries += 1

        kwargs: dict[str, Any] = {"refresh": self._refresh, "on_retry": on_retry}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        return run_with_policy(attempt, QUICKBOOKS_POLICY, **kwargs)

    def _refresh(self) -> None:
        self.keeper.refresh(rejected=self.session.last_token())

    def _failure(self, exc: QuickbooksException, what: str) -> Failure:
        response = self.session.last_response()
        if response is None:  # the SDK failed before sending anything
            return failure_for_response(0, {}, str(exc.detail or exc.message), what=what)
        headers: Mapping[str, str] = response.headers
        return failure_for_response(response.status_code, headers, response.text, what=what)

    def close(self) -> None:
        self.session.close()


def _build_sdk(config: QuickBooksConfig, session: KeeperSession) -> Any:
    sdk = QuickBooks(
        company_id=config.realm_id, minorversion=config.minor_version, use_decimal=True
    )
    base = config.resolved_api_base
    # Instance attributes shadow the class's, so no other client sees this base.
    sdk.api_url_v3 = base
    sdk.sandbox_api_url_v3 = base
    sdk.session = session
    return sdk
