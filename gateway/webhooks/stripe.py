"""`POST /webhooks/stripe`: one event per delivery, deduped on its `evt_…` id."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from connectors.stripe.webhooks import StripeWebhookError, verify_stripe
from gateway.errors import Rejected
from gateway.webhooks.asgi import Delivery
from gateway.webhooks.endpoint import Verified
from gateway.webhooks.events import kept_headers, new_event

SOURCE = "stripe"
KEPT = ("stripe-signature", "content-type", "user-agent")


class StripeVerifier:
    def __init__(
        self, secret: str | None, *, tolerance: int, clock: Callable[[], datetime]
    ) -> None:
        self._secret = secret
        self._tolerance = tolerance
        self._clock = clock

    def source(self, path_params: Mapping[str, Any]) -> str:
        return SOURCE

    def verify(self, delivery: Delivery) -> Verified:
        if not self._secret:
            raise Rejected(401, "unconfigured", "Stripe webhooks are not configured")
        try:
            event = verify_stripe(
                delivery.body,
                delivery.headers.get("stripe-signature"),
                self._secret,
                tolerance=self._tolerance,
                now=self._clock(),
            )
        except StripeWebhookError as exc:
            raise Rejected(400 if exc.reason == "malformed" else 401, exc.reason, str(exc)) from exc
        headers = kept_headers(delivery.headers, KEPT)
        return Verified(
            SOURCE, [new_event(SOURCE, event["id"], event["type"], headers, delivery.body)]
        )
