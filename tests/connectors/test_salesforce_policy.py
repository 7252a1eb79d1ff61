"""Salesforce's retry table, tested as a table, and the translation of SDK errors into it."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from connectors.errors import AuthError, PermanentError, RateLimited, TransientError
from connectors.policy import Action, Signal
from connectors.salesforce.policy import POLICY, translate


def sf_error(status: int, code: str, message: str = "vendor words") -> Any:
    # simple-salesforce hands exceptions the parsed JSON body, though it annotates bytes.
    return [{"errorCode": code, "message": message}]


@pytest.mark.parametrize(
    ("signal", "action"),
    [
        (Signal(status=403, code="REQUEST_LIMIT_EXCEEDED"), Action.RATE_LIMITED),
        (Signal(status=429), Action.RATE_LIMITED),
        (Signal(status=401, code="INVALID_SESSION_ID"), Action.REFRESH_TOKEN),
        (Signal(status=401), Action.REFRESH_TOKEN),
        (Signal(status=403, code="invalid_token"), Action.REFRESH_TOKEN),
        (Signal(status=400, code="UNABLE_TO_LOCK_ROW"), Action.RETRY),
        (Signal(status=503, code="SERVER_UNAVAILABLE"), Action.RETRY),
        (Signal(status=500, code="UNKNOWN_EXCEPTION"), Action.RETRY),
        (Signal(status=502), Action.RETRY),
        (Signal(exception="ConnectionError"), Action.RETRY),
        (Signal(exception="Timeout"), Action.RETRY),
        (Signal(status=400, code="INVALID_QUERY_LOCATOR"), Action.FAIL),
        (Signal(status=400, code="invalid_grant"), Action.FAIL),
        (Signal(status=400, code="invalid_client_id"), Action.FAIL),
        (Signal(status=400, code="MALFORMED_QUERY"), Action.FAIL),
        (Signal(status=400, code="INVALID_FIELD"), Action.FAIL),
        (Signal(status=403, code="INSUFFICIENT_ACCESS"), Action.FAIL),
        (Signal(status=404, code="NOT_FOUND"), Action.FAIL),
        (Signal(status=300), Action.FAIL),
    ],
)
def test_salesforce_retry_table(signal: Signal, action: Action) -> None:
    assert POLICY.resolve(signal).action is action


def test_retry_after_is_kept_from_the_response_headers() -> None:
    exc = SalesforceGeneralError("u", 503, "query", sf_error(503, "SERVER_UNAVAILABLE"))
    failure = translate(exc, "read Account", {"Retry-After": "4"})
    assert failure.signal.headers["Retry-After"] == "4"
    assert POLICY.resolve(failure.signal).retry_after == 4.0


@pytest.mark.parametrize(
    ("exc", "error_class", "code"),
    [
        (
            SalesforceRefusedRequest("u", 403, "query", sf_error(403, "REQUEST_LIMIT_EXCEEDED")),
            RateLimited,
            "REQUEST_LIMIT_EXCEEDED",
        ),
        (
            SalesforceExpiredSession("u", 401, "query", sf_error(401, "INVALID_SESSION_ID")),
            AuthError,
            "INVALID_SESSION_ID",
        ),
        (
            SalesforceGeneralError("u", 503, "query", sf_error(503, "SERVER_UNAVAILABLE")),
            TransientError,
            "SERVER_UNAVAILABLE",
        ),
        (
            SalesforceMalformedRequest("u", 400, "query", sf_error(400, "INVALID_FIELD")),
            PermanentError,
            "INVALID_FIELD",
        ),
    ],
)
def test_sdk_errors_become_the_connector_family(
    exc: SalesforceError, error_class: type[Exception], code: str
) -> None:
    failure = translate(exc, "read Account")
    assert type(failure.error) is error_class
    assert failure.error.code == code
    assert failure.error.detail == "vendor words"
    assert "read Account" in str(failure.error)


def test_text_error_body_is_kept_as_detail() -> None:
    exc = SalesforceGeneralError("u", 502, "query", b"<html>Bad Gateway</html>")
    failure = translate(exc, "read Lead")
    assert failure.signal.code is None
    assert failure.error.detail == "<html>Bad Gateway</html>"
    assert isinstance(failure.error, TransientError)


@pytest.mark.parametrize(
    ("exc", "name"),
    [
        (requests.ConnectTimeout("slow"), "Timeout"),
        (requests.ReadTimeout("slow"), "Timeout"),
        (requests.ConnectionError("refused"), "ConnectionError"),
        (requests.exceptions.ChunkedEncodingError("cut"), "ConnectionError"),
    ],
)
def test_network_failures_are_transient(exc: requests.RequestException, name: str) -> None:
    failure = translate(exc, "read Lead")
    assert failure.signal.exception == name
    assert isinstance(failure.error, TransientError)
