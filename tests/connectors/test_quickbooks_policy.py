import pytest

from connectors.errors import AuthError, PermanentError, RateLimited, TransientError
from connectors.policy import Action, Signal
from connectors.quickbooks.policy import (
    QUICKBOOKS_POLICY,
    failure_for_network,
    failure_for_response,
    parse_fault,
)

THROTTLED_JSON = (
    '{"Fault": {"Error": [{"Message": "message=ThrottleExceeded; errorCode=003001; '
    'statusCode=429", "Detail": "The request limit was reached.", "code": "3001"}], '
    '"type": "ValidationFault"}, "time": "2026-01-05T10:00:00.000-08:00"}'
)
THROTTLED_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2026-01-05T10:00:00">'
    '<Fault type="ValidationFault"><Error code="3001">'
    "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
    "<Detail>The request limit was reached.</Detail></Error></Fault></IntuitResponse>"
)
EXPIRED = (
    '{"fault": {"error": [{"message": "message=AuthenticationFailed; errorCode=003200; '
    'statusCode=401", "detail": "Token expired: eyJ...", "code": "3200"}], '
    '"type": "AUTHENTICATION"}}'
)
VALIDATION = (
    '{"Fault": {"Error": [{"Message": "Required param missing, need to supply the required '
    'value for the API", "Detail": "Required parameter Line.LinkedTxn is missing", '
    '"code": "2020"}], "type": "ValidationFault"}}'
)
NOT_FOUND = (
    '{"Fault": {"Error": [{"Message": "Object Not Found", "Detail": "Invoice 9", '
    '"code": "610"}], "type": "ValidationFault"}}'
)
SYSTEM = '{"Fault": {"Error": [{"Message": "oops", "code": "10000"}], "type": "SystemFault"}}'


@pytest.mark.parametrize(
    ("status", "body", "action", "error_class"),
    [
        (429, THROTTLED_JSON, Action.RATE_LIMITED, RateLimited),
        (429, THROTTLED_XML, Action.RATE_LIMITED, RateLimited),
        (400, THROTTLED_JSON, Action.RATE_LIMITED, RateLimited),
        (429, "", Action.RATE_LIMITED, RateLimited),
        (401, EXPIRED, Action.REFRESH_TOKEN, AuthError),
        (200, EXPIRED, Action.REFRESH_TOKEN, AuthError),
        (500, SYSTEM, Action.RETRY, TransientError),
        (503, "<html>Service Unavailable</html>", Action.RETRY, TransientError),
        (502, "", Action.RETRY, TransientError),
        (400, VALIDATION, Action.FAIL, PermanentError),
        (400, NOT_FOUND, Action.FAIL, PermanentError),
        (403, '{"Fault": {"Error": [{"code": "3100"}]}}', Action.FAIL, PermanentError),
    ],
)
def test_quickbooks_policy_table(
    status: int, body: str, action: Action, error_class: type[Exception]
) -> None:
    failure = failure_for_response(status, {"intuit_tid": "tid-1"}, body, what="query")

    assert QUICKBOOKS_POLICY.resolve(failure.signal).action is action
    assert type(failure.error) is error_class
    assert failure.error.request_id == "tid-1"


@pytest.mark.parametrize(
    ("signal", "action"),
    [
        (Signal(exception="ConnectionError"), Action.RETRY),
        (Signal(exception="Timeout"), Action.RETRY),
        (Signal(status=404), Action.FAIL),
    ],
)
def test_common_rules_still_apply_after_quickbooks_rules(signal: Signal, action: Action) -> None:
    assert QUICKBOOKS_POLICY.resolve(signal).action is action


def test_retry_after_header_is_honoured_for_throttling() -> None:
    failure = failure_for_response(429, {"Retry-After": "12"}, THROTTLED_JSON, what="query")

    assert QUICKBOOKS_POLICY.resolve(failure.signal).retry_after == 12.0
    assert failure.error.retry_after == 12.0


def test_xml_fault_keeps_the_vendors_words_in_detail() -> None:
    fault = parse_fault(THROTTLED_XML)

    assert fault is not None
    assert fault.code == "3001"
    assert fault.kind == "ValidationFault"
    assert fault.detail == "The request limit was reached."


def test_permanent_failure_has_a_one_line_message_and_the_vendor_detail() -> None:
    error = failure_for_response(400, {}, VALIDATION, what="record payment").error

    assert "\n" not in str(error)
    assert "record payment failed" in str(error)
    assert error.detail is not None
    assert "Line.LinkedTxn is missing" in error.detail
    assert error.code == "2020"


def test_non_fault_bodies_have_no_fault() -> None:
    assert parse_fault("not json") is None
    assert parse_fault('{"QueryResponse": {}}') is None
    assert parse_fault("<html></html>") is None


@pytest.mark.parametrize(
    ("name", "kind"), [("ReadTimeout", "Timeout"), ("ConnectionError", "ConnectionError")]
)
def test_network_failures_are_transient(name: str, kind: str) -> None:
    exc = type(name, (Exception,), {})("boom")
    failure = failure_for_network(exc, what="query")

    assert failure.signal.exception == kind
    assert isinstance(failure.error, TransientError)
