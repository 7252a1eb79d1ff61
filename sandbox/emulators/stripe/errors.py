"""Stripe's error responses, in Stripe's own words (https://docs.stripe.com/api/errors).

StripeApiError            one error response: status, body, extra headers
  raised by handlers and rendered by `error_response`; never leaves the emulator
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_SUPPORT = "https://support.stripe.com/"


@dataclass
class StripeApiError(Exception):
    status: int
    type: str
    message: str
    code: str | None = None
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self, request_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            error["param"] = self.param
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        return {"error": error}


def mask_key(key: str) -> str:
    """Stripe echoes a wrong key with its middle starred out: `sk_test_****…abcd`."""
    head = "_".join(key.split("_")[:2]) + "_" if key.count("_") >= 2 else ""
    tail = key[-4:] if len(key) > len(head) + 4 else ""
    return head + "*" * max(len(key) - len(head) - len(tail), 0) + tail


def missing_key() -> StripeApiError:
    return StripeApiError(
        401,
        "invalid_request_error",
        "You did not provide an API key. You need to provide your API key in the Authorization "
        "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
        f"https://stripe.com/docs/api#authentication for details, or we can help at {_SUPPORT}.",
    )


def invalid_key(key: str) -> StripeApiError:
    return StripeApiError(
        401, "invalid_request_error", f"Invalid API Key provided: {mask_key(key)}"
    )


def expired_key(key: str) -> StripeApiError:
    return StripeApiError(
        401,
        "invalid_request_error",
        f"Expired API Key provided: {mask_key(key)}",
        code="api_key_expired",
    )


def rate_limited() -> StripeApiError:
    # A real rate limit (not a lock timeout) says nothing about retrying, so the SDK does not retry.
    return StripeApiError(
        429,
        "invalid_request_error",
        "Request rate limit exceeded. Learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.",
        code="rate_limit",
    )


def server_error() -> StripeApiError:
    return StripeApiError(
        500,
        "api_error",
        f"An unknown error occurred. Please try again, or contact us at {_SUPPORT}.",
    )


def no_such(object_name: str, object_id: str, param: str = "id") -> StripeApiError:
    return StripeApiError(
        404 if param == "id" else 400,
        "invalid_request_error",
        f"No such {object_name}: '{object_id}'",
        code="resource_missing",
        param=param,
    )


def unrecognized_url(method: str, path: str) -> StripeApiError:
    return StripeApiError(
        404,
        "invalid_request_error",
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        f"or we can help at {_SUPPORT}.",
    )


def unknown_parameter(name: str) -> StripeApiError:
    return StripeApiError(
        400,
        "invalid_request_error",
        f"Received unknown parameter: {name}",
        code="parameter_unknown",
        param=name,
    )


def invalid_parameter(name: str, message: str) -> StripeApiError:
    return StripeApiError(
        400, "invalid_request_error", message, code="parameter_invalid_integer", param=name
    )


def cannot_expand(path: str) -> StripeApiError:
    return StripeApiError(
        400, "invalid_request_error", f"This property cannot be expanded ({path}).", param="expand"
    )
