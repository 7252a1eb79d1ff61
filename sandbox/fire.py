"""The client side of `revcycle sandbox fire`: ask the emulators to play webhook scenarios.

A scenario name routes to a vendor: `stripe.<name>`, `salesforce.<name>`, `quickbooks.<name>`;
a bare name means Stripe; `all` plays every vendor's `burst`. Each emulator mutates its state,
delivers to `<to>/webhooks/<vendor>` and reports what the hub answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

VENDORS = ("stripe", "salesforce", "quickbooks")


class FireError(RuntimeError):
    """A scenario could not be fired: an unreachable emulator, or one that answered oddly."""


class ScenarioRefused(FireError):
    """Bad input: an unknown vendor or scenario, or a hub URL the emulator would not use."""

    def __init__(self, message: str, param: str = "--scenario") -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class FiredDelivery:
    vendor: str
    scenario: str
    id: str
    type: str
    status: int
    attempts: int


def route_scenarios(name: str) -> list[tuple[str, str]]:
    """`stripe.duplicates` -> [("stripe", "duplicates")]; `all` -> every vendor's burst."""
    name = name.strip()
    if name == "all":
        return [(vendor, "burst") for vendor in VENDORS]
    vendor, dot, scenario = name.partition(".")
    if not dot:
        vendor, scenario = "stripe", name
    if vendor not in VENDORS:
        raise ScenarioRefused(
            f"unknown vendor {vendor!r} in {name!r}; use one of {', '.join(VENDORS)}"
        )
    if not scenario:
        raise ScenarioRefused(f"no scenario named in {name!r}")
    return [(vendor, scenario)]


def emulator_urls(stripe_url: str, env: dict[str, str]) -> dict[str, str]:
    """Where each emulator listens: from the sandbox env file's settings, else the ports after
    Stripe's (the layout `revcycle sandbox serve` uses)."""
    parts = urlsplit(stripe_url.rstrip("/"))
    scheme, host, port = parts.scheme, parts.hostname, parts.port
    if scheme not in ("http", "https") or host is None or port is None:
        raise FireError(
            f"expected the Stripe emulator's URL like http://127.0.0.1:12111, got {stripe_url!r}"
        )

    def neighbour(offset: int) -> str:
        return f"{scheme}://{host}:{port + offset}"

    return {
        "stripe": f"{scheme}://{parts.netloc}",
        "salesforce": _origin(env.get("SALESFORCE_INSTANCE_URL")) or neighbour(1),
        "quickbooks": _origin(env.get("QUICKBOOKS_API_BASE")) or neighbour(2),
    }


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None


def fire(
    to: str, scenario: str, urls: dict[str, str], *, timeout_s: float = 120.0
) -> list[FiredDelivery]:
    """Play `scenario` against the hub at `to`; returns every delivery the emulators made."""
    if not to.startswith(("http://", "https://")):
        raise ScenarioRefused(
            f"expected the hub's base URL like http://127.0.0.1:8000, got {to!r}", param="--to"
        )
    fired: list[FiredDelivery] = []
    with httpx.Client(timeout=timeout_s) as client:
        for vendor, name in route_scenarios(scenario):
            for row in _fire_one(client, urls[vendor], to, name):
                fired.append(_delivery(vendor, name, row))
    return fired


def _fire_one(client: httpx.Client, base: str, to: str, scenario: str) -> list[dict[str, Any]]:
    url = base.rstrip("/") + "/_sandbox/fire"
    try:
        response = client.post(url, json={"to": to, "scenario": scenario})
    except httpx.HTTPError as exc:
        raise FireError(f"cannot reach the emulator at {base}: {exc}") from exc
    if response.status_code == 400:
        raise ScenarioRefused(f"{base} refused scenario {scenario!r}: {_reason(response)}")
    if response.status_code != 200:
        raise FireError(f"{base} failed scenario {scenario!r}: {_reason(response)}")
    deliveries = response.json().get("deliveries")
    if not isinstance(deliveries, list):
        raise FireError(f"{base} answered without a list of deliveries")
    return deliveries


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    error = body.get("error") if isinstance(body, dict) else None
    return str(error) if error else f"HTTP {response.status_code}"


def _delivery(vendor: str, scenario: str, row: dict[str, Any]) -> FiredDelivery:
    return FiredDelivery(
        vendor=vendor,
        scenario=scenario,
        id=str(row.get("id", "")),
        type=str(row.get("type", "")),
        status=int(row.get("status") or 0),
        attempts=int(row.get("attempts") or 0),
    )
