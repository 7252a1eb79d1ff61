"""Generic webhook sources: Standard Webhooks and configurable HMAC schemes."""

from connectors.generic.errors import GenericWebhookError
from connectors.generic.hmac_scheme import HmacScheme, verify_hmac
from connectors.generic.standard import sign_standard, verify_standard

__all__ = ["GenericWebhookError", "HmacScheme", "sign_standard", "verify_hmac", "verify_standard"]
