"""Stripe's retry policy: Stripe's own rules first, then the ones every vendor shares.

Stripe tells clients whether a retry makes sense with the `Stripe-Should-Retry` header; when it
is present it decides, whatever the status. Otherwise: 409 conflicts and 429 lock timeouts are
worth another try (stripe-python retries them too), a plain 429 waits for `Retry-After`, and a 401
fails at once, because a Stripe key cannot be refreshed.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.policy import COMMON_RULES, Action, Resolution, RetryPolicy, Rule, Signal

SHOULD_RETRY_HEADER = "stripe-should-retry"

STRIPE_RULES: tuple[Rule, ...] = (
    Rule(Action.FAIL, "the API key was rejected; Stripe keys do not refresh", status=401),
    Rule(Action.FAIL, "the API key lacks a permission", status=403),
    Rule(Action.RETRY, "lock timeout on a busy object", status=429, code="lock_timeout"),
    Rule(Action.RETRY, "conflicting concurrent request", status=409),
    *COMMON_RULES,
)


@dataclass(frozen=True, slots=True)
class StripeRetryPolicy(RetryPolicy):
    """A `RetryPolicy` that lets `Stripe-Should-Retry` overrule the table."""

    def resolve(self, signal: Signal) -> Resolution:
        verdict = _header(signal, SHOULD_RETRY_HEADER)
        if verdict == "false":
            return Resolution(Action.FAIL, "Stripe-Should-Retry: false")
        resolution = RetryPolicy.resolve(self, signal)
        if verdict == "true" and resolution.action is Action.FAIL:
            return Resolution(Action.RETRY, "Stripe-Should-Retry: true", resolution.retry_after)
        return resolution


def _header(signal: Signal, name: str) -> str | None:
    for key, value in signal.headers.items():
        if key.lower() == name:
            return value.strip().lower()
    return None


def stripe_policy(
    max_attempts: int = 6, base_delay: float = 0.5, max_delay: float = 30.0
) -> StripeRetryPolicy:
    return StripeRetryPolicy(STRIPE_RULES, max_attempts, base_delay, max_delay)
