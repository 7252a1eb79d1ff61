"""Making a Salesforce session: the OAuth token endpoint, for each grant the config allows.

simple-salesforce's own logins post to `https://{domain}.salesforce.com`, which neither a My
Domain-only org nor the sandbox answers, so the token exchange is done here, against the
configured token URL, and simple-salesforce is only ever given the resulting session id.
Reference: https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_flows.htm
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import requests

from connectors.errors import ConnectorConfigError
from connectors.policy import Signal
from connectors.salesforce.config import Grant, SalesforceConfig
from connectors.salesforce.policy import VENDOR, error_code_and_message, failure, translate

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_ASSERTION_LIFETIME_S = 180  # Salesforce accepts assertions that expire within 3 minutes


@dataclass(frozen=True, slots=True)
class SessionToken:
    access_token: str
    instance_url: str


def token_form(config: SalesforceConfig, now: Callable[[], float] = time.time) -> dict[str, str]:
    """The form to POST to the token endpoint for the configured grant (pure but for signing)."""
    grant = config.grant
    if grant is None or config.client_id is None:
        raise ConnectorConfigError(
            "the session expired and no refresh token, JWT key or password is configured",
            vendor=VENDOR,
        )
    if grant is Grant.REFRESH_TOKEN:
        form = {"grant_type": "refresh_token", "refresh_token": config.refresh_token or ""}
    elif grant is Grant.JWT_BEARER:
        form = {"grant_type": JWT_BEARER_GRANT, "assertion": jwt_assertion(config, now())}
        return form
    else:
        # The username-password flow takes the security token appended to the password.
        password = (config.password or "") + (config.security_token or "")
        form = {"grant_type": "password", "username": config.username or "", "password": password}
    form["client_id"] = config.client_id
    if config.client_secret:
        form["client_secret"] = config.client_secret
    return form


def jwt_assertion(config: SalesforceConfig, issued_at: float) -> str:
    claims = {
        "iss": config.client_id,
        "sub": config.username,
        "aud": config.jwt_audience,
        "exp": int(issued_at) + _ASSERTION_LIFETIME_S,
    }
    return jwt.encode(claims, config.private_key or "", algorithm="RS256")


def request_token(
    session: requests.Session,
    config: SalesforceConfig,
    now: Callable[[], float] = time.time,
) -> SessionToken:
    """One token request; raises `Failure` (classified by the policy table) when it fails."""
    operation = f"{config.grant or 'login'} grant"
    try:
        response = session.post(
            config.token_url, data=token_form(config, now), timeout=config.timeout
        )
    except requests.RequestException as exc:
        raise translate(exc, operation) from exc
    body = _json_or_text(response)
    if response.status_code != 200 or not isinstance(body, dict):
        code, message = error_code_and_message(body)
        signal = Signal(status=response.status_code, code=code, headers=dict(response.headers))
        raise failure(operation, signal, message)
    token, instance = body.get("access_token"), body.get("instance_url") or config.instance_url
    if not isinstance(token, str) or not isinstance(instance, str):
        signal = Signal(status=502, code="BAD_TOKEN_RESPONSE")
        raise failure(operation, signal, "token answer without access_token/instance_url")
    return SessionToken(token, instance.rstrip("/"))


def _json_or_text(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
