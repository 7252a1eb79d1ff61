"""Standard Webhooks and configurable HMAC verification: pure functions over bytes and a secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

import pytest

from connectors.generic import GenericWebhookError, HmacScheme, verify_hmac, verify_standard
from connectors.generic.standard import secret_key, sign_standard

# The published example of the Standard Webhooks / Svix documentation.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
AT = 1614265330
BODY = b'{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def headers(signature: str = EXPECTED, at: int = AT, msg_id: str = MSG_ID) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(at), "webhook-signature": signature}


def test_signing_reproduces_the_published_example() -> None:
    assert sign_standard(SECRET, MSG_ID, AT, BODY) == EXPECTED


def test_a_genuine_delivery_returns_its_message_id() -> None:
    assert verify_standard(BODY, headers(), SECRET, now=AT + 10) == MSG_ID


def test_any_of_several_rotated_signatures_may_match() -> None:
    rotated = "v1,AAAA v2,zzz " + EXPECTED
    assert verify_standard(BODY, headers(rotated), SECRET, now=AT) == MSG_ID


@pytest.mark.parametrize(
    ("given", "now", "body", "reason"),
    [
        ({"webhook-id": MSG_ID}, AT, BODY, "missing_signature"),
        (headers(), AT + 301, BODY, "stale"),
        (headers(), AT - 301, BODY, "stale"),
        (headers(at=AT), AT, BODY + b" ", "bad_signature"),
        (headers(msg_id="msg_other"), AT, BODY, "bad_signature"),
        (headers("v1,%%%notbase64"), AT, BODY, "bad_signature"),
        (headers("garbage-without-comma"), AT, BODY, "bad_signature"),
        ({**headers(), "webhook-timestamp": "12.5"}, AT, BODY, "bad_signature"),
        ({**headers(), "webhook-timestamp": "٣"}, AT, BODY, "bad_signature"),
    ],
)
def test_refusals_carry_their_reason(
    given: dict[str, str], now: int, body: bytes, reason: str
) -> None:
    with pytest.raises(GenericWebhookError) as caught:
        verify_standard(body, given, SECRET, now=now)
    assert caught.value.reason == reason


def test_a_malformed_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValueError):
        secret_key("whsec_***")
    with pytest.raises(ValueError):
        secret_key("whsec_")


@pytest.mark.parametrize(
    ("scheme", "encode"),
    [
        (
            HmacScheme("s3cret", "X-Hub-Signature-256", prefix="sha256="),
            lambda d: "sha256=" + d.hex(),
        ),
        (
            HmacScheme("s3cret", "X-Shopify-Hmac-Sha256", encoding="base64"),
            lambda d: base64.b64encode(d).decode(),
        ),
    ],
)
def test_hmac_schemes_accept_their_own_encoding_and_refuse_a_forgery(
    scheme: HmacScheme, encode: Callable[[bytes], str]
) -> None:
    digest = hmac.new(b"s3cret", BODY, hashlib.sha256).digest()
    name = scheme.header.lower()
    key = verify_hmac(BODY, {name: encode(digest)}, scheme)
    assert key == "sha256:" + hashlib.sha256(BODY).hexdigest()
    forged = bytes(32)
    with pytest.raises(GenericWebhookError) as caught:
        verify_hmac(BODY, {name: encode(forged)}, scheme)
    assert caught.value.reason == "bad_signature"
    with pytest.raises(GenericWebhookError) as missing:
        verify_hmac(BODY, {}, scheme)
    assert missing.value.reason == "missing_signature"


def test_an_unsupported_algorithm_is_refused_at_configuration() -> None:
    with pytest.raises(ValueError):
        HmacScheme("s", "X-Sig", algorithm="md5")
