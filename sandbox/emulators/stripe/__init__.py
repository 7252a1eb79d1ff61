"""A stateful emulator of Stripe's API (as stripe-python 16.1.0 calls it) and of its webhooks."""

from sandbox.emulators.stripe.app import build_app
from sandbox.emulators.stripe.config import StripeConfig

__all__ = ["StripeConfig", "build_app"]
