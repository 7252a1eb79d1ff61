"""Stripe's retry policy, as a table, and the translation of stripe-python's errors."""

from __future__ import annotations

import pytest
import stripe

from connectors.errors import AuthError, PermanentError, RateLimited, TransientError
from connectors.policy import Action, Failure, Signal, run_with_policy
from connectors.stripe.client import error_of, signal_of
from connectors.stripe.config import StripeConfig
from connectors.stripe.policy import stripe_policy

POLICY = stripe_policy(max_attempts=3, base_delay=0.01, max_delay=0.05)
RETRY_TRUE = {"Stripe-Should-Retry": "true"}
RETRY_FALSE = {"Stripe-Should-Retry": "false"}


@pytest.mark.parametrize(
    ("status", "code", "exception", "headers", "action"),
    [
        (429, "rate_limit", None, {"Retry-After": "2"}, Action.RATE_LIMITED),
        (429, None, None, {}, Action.RATE_LIMITED),
        (429, "lock_timeout", None, {}, Action.RETRY),
        (409, None, None, RETRY_TRUE, Action.RETRY),
        (400, "idempotency_error", None, RETRY_TRUE, Action.RETRY),
        (409, None, None, {}, Action.RETRY),
        (409, None, None, RETRY_FALSE, Action.FAIL),
        (500, None, None, RETRY_FALSE, Action.FAIL),
        (429, None, None, RETRY_FALSE, Action.FAIL),
        (401, "api_key_expired", None, {}, Action.FAIL),
        (401, None, None, {}, Action.FAIL),
        (403, None, None, {}, Action.FAIL),
        (500, None, None, {}, Action.RETRY),
        (502, None, None, {}, Action.RETRY),
        (503, None, None, {"stripe-should-retry": "TRUE"}, Action.RETRY),
        (None, None, "ConnectionError", {}, Action.RETRY),
        (400, "parameter_invalid_integer", None, {}, Action.FAIL),
        (404, "resource_missing", None, {}, Action.FAIL),
    ],
)
def test_stripe_policy_table(
    status: int | None,
    code: str | None,
    exception: str | None,
    headers: dict[str, str],
    action: Action,
) -> None:
    signal = Signal(status=status, code=code, exception=exception, headers=headers)
    assert POLICY.resolve(signal).action is action


def test_rate_limit_resolution_carries_retry_after() -> None:
    resolution = POLICY.resolve(Signal(status=429, headers={"Retry-After": "3"}))
    assert resolution.retry_after == 3.0


def _stripe_error(
    kind: type[stripe.StripeError], status: int, **kwargs: object
) -> stripe.StripeError:
    body = {"error": {"message": "Stripe says no", "type": "invalid_request_error"}}
    return kind(
        "Stripe says no",
        http_status=status,
        json_body=body,
        headers={"request-id": "req_123", **kwargs.pop("headers", {})},  # type: ignore[dict-item]
        **kwargs,
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_stripe_error(stripe.AuthenticationError, 401), AuthError),
        (_stripe_error(stripe.PermissionError, 403), AuthError),
        (_stripe_error(stripe.RateLimitError, 429), RateLimited),
        (_stripe_error(stripe.APIError, 500), TransientError),
        (
            _stripe_error(stripe.InvalidRequestError, 400, code="resource_missing", param="id"),
            PermanentError,
        ),
        (stripe.APIConnectionError("connection reset"), TransientError),
    ],
)
def test_stripe_errors_translate_to_the_connector_family(
    error: stripe.StripeError, expected: type[Exception]
) -> None:
    translated = error_of(error, "/v1/invoices")
    assert type(translated) is expected
    assert translated.vendor == "stripe"
    assert translated.detail == error.user_message


def test_translation_keeps_status_code_and_request_id() -> None:
    error = _stripe_error(stripe.InvalidRequestError, 404, code="resource_missing", param="id")
    translated = error_of(error, "/v1/invoices/in_1")
    assert (translated.status, translated.code, translated.request_id) == (
        404,
        "resource_missing",
        "req_123",
    )
    assert "HTTP 404" in str(translated)


def test_connection_error_signals_a_network_failure() -> None:
    assert signal_of(stripe.APIConnectionError("reset")) == Signal(exception="ConnectionError")


def test_should_retry_header_reaches_the_signal() -> None:
    error = _stripe_error(stripe.APIError, 409, headers={"stripe-should-retry": "true"})
    assert signal_of(error).headers["stripe-should-retry"] == "true"


def test_unauthorised_fails_at_once_as_auth_error_without_refresh() -> None:
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        error = _stripe_error(stripe.AuthenticationError, 401)
        raise Failure(signal_of(error), error_of(error, "/v1/charges"))

    with pytest.raises(AuthError):
        run_with_policy(call, POLICY, sleep=lambda s: None)
    assert len(calls) == 1


def test_should_retry_true_conflict_retries_then_gives_the_transient_error() -> None:
    sleeps: list[float] = []

    def call() -> str:
        error = _stripe_error(stripe.APIError, 409, headers={"stripe-should-retry": "true"})
        raise Failure(signal_of(error), error_of(error, "/v1/charges"))

    with pytest.raises(TransientError):
        run_with_policy(call, POLICY, sleep=sleeps.append)
    assert len(sleeps) == POLICY.max_attempts - 1


@pytest.mark.parametrize(
    ("key", "rate_limit", "expected"),
    [
        ("sk_test_abc", "auto", 25.0),
        ("rk_test_abc", "auto", 25.0),
        ("sk_live_abc", "auto", 100.0),
        ("rk_live_abc", "auto", 100.0),
        ("sk_test_abc", 7.5, 7.5),
        ("sk_live_abc", None, None),
    ],
)
def test_rate_limit_follows_the_key_mode_unless_configured(
    key: str, rate_limit: float | str | None, expected: float | None
) -> None:
    config = StripeConfig(api_key=key, rate_limit=rate_limit)  # type: ignore[arg-type]
    assert config.requests_per_second == expected


def test_config_repr_hides_the_key() -> None:
    assert "sk_test_secret" not in repr(StripeConfig(api_key="sk_test_secret"))


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"api_key": "pk_test_abc"}, "secret (sk_…) or restricted (rk_…)"),
        ({"api_base": "api.stripe.com"}, "http(s) URL"),
        ({"page_size": 101}, "between 1 and 100"),
        ({"rate_limit": 0}, "positive"),
    ],
)
def test_config_problems_name_the_setting(overrides: dict[str, object], problem: str) -> None:
    settings: dict[str, object] = {"api_key": "sk_test_abc", **overrides}
    problems = StripeConfig(**settings).problems()  # type: ignore[arg-type]
    assert any(problem in p for p in problems)


def test_error_code_is_read_from_the_body_when_the_sdk_drops_it() -> None:
    body = {
        "error": {"message": "Too many", "type": "invalid_request_error", "code": "lock_timeout"}
    }
    error = stripe.RateLimitError("Too many", http_status=429, json_body=body, headers={})
    assert signal_of(error).code == "lock_timeout"
    assert POLICY.resolve(signal_of(error)).action is Action.RETRY
