"""Webhook scenarios: change the org's state, then notify the hub as Salesforce would.

Outbound Messages (SOAP) go to `<to>/webhooks/salesforce?token=<webhook_token>`; the Flow callout
scenario posts JSON with the shared secret in `X-Revcycle-Token`. Scenario names starting with
`forged` send deliveries the hub must refuse (wrong OrganizationId or wrong token).
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from sandbox.emulators.salesforce.ids import make_id
from sandbox.emulators.salesforce.outbound import (
    MAX_NOTIFICATIONS,
    Message,
    deliver,
    envelope,
    is_ack,
)
from sandbox.emulators.salesforce.state import SalesforceState

Record = dict[str, Any]
Delivery = dict[str, Any]
BURST_SIZE = 250
_SOAP_HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
_ACTION_ID = make_id("04k", 1)
_FORGED_ORG_ID = make_id("00D", 999_999)
_FORGED_TOKEN = "not-the-webhook-token"  # noqa: S105 (a deliberately wrong value)


class ScenarioError(ValueError):
    """The scenario cannot run on this data (for example, no open opportunity is left)."""


@dataclass
class FireContext:
    state: SalesforceState
    client: httpx.AsyncClient
    to: str  # the hub's base URL
    base_url: str  # this emulator's base URL, for EnterpriseUrl and PartnerUrl

    def hook_url(self, token: str) -> str:
        return f"{self.to}/webhooks/salesforce?token={token}"


Scenario = Callable[[FireContext], Awaitable[list[Delivery]]]


def win_opportunity(state: SalesforceState) -> Record:
    """Move the first open Opportunity to Closed Won, today."""
    for record in state.store.collections["Opportunity"].values():
        if not record.get("IsClosed") and not record.get("IsDeleted"):
            return state.store.patch(
                "Opportunity",
                record["Id"],
                {
                    "StageName": "Closed Won",
                    "IsClosed": True,
                    "IsWon": True,
                    "Probability": 100,
                    "ForecastCategory": "Closed",
                    "ForecastCategoryName": "Closed",
                    "CloseDate": datetime.now(UTC).date().isoformat(),
                },
            )
    raise ScenarioError("no open Opportunity left to win")


def _message(ctx: FireContext, records: list[Record], organization_id: str = "") -> Message:
    config = ctx.state.config
    org = organization_id or config.organization_id
    ctx.state.outbound_sequence += 1
    first = ctx.state.outbound_sequence * MAX_NOTIFICATIONS
    return Message(
        organization_id=org,
        action_id=_ACTION_ID,
        enterprise_url=f"{ctx.base_url}/services/Soap/c/{config.api_version}/{org[:15]}",
        partner_url=f"{ctx.base_url}/services/Soap/u/{config.api_version}/{org[:15]}",
        notifications=[(make_id("04l", first + i), r) for i, r in enumerate(records)],
    )


async def _send(ctx: FireContext, message: Message, token: str = "") -> Delivery:
    config = ctx.state.config
    outcome = await deliver(
        ctx.client,
        ctx.hook_url(token or config.webhook_token),
        envelope(message),
        _SOAP_HEADERS,
        attempts=config.delivery_attempts,
        backoff_s=config.delivery_backoff_s,
        accepted=is_ack,
    )
    return {
        "id": message.notifications[0][0],
        "type": "outbound_message",
        "status": outcome.status,
        "attempts": outcome.attempts,
        "notifications": len(message.notifications),
    }


async def opportunity_won(ctx: FireContext) -> list[Delivery]:
    return [await _send(ctx, _message(ctx, [win_opportunity(ctx.state)]))]


async def duplicates(ctx: FireContext) -> list[Delivery]:
    message = _message(ctx, [win_opportunity(ctx.state)])
    return [await _send(ctx, message), await _send(ctx, message)]


async def forged(ctx: FireContext) -> list[Delivery]:
    """No state change: these deliveries do not come from the org."""
    opportunities = ctx.state.store.collections["Opportunity"].values()
    record = next(iter(opportunities), None)
    if record is None:
        raise ScenarioError("no Opportunity to quote in a forged message")
    wrong_org = await _send(ctx, _message(ctx, [record], organization_id=_FORGED_ORG_ID))
    wrong_token = await _send(ctx, _message(ctx, [record]), token=_FORGED_TOKEN)
    return [wrong_org, wrong_token]


async def burst(ctx: FireContext) -> list[Delivery]:
    """Touch many opportunities at once (a mass update), notified 100 per message."""
    store = ctx.state.store
    live = (r for r in store.collections["Opportunity"].values() if not r.get("IsDeleted"))
    touched = [store.patch("Opportunity", r["Id"], {}) for r in itertools.islice(live, BURST_SIZE)]
    if not touched:
        raise ScenarioError("no Opportunity to touch")
    chunks = [touched[i : i + MAX_NOTIFICATIONS] for i in range(0, len(touched), MAX_NOTIFICATIONS)]
    return [await _send(ctx, _message(ctx, chunk)) for chunk in chunks]


async def flow_opportunity_won(ctx: FireContext) -> list[Delivery]:
    """A record-triggered Flow's HTTP callout: JSON, one attempt, secret in a header."""
    record = win_opportunity(ctx.state)
    config = ctx.state.config
    body = orjson.dumps(
        {
            "organizationId": config.organization_id,
            "event": "opportunity_won",
            "sObjectType": "Opportunity",
            "records": [record],
        }
    )
    headers = {"Content-Type": "application/json", "X-Revcycle-Token": config.webhook_token}
    outcome = await deliver(
        ctx.client,
        f"{ctx.to}/webhooks/salesforce",
        body,
        headers,
        attempts=1,
        backoff_s=0,
        accepted=lambda response: response.is_success,
    )
    return [{"id": record["Id"], "type": "flow_callout", "status": outcome.status, "attempts": 1}]


SCENARIOS: dict[str, Scenario] = {
    "opportunity_won": opportunity_won,
    "duplicates": duplicates,
    "forged": forged,
    "burst": burst,
    "flow_opportunity_won": flow_opportunity_won,
}
