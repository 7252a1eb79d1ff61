"""The Stripe connector: eleven streams over the list and events APIs, and webhook checks."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import stripe

from canonical.records import Source
from connectors.base import CheckResult, Stream, check_error
from connectors.errors import ConnectorConfigError, ConnectorError, PermanentError
from connectors.stripe.client import JSON, VENDOR, StripeApi
from connectors.stripe.config import StripeConfig
from connectors.stripe.streams import (
    SPECS,
    SPECS_BY_NAME,
    Clock,
    StreamSettings,
    StripeStream,
    utc_now,
)
from connectors.stripe.webhooks import StripeWebhookError, verify_stripe

STREAM_NAMES: tuple[str, ...] = tuple(spec.name for spec in SPECS)


class StripeConnector:
    source = Source.STRIPE

    def __init__(
        self,
        config: StripeConfig,
        *,
        http_client: stripe.HTTPClient | None = None,
        now: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        problems = config.problems()
        if problems:
            raise ConnectorConfigError("; ".join(problems), vendor=VENDOR)
        self.config = config
        self.api = StripeApi(config, http_client=http_client, sleep=sleep)
        self._now = now
        self._settings = StreamSettings(
            page_size=config.page_size,
            events_window_s=config.events_window_s,
            relist_lookback_s=config.balance_lookback_s,
        )

    def streams(self, objects: Sequence[str] | None = None) -> Sequence[Stream]:
        wanted = set(STREAM_NAMES if objects is None else objects)
        unknown = wanted - set(STREAM_NAMES)
        if unknown:
            raise ConnectorConfigError(
                f"unknown Stripe object(s): {', '.join(sorted(unknown))}; "
                f"known: {', '.join(STREAM_NAMES)}",
                vendor=VENDOR,
            )
        return [
            StripeStream(SPECS_BY_NAME[name], self.api, self._settings, self._now)
            for name in STREAM_NAMES
            if name in wanted
        ]

    def check(self) -> CheckResult:
        """`GET /v1/account`; a restricted key (or an emulator) without it falls back to the
        balance, which every key with read access can see."""
        mode = "test" if self.config.test_mode else "live"
        extra = {"mode": mode}
        try:
            try:
                account = self.api.get("/v1/account")
                name = _account_name(account)
            except PermanentError as exc:
                if exc.status not in (403, 404):
                    raise
                self.api.get("/v1/balance")
                name = None
        except ConnectorError as exc:
            return CheckResult(
                self.source,
                ok=False,
                api_version=stripe.api_version,
                error=check_error(exc),
                extra=extra,
            )
        return CheckResult(
            self.source, ok=True, account=name, api_version=stripe.api_version, extra=extra
        )

    def close(self) -> None:
        self.api.close()


def _account_name(account: JSON) -> str:
    settings = account.get("settings") or {}
    profile = account.get("business_profile") or {}
    display = (settings.get("dashboard") or {}).get("display_name") or profile.get("name")
    return f"{display} ({account['id']})" if display else str(account["id"])


__all__ = [
    "STREAM_NAMES",
    "StripeConfig",
    "StripeConnector",
    "StripeWebhookError",
    "verify_stripe",
]
