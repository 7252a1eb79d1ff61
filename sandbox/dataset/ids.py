"""Identifiers and timestamps in each vendor's own format, drawn from the seeded generator.

Stripe ids are `prefix_` + 24 base62 characters; Salesforce ids are 15 characters (key prefix,
pod, a reserved zero, a 9-character counter) plus the 3-character case-safe checksum that makes
them 18; QuickBooks ids are per-entity decimal counters, as a fresh company file hands them out.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime

from sandbox.salesforce_ids import KEY_PREFIXES, case_safe

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SF_POD = "5g"


_PAIRS = tuple(a + b for a in BASE62 for b in BASE62)


def base62(number: int, width: int) -> str:
    """`number` in `width` base62 digits (most significant first), two digits per step."""
    chunks = []
    for _ in range((width + 1) // 2):
        number, pair = divmod(number, 3844)
        chunks.append(_PAIRS[pair])
    return "".join(reversed(chunks))[-width:]


class IdFactory:
    """Hands out ids; all randomness comes from the generator's seeded `random.Random`."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._sf_counters: Counter[str] = Counter()
        self._qbo_counters: Counter[str] = Counter()
        self._stripe_counter = 0

    def stripe(self, prefix: str) -> str:
        # 24 characters: an account-looking stem, a counter that guarantees uniqueness, noise.
        self._stripe_counter += 1
        noise = base62(self._rng.getrandbits(80), 13)
        return f"{prefix}_{'1Q'}{base62(self._stripe_counter, 9)}{noise}"

    def salesforce(self, sobject: str) -> str:
        self._sf_counters[sobject] += 1
        # Counters are scrambled by a bijection so neighbouring records don't look sequential;
        # the per-type offset keeps an Account and an Opportunity from sharing a tail.
        offset = int(KEY_PREFIXES[sobject], 36) * 104_729
        scrambled = ((self._sf_counters[sobject] + offset) * 0x2545F491) % (62**9)
        id15 = f"{KEY_PREFIXES[sobject]}{_SF_POD}0{base62(scrambled, 9)}"
        return case_safe(id15)

    def quickbooks(self, entity: str) -> str:
        self._qbo_counters[entity] += 1
        return str(self._qbo_counters[entity] + (100 if entity != "Account" else 0))

    def token(self, width: int) -> str:
        return base62(self._rng.getrandbits(6 * width), width)

    def hex_upper(self, width: int) -> str:
        return f"{self._rng.getrandbits(4 * width):0{width}X}"


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def sf_datetime(seconds: int) -> str:
    """Salesforce REST datetime: `2026-03-01T12:00:00.000+0000`."""
    return from_epoch(seconds).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def qbo_datetime(seconds: int) -> str:
    """QuickBooks MetaData time; the sandbox company keeps its books in UTC."""
    return from_epoch(seconds).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def day_of(seconds: int) -> date:
    return from_epoch(seconds).date()


def day_start(day: date) -> int:
    return epoch(datetime(day.year, day.month, day.day, tzinfo=UTC))
