"""The Salesforce connector: User, Account, Contact, Lead, Opportunity and OpportunityLineItem
through simple-salesforce, with Outbound Message / Flow callout verification and Task write-back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests

from canonical.records import Source
from connectors.base import CheckResult, Item, check_error
from connectors.errors import ConnectorError
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.config import SalesforceConfig
from connectors.salesforce.objects import OBJECTS, fields_for
from connectors.salesforce.streams import Clock, SObjectStream, fetch, utc_now
from connectors.salesforce.webhooks import SalesforceWebhookError
from connectors.salesforce.writeback import create_task


class SalesforceConnector:
    source = Source.SALESFORCE

    def __init__(
        self,
        config: SalesforceConfig,
        *,
        client: SalesforceClient | None = None,
        session: requests.Session | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.config = config
        self.client = client or SalesforceClient(config, session=session)
        self._clock = clock

    def streams(self, objects: Sequence[str] | None = None) -> Sequence[SObjectStream]:
        wanted = OBJECTS if objects is None else objects
        unknown = [name for name in wanted if name not in OBJECTS]
        if unknown:
            raise ValueError(f"unknown Salesforce object(s): {', '.join(unknown)}")
        return [
            SObjectStream(self.client, name, self._fields(name), self._clock)
            for name in OBJECTS
            if name in wanted
        ]

    def fetch(self, obj: str, ids: Sequence[str]) -> list[Item]:
        """Re-read records named by a webhook (deleted ones come back with `deleted=True`)."""
        if obj not in OBJECTS:
            raise ValueError(f"unknown Salesforce object {obj!r}")
        return fetch(self.client, obj, self._fields(obj), ids)

    def create_task(
        self,
        subject: str,
        what_id: str,
        owner_id: str | None,
        priority: str,
        description: str,
        idempotency_key: str,
    ) -> str:
        return create_task(
            self.client, subject, what_id, owner_id, priority, description, idempotency_key
        )

    def check(self) -> CheckResult:
        try:
            limits = self.client.limits()
            who = self.client.userinfo()
        except ConnectorError as exc:
            return CheckResult(self.source, ok=False, error=check_error(exc))
        return CheckResult(
            self.source,
            ok=True,
            account=_account(who),
            api_version=self.config.api_version,
            headroom=_headroom(limits),
            extra={"instance": self.client.instance_url or ""},
        )

    def _fields(self, obj: str) -> tuple[str, ...]:
        return fields_for(obj, multi_currency=self.config.multi_currency)


def _account(who: Any) -> str | None:
    if not isinstance(who, dict):
        return None
    org, user = who.get("organization_id"), who.get("preferred_username")
    return " · ".join(str(part) for part in (f"org {org}" if org else None, user) if part) or None


def _headroom(limits: Any) -> str | None:
    daily = limits.get("DailyApiRequests") if isinstance(limits, dict) else None
    if not isinstance(daily, dict):
        return None
    return f"{daily.get('Remaining')}/{daily.get('Max')} daily API requests left"


__all__ = ["SalesforceConfig", "SalesforceConnector", "SalesforceWebhookError"]
