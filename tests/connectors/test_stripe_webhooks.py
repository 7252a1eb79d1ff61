"""Stripe webhook verification: genuine, rotated, forged, stale and malformed deliveries."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import orjson
import pytest
import stripe

from connectors.stripe.webhooks import StripeWebhookError, verify_stripe
from sandbox.emulators.stripe.webhooks import event_body, signature_header

SECRET = "whsec_test_secret"
OLD_SECRET = "whsec_old_secret"
SIGNED_AT = 1_800_000_000
NOW = datetime.fromtimestamp(SIGNED_AT + 10, UTC)
EVENT = {
    "id": "evt_1",
    "object": "event",
    "type": "invoice.paid",
    "created": SIGNED_AT,
    "data": {"object": {"id": "in_1", "object": "invoice", "amount_paid": 1999}},
}
BODY = orjson.dumps(EVENT)


def sign(body: bytes, secret: str, at: int = SIGNED_AT) -> str:
    """Stripe's scheme, written out independently of the SDK: hex HMAC-SHA256 of `t.body`."""
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def header(*signatures: str, at: int = SIGNED_AT) -> str:
    return ",".join([f"t={at}", *(f"v1={s}" for s in signatures)])


def test_genuine_delivery_returns_the_event_as_a_plain_dict() -> None:
    event = verify_stripe(BODY, header(sign(BODY, SECRET)), SECRET, now=NOW)
    assert event == EVENT
    assert type(event) is dict


def test_any_v1_may_match_during_secret_rotation() -> None:
    rotated = header(sign(BODY, OLD_SECRET), sign(BODY, SECRET))
    assert verify_stripe(BODY, rotated, SECRET, now=NOW)["id"] == "evt_1"
    assert verify_stripe(BODY, rotated, OLD_SECRET, now=NOW)["id"] == "evt_1"


def test_other_schemes_are_ignored_next_to_v1() -> None:
    with_v0 = f"{header(sign(BODY, SECRET))},v0=deadbeef"
    assert verify_stripe(BODY, with_v0, SECRET, now=NOW)["id"] == "evt_1"


@pytest.mark.parametrize(
    ("body", "signature_header", "reason"),
    [
        (BODY, None, "missing_signature"),
        (BODY, "", "missing_signature"),
        (BODY, f"t={SIGNED_AT}", "missing_signature"),
        (BODY, f"t={SIGNED_AT},v0={sign(BODY, SECRET)}", "missing_signature"),
        (BODY, header(sign(BODY, "whsec_wrong")), "bad_signature"),
        (BODY + b" ", header(sign(BODY, SECRET)), "bad_signature"),
        (BODY, header(sign(BODY, SECRET), at=SIGNED_AT + 1), "bad_signature"),
        (BODY, f"v1={sign(BODY, SECRET)}", "bad_signature"),
        (BODY, f"t=soon,v1={sign(BODY, SECRET)}", "bad_signature"),
        (BODY, header(sign(BODY, SECRET, SIGNED_AT - 400), at=SIGNED_AT - 400), "stale"),
        (BODY, header(sign(BODY, SECRET, SIGNED_AT + 400), at=SIGNED_AT + 400), "stale"),
        (b"not json", header(sign(b"not json", SECRET)), "malformed"),
        (b"[]", header(sign(b"[]", SECRET)), "malformed"),
        (b'{"object": "event"}', header(sign(b'{"object": "event"}', SECRET)), "malformed"),
        (b"\xff\xfe", header(sign(b"\xff\xfe", SECRET)), "malformed"),
    ],
)
def test_refused_deliveries_say_why(body: bytes, signature_header: str | None, reason: str) -> None:
    with pytest.raises(StripeWebhookError) as caught:
        verify_stripe(body, signature_header, SECRET, now=NOW)
    assert caught.value.reason == reason


def test_bad_signature_is_checked_before_the_body_is_parsed() -> None:
    with pytest.raises(StripeWebhookError) as caught:
        verify_stripe(b"not json", header(sign(BODY, SECRET)), SECRET, now=NOW)
    assert caught.value.reason == "bad_signature"


def test_tolerance_is_configurable() -> None:
    late = datetime.fromtimestamp(SIGNED_AT + 200, UTC)
    assert verify_stripe(BODY, header(sign(BODY, SECRET)), SECRET, now=late)["id"] == "evt_1"
    with pytest.raises(StripeWebhookError, match="more than 100 s"):
        verify_stripe(BODY, header(sign(BODY, SECRET)), SECRET, tolerance=100, now=late)


def test_no_secret_accepts_nothing() -> None:
    with pytest.raises(StripeWebhookError) as caught:
        verify_stripe(BODY, header(sign(BODY, "")), "", now=NOW)
    assert caught.value.reason == "bad_signature"


def test_the_emulators_signed_delivery_verifies_with_the_sdk_check() -> None:
    body = event_body(EVENT)
    signed = signature_header(body, SECRET, SIGNED_AT)
    assert verify_stripe(body, signed, SECRET, now=NOW)["id"] == "evt_1"


def test_stripe_sdks_own_test_header_verifies() -> None:
    signed = stripe.WebhookSignature.generate_signature_header(BODY.decode(), SECRET, SIGNED_AT)
    assert verify_stripe(BODY, signed, SECRET, now=NOW)["type"] == "invoice.paid"
