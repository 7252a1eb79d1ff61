"""QuickBooks Online: python-quickbooks + intuit-oauth, one realm per connector."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from canonical.money import Money
from canonical.records import Source
from connectors.base import CheckResult, Item, Stream, check_error
from connectors.errors import ConnectorConfigError, ConnectorError, PermanentError
from connectors.quickbooks.auth import IntuitRefresher
from connectors.quickbooks.client import QuickBooksClient
from connectors.quickbooks.config import QuickBooksConfig
from connectors.quickbooks.policy import NOT_FOUND
from connectors.quickbooks.streams import ENTITIES, QuickBooksStream
from connectors.quickbooks.throttle import RealmThrottle
from connectors.quickbooks.tokens import (
    MemoryTokenStore,
    Refresher,
    TokenKeeper,
    TokenState,
    TokenStore,
)
from connectors.quickbooks.webhooks import (
    Notification,
    QuickBooksWebhookError,
    parse_notifications,
    verify_signature,
)
from connectors.quickbooks.writeback import record_payment


class QuickBooksConnector:
    source = Source.QUICKBOOKS

    def __init__(
        self,
        config: QuickBooksConfig,
        token_store: TokenStore | None = None,
        *,
        throttle: RealmThrottle | None = None,
        refresher: Refresher | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self._intuit: IntuitRefresher | None = None
        if refresher is None:
            self._intuit = refresher = IntuitRefresher(config)
        self.tokens = TokenKeeper(
            config.realm_id,
            token_store if token_store is not None else MemoryTokenStore(),
            refresher,
            initial_refresh_token=config.refresh_token,
            initial_access_token=config.access_token,
            clock=clock,
        )
        self.client = QuickBooksClient(config, self.tokens, throttle, sleep)
        self._clock = clock

    def streams(self, objects: Sequence[str] | None = None) -> Sequence[Stream]:
        wanted = ENTITIES if objects is None else objects
        unknown = sorted(set(wanted) - set(ENTITIES))
        if unknown:
            raise ConnectorConfigError(
                f"unknown QuickBooks objects: {', '.join(unknown)} (known: {', '.join(ENTITIES)})",
                vendor="quickbooks",
            )
        return [
            QuickBooksStream(
                self.client,
                entity,
                page_size=self.config.page_size,
                cdc_lookback=timedelta(days=self.config.cdc_lookback_days),
                clock=self._clock,
            )
            for entity in ENTITIES
            if entity in wanted
        ]

    def check(self) -> CheckResult:
        api_version = f"v3 minorversion {self.config.minor_version}"
        try:
            info = self.client.company_info()
        except ConnectorError as exc:
            # No headroom: it is this process's own count, which says nothing while failing.
            return CheckResult(
                self.source, ok=False, api_version=api_version, error=check_error(exc)
            )
        company = info.get("CompanyInfo") or {}
        return CheckResult(
            self.source,
            ok=True,
            account=f"{company.get('CompanyName', '?')} (realm {self.config.realm_id})",
            api_version=api_version,
            headroom=self.client.throttle.headroom(),
        )

    def fetch(self, entity: str, entity_id: str) -> Item | None:
        """The entity as it is now, for a webhook notification; None if QBO no longer has it."""
        try:
            body = self.client.read(entity, entity_id)
        except PermanentError as exc:
            if exc.code == NOT_FOUND or exc.status == 404:
                return None
            raise
        payload = body.get(entity)
        if not isinstance(payload, dict):
            raise PermanentError(
                f"read {entity} {entity_id} answered without the {entity}",
                vendor="quickbooks",
                detail=str(sorted(body))[:200],
            )
        return Item(entity, payload)

    def record_payment(
        self,
        customer_id: str,
        invoice_id: str,
        amount: Money,
        txn_date: date,
        reference: str,
        request_id: str,
    ) -> str:
        return record_payment(
            self.client, customer_id, invoice_id, amount, txn_date, reference, request_id
        )

    def close(self) -> None:
        self.client.close()
        if self._intuit is not None:
            self._intuit.close()


__all__ = [
    "MemoryTokenStore",
    "Notification",
    "QuickBooksConfig",
    "QuickBooksConnector",
    "QuickBooksWebhookError",
    "TokenState",
    "TokenStore",
    "parse_notifications",
    "verify_signature",
]
