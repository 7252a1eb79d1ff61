"""Settings of the Stripe connector; the hub builds one from its own settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DEFAULT_API_BASE = "https://api.stripe.com"
# Stripe's published default limits (requests per second, per account).
TEST_MODE_RATE = 25.0
LIVE_MODE_RATE = 100.0
EVENTS_WINDOW_S = 30 * 24 * 3600  # Stripe keeps events for 30 days

_TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")
_KEY_PREFIXES = ("sk_", "rk_")


@dataclass(frozen=True, slots=True)
class StripeConfig:
    """`api_key` is a secret (`sk_…`) or restricted (`rk_…`) key; Stripe keys never refresh.

    `rate_limit` is requests per second: "auto" picks Stripe's default for the key's mode (25/s in
    test mode, 100/s live); `None` switches limiting off (the sandbox can go faster).
    """

    api_key: str = field(repr=False)  # never in logs
    api_base: str = DEFAULT_API_BASE
    page_size: int = 100
    rate_limit: float | Literal["auto"] | None = "auto"
    timeout_s: float = 60.0
    max_attempts: int = 6
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    # Balance transactions emit no events: an incremental read re-lists this far back, because a
    # transaction moves from pending to available without telling anyone.
    balance_lookback_s: int = 7 * 24 * 3600
    events_window_s: int = EVENTS_WINDOW_S

    @property
    def test_mode(self) -> bool:
        return self.api_key.startswith(_TEST_KEY_PREFIXES)

    @property
    def requests_per_second(self) -> float | None:
        if self.rate_limit == "auto":
            return TEST_MODE_RATE if self.test_mode else LIVE_MODE_RATE
        return self.rate_limit

    def problems(self) -> list[str]:
        """What is wrong with these settings, in words an operator can act on."""
        found: list[str] = []
        if not self.api_key.startswith(_KEY_PREFIXES):
            found.append("the Stripe API key must be a secret (sk_…) or restricted (rk_…) key")
        if not self.api_base.startswith(("http://", "https://")):
            found.append(f"the Stripe API base must be an http(s) URL, not {self.api_base!r}")
        if not 1 <= self.page_size <= 100:
            found.append("the Stripe page size must be between 1 and 100")
        rate = self.requests_per_second
        if rate is not None and rate <= 0:
            found.append("the Stripe rate limit must be positive (or None to switch it off)")
        return found
