"""A configurable HMAC scheme: one header carrying `prefix + encode(HMAC(secret, raw body))`.

Covers the common shapes (GitHub's `X-Hub-Signature-256: sha256=<hex>`, Shopify's base64
`X-Shopify-Hmac-Sha256`, ...). There is no timestamp, so the dedupe key (the id header, or a hash
of the body) is the replay defence.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from connectors.generic.errors import GenericWebhookError

Encoding = Literal["hex", "base64"]
ALGORITHMS = ("sha256", "sha512", "sha1")


@dataclass(frozen=True, slots=True)
class HmacScheme:
    secret: str
    header: str
    algorithm: str = "sha256"
    encoding: Encoding = "hex"
    prefix: str = ""
    id_header: str | None = None  # a delivery id to dedupe on; else the body's hash

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"unsupported HMAC algorithm {self.algorithm!r}")
        if not self.secret or not self.header:
            raise ValueError("an HMAC scheme needs a secret and a header")


def verify_hmac(body: bytes, headers: Mapping[str, str], scheme: HmacScheme) -> str:
    """The dedupe key of a genuine delivery; else `GenericWebhookError`. Headers are lower-case."""
    value = headers.get(scheme.header.lower())
    if not value:
        raise GenericWebhookError("missing_signature", f"no {scheme.header} header")
    if not value.startswith(scheme.prefix):
        raise GenericWebhookError("bad_signature", f"{scheme.header} lacks its prefix")
    encoded = value[len(scheme.prefix) :].strip()
    try:
        given = (
            bytes.fromhex(encoded)
            if scheme.encoding == "hex"
            else base64.b64decode(encoded, validate=True)
        )
    except (binascii.Error, ValueError) as exc:
        raise GenericWebhookError(
            "bad_signature", f"{scheme.header} is not {scheme.encoding}"
        ) from exc
    expected = hmac.new(scheme.secret.encode(), body, scheme.algorithm).digest()
    if not hmac.compare_digest(given, expected):
        raise GenericWebhookError("bad_signature", f"{scheme.header} does not match the body")
    delivery_id = headers.get(scheme.id_header.lower()) if scheme.id_header else None
    return delivery_id or "sha256:" + hashlib.sha256(body).hexdigest()
