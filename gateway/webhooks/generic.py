"""`POST /webhooks/{name}`: configured generic sources (Standard Webhooks or an HMAC scheme).

An unknown name is a 404 and is counted under `unknown`, so arbitrary paths cannot grow the
metrics' label set. Nothing processes generic events yet: they are stored `ignored`, replayable.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from connectors.generic import GenericWebhookError, HmacScheme, verify_hmac, verify_standard
from gateway.config import GenericSource, StandardSource
from gateway.errors import Rejected
from gateway.webhooks.asgi import Delivery
from gateway.webhooks.endpoint import Verified
from gateway.webhooks.events import kept_headers, new_event

UNKNOWN = "unknown"
STANDARD_KEPT = ("webhook-id", "webhook-timestamp", "webhook-signature", "content-type")


class GenericVerifier:
    def __init__(
        self,
        sources: Mapping[str, GenericSource],
        *,
        tolerance: int,
        clock: Callable[[], datetime],
    ) -> None:
        self._sources = dict(sources)
        self._tolerance = tolerance
        self._clock = clock

    def source(self, path_params: Mapping[str, Any]) -> str:
        name = str(path_params.get("name", ""))
        return name if name in self._sources else UNKNOWN

    def verify(self, delivery: Delivery) -> Verified:
        name = self.source(delivery.path_params)
        if name == UNKNOWN:
            raise Rejected(404, "unknown_source", "no webhook source of that name is configured")
        config = self._sources[name]
        kept: tuple[str, ...]
        try:
            if isinstance(config, StandardSource):
                key = verify_standard(
                    delivery.body,
                    delivery.headers,
                    config.secret,
                    tolerance=self._tolerance,
                    now=self._clock().timestamp(),
                )
                event_type = _json_type(delivery.body, required=True)
                kept = STANDARD_KEPT
            else:
                key = verify_hmac(delivery.body, delivery.headers, config)
                event_type = _json_type(delivery.body, required=False)
                kept = _hmac_kept(config)
        except GenericWebhookError as exc:
            raise Rejected(400 if exc.reason == "malformed" else 401, exc.reason, str(exc)) from exc
        headers = kept_headers(delivery.headers, kept)
        return Verified(name, [new_event(name, key, event_type, headers, delivery.body)])


def _json_type(body: bytes, *, required: bool) -> str | None:
    """The payload's `type`; Standard Webhooks payloads must be JSON objects."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        if required:
            raise GenericWebhookError("malformed", "the body is not JSON") from exc
        return None
    if not isinstance(payload, dict):
        if required:
            raise GenericWebhookError("malformed", "the body is not a JSON object")
        return None
    kind = payload.get("type")
    return kind if isinstance(kind, str) else None


def _hmac_kept(scheme: HmacScheme) -> tuple[str, ...]:
    names = [scheme.header.lower(), "content-type"]
    if scheme.id_header:
        names.append(scheme.id_header.lower())
    return tuple(names)
