"""Salesforce's retry table, and the translation of simple-salesforce / requests errors into it.

REST errors are a JSON list `[{"message", "errorCode"}]`; the first entry's `errorCode` is the
`Signal.code`. Salesforce-specific rows come first, then the rules every vendor shares.
Reference: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from simple_salesforce.exceptions import SalesforceError

from connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimited,
    TransientError,
)
from connectors.policy import COMMON_RULES, Action, Failure, RetryPolicy, Rule, Signal

VENDOR = "salesforce"

SALESFORCE_RULES: tuple[Rule, ...] = (
    # The org's API quota is spent; Salesforce says so with a 403, not a 429.
    Rule(Action.RATE_LIMITED, "API request limit exceeded", code="REQUEST_LIMIT_EXCEEDED"),
    Rule(Action.REFRESH_TOKEN, "session expired or invalid", status=401, code="INVALID_SESSION_ID"),
    # The OAuth endpoints (userinfo) say it their own way, with a 403.
    Rule(Action.REFRESH_TOKEN, "access token expired or invalid", code="invalid_token"),
    # Another transaction holds the row; Salesforce's own advice is to try again.
    Rule(Action.RETRY, "record locked by another transaction", code="UNABLE_TO_LOCK_ROW"),
    Rule(Action.RETRY, "server unavailable", code="SERVER_UNAVAILABLE"),
    # A query cursor lives 15 minutes; the stream's checkpoint, not a retry, resumes the read.
    Rule(Action.FAIL, "query cursor expired", code="INVALID_QUERY_LOCATOR"),
    # An OAuth grant rejected by the token endpoint will not be accepted on a second try.
    Rule(Action.FAIL, "credentials rejected", code="invalid_grant"),
    Rule(Action.FAIL, "client id rejected", code="invalid_client_id"),
    Rule(Action.FAIL, "client credentials rejected", code="invalid_client"),
)

_ERROR_BY_ACTION: dict[Action, type[ConnectorError]] = {
    Action.RATE_LIMITED: RateLimited,
    Action.RETRY: TransientError,
    Action.REFRESH_TOKEN: AuthError,
    Action.FAIL: PermanentError,
}


def salesforce_policy(
    max_attempts: int = 6, base_delay: float = 0.5, max_delay: float = 30.0
) -> RetryPolicy:
    return RetryPolicy(
        SALESFORCE_RULES + COMMON_RULES,
        max_attempts=max_attempts,
        base_delay=base_delay,
        max_delay=max_delay,
    )


POLICY = salesforce_policy()


def error_code_and_message(content: Any) -> tuple[str | None, str | None]:
    """The vendor's code and words from a REST (`[{errorCode, message}]`) or OAuth error body."""
    if isinstance(content, list) and content and isinstance(content[0], Mapping):
        content = content[0]
    if isinstance(content, Mapping):
        code = content.get("errorCode") or content.get("error")
        message = content.get("message") or content.get("error_description")
        return (str(code) if code else None, str(message) if message else None)
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    return None, (str(content)[:500] or None) if content else None


def exception_name(exc: BaseException) -> str | None:
    """The network-failure names the common rules know."""
    if isinstance(exc, requests.Timeout):
        return "Timeout"
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return "ConnectionError"
    return None


def failure(
    operation: str,
    signal: Signal,
    detail: str | None,
    policy: RetryPolicy = POLICY,
) -> Failure:
    """A `Failure` whose error class follows from what the table says to do about it."""
    resolution = policy.resolve(signal)
    error_class = _ERROR_BY_ACTION[resolution.action]
    if signal.code in ("invalid_grant", "invalid_client_id", "invalid_client"):
        error_class = AuthError
    error = error_class(
        f"{operation}: {resolution.reason}",
        vendor=VENDOR,
        status=signal.status,
        code=signal.code,
        detail=detail,
        retry_after=resolution.retry_after,
    )
    return Failure(signal, error)


def translate(
    exc: SalesforceError | requests.RequestException,
    operation: str,
    headers: Mapping[str, str] | None = None,
    policy: RetryPolicy = POLICY,
) -> Failure:
    """Turn what simple-salesforce or requests raised into a classified `Failure`."""
    if isinstance(exc, SalesforceError):
        code, message = error_code_and_message(exc.content)
        signal = Signal(status=exc.status, code=code, headers=dict(headers or {}))
        return failure(operation, signal, message, policy)
    signal = Signal(exception=exception_name(exc) or type(exc).__name__)
    return failure(operation, signal, str(exc) or type(exc).__name__, policy)
