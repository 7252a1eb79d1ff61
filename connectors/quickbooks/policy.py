"""QuickBooks Online's retry-policy table, and reading its faults (JSON or XML) into signals.

QBO reports errors as a `Fault` with numbered `Error`s, in JSON or (throttling especially) in
XML whatever `Accept` said. The numbers that decide what we do:
- 3001 ThrottleExceeded: rate limited, usually as a 429, sometimes inside a 400;
- 3200 AuthenticationFailed (the 401 body): refresh the token once, then retry;
- 610 ObjectNotFound, and the 2xxx/6xxx validation faults of a 400: permanent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimited,
    TransientError,
)
from connectors.policy import COMMON_RULES, Action, Failure, RetryPolicy, Rule, Signal

VENDOR = "quickbooks"
THROTTLED = "3001"
AUTH_FAILED = "3200"
NOT_FOUND = "610"

QUICKBOOKS_RULES: tuple[Rule, ...] = (
    Rule(Action.RATE_LIMITED, "QuickBooks throttled the request (fault 3001)", code=THROTTLED),
    Rule(Action.REFRESH_TOKEN, "access token rejected (fault 3200)", code=AUTH_FAILED),
    Rule(Action.FAIL, "no such QuickBooks object (fault 610)", code=NOT_FOUND),
    *COMMON_RULES,
)
QUICKBOOKS_POLICY = RetryPolicy(QUICKBOOKS_RULES, max_attempts=6, base_delay=1.0, max_delay=60.0)

_XML_ERROR = re.compile(r"<Error\b[^>]*\bcode=\"0*(\d+)\"[^>]*>(.*?)</Error>", re.DOTALL)
_XML_FAULT_TYPE = re.compile(r"<Fault\b[^>]*\btype=\"([^\"]+)\"")
_XML_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.DOTALL)
_XML_DETAIL = re.compile(r"<Detail>(.*?)</Detail>", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Fault:
    """The first error of a QBO fault body."""

    code: str | None
    message: str | None = None
    detail: str | None = None
    kind: str | None = None  # ValidationFault, AUTHENTICATION, ...

    def describe(self) -> str | None:
        words = [w for w in (self.kind, self.message, self.detail) if w]
        return " · ".join(words) or None


def parse_fault(body: str) -> Fault | None:
    """The fault in a QBO error body, JSON (`Fault` or `fault`) or XML; None if there is none."""
    text = body.lstrip()
    if text.startswith("<"):
        return _xml_fault(text)
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return _json_fault(data) if isinstance(data, dict) else None


def _json_fault(data: Mapping[str, Any]) -> Fault | None:
    fault = _get(data, "fault")
    if not isinstance(fault, Mapping):
        return None
    errors = _get(fault, "error")
    first = errors[0] if isinstance(errors, list) and errors else {}
    if not isinstance(first, Mapping):
        first = {}
    code = _get(first, "code")
    return Fault(
        code=_normal_code(code),
        message=_text(_get(first, "message")),
        detail=_text(_get(first, "detail")),
        kind=_text(_get(fault, "type")),
    )


def _xml_fault(text: str) -> Fault | None:
    # A regex, not an XML parser: we only need three fields and never want to expand entities.
    error = _XML_ERROR.search(text)
    if error is None:
        return None
    inner = error.group(2)
    message, detail, kind = (
        _XML_MESSAGE.search(inner),
        _XML_DETAIL.search(inner),
        _XML_FAULT_TYPE.search(text),
    )
    return Fault(
        code=_normal_code(error.group(1)),
        message=message.group(1).strip() if message else None,
        detail=detail.group(1).strip() if detail else None,
        kind=kind.group(1) if kind else None,
    )


def _get(data: Mapping[str, Any], key: str) -> Any:
    """QBO spells the same keys `Fault`/`fault`, `Error`/`error`, `Message`/`message`."""
    if key in data:
        return data[key]
    return data.get(key[:1].upper() + key[1:])


def _normal_code(code: object) -> str | None:
    if code is None or code == "":
        return None
    text = str(code).strip()
    return str(int(text)) if text.isdigit() else text  # "003001" and 3001 are the same fault


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def failure_for_response(
    status: int, headers: Mapping[str, str], body: str, *, what: str
) -> Failure:
    """A vendor answer that is an error, as the `Failure` `run_with_policy` resolves."""
    fault = parse_fault(body)
    code = fault.code if fault else None
    signal = Signal(status=status, code=code, headers=dict(headers))
    resolution = QUICKBOOKS_POLICY.resolve(signal)
    detail = (fault.describe() if fault else None) or body[:500] or None
    error_class: type[ConnectorError] = {
        Action.RATE_LIMITED: RateLimited,
        Action.RETRY: TransientError,
        Action.REFRESH_TOKEN: AuthError,
        Action.FAIL: PermanentError,
    }[resolution.action]
    error = error_class(
        f"{what} failed: {resolution.reason}",
        vendor=VENDOR,
        status=status,
        code=code,
        request_id=_header(headers, "intuit_tid"),
        detail=detail,
        retry_after=resolution.retry_after,
    )
    return Failure(signal, error)


def failure_for_network(exc: Exception, *, what: str) -> Failure:
    """A request that got no answer: a dropped connection or a timeout."""
    kind = "Timeout" if "Timeout" in type(exc).__name__ else "ConnectionError"
    error = TransientError(f"{what} failed: {kind}", vendor=VENDOR, detail=str(exc))
    return Failure(Signal(exception=kind), error)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
