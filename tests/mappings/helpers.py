"""Shared loaders for the mapping tests: recorded payloads and Stripe's official fixtures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from tests.shared_fixtures import STRIPE_FIXTURES

PAYLOADS = Path(__file__).parent / "payloads"
READ_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@cache
def _stripe_resources() -> dict[str, Any]:
    resources: dict[str, Any] = json.loads(STRIPE_FIXTURES.read_text())["resources"]
    return resources


def stripe_fixture(name: str) -> dict[str, Any]:
    """A fresh deep copy of Stripe's example `name` object, safe to mutate."""
    copied: dict[str, Any] = json.loads(json.dumps(_stripe_resources()[name]))
    return copied


def recorded(source: str, name: str, *, decimals: bool = False) -> dict[str, Any]:
    """A recorded payload; QuickBooks files hold a read envelope, unwrapped here.

    `decimals=True` parses numbers as the JSON text wrote them (`parse_float=Decimal`), the other
    way a connector may read QuickBooks amounts.
    """
    text = (PAYLOADS / source / f"{name}.json").read_text()
    data: dict[str, Any] = json.loads(text, parse_float=Decimal) if decimals else json.loads(text)
    if source == "quickbooks":
        entity = name.split("_", 1)[0]
        unwrapped: dict[str, Any] = data[entity]
        return unwrapped
    return data
