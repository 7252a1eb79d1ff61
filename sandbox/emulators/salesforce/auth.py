"""Sessions and OAuth: the bearer-token guard on the REST API, and `/services/oauth2/token`.

Grants: refresh_token, password (password + security token) and the JWT bearer flow (any
well-formed assertion whose `iss` is the connected app's client id). Token answer and errors follow
https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.salesforce import responses
from sandbox.emulators.salesforce.state import SalesforceState

Endpoint = Callable[[Request], Awaitable[Response]]
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "oauth") else ""


def guarded(state: SalesforceState, handler: Endpoint) -> Endpoint:
    """Wrap an API endpoint with latency, session checks, injected faults and usage counting."""

    async def endpoint(request: Request) -> Response:
        faults = state.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.expire_tokens:
            # Expiry is a moment, not a mode: sessions issued afterwards work again.
            state.sessions.expire_all()
            faults.update({"expire_tokens": False})
        if not state.sessions.is_valid(bearer_token(request)):
            return responses.invalid_session()
        if faults.take("rate_limit"):
            return responses.request_limit_exceeded()
        if faults.take("server_error"):
            return responses.server_unavailable()
        state.api_calls += 1
        response = await handler(request)
        limit = state.config.daily_api_limit
        response.headers["Sforce-Limit-Info"] = f"api-usage={state.api_calls}/{limit}"
        return response

    return endpoint


def identity_url(state: SalesforceState, base_url: str) -> str:
    config = state.config
    return f"{base_url}/id/{config.organization_id}/{config.user_id}"


def oauth_routes(state: SalesforceState) -> list[Route]:
    config = state.config

    async def token(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        grant = form.get("grant_type", "")
        if grant == JWT_BEARER:
            failure = _check_assertion(form.get("assertion", ""), config.client_id)
        elif grant in ("refresh_token", "password"):
            failure = _check_client(form, config.client_id, config.client_secret)
            if failure is None and grant == "refresh_token":
                if not hmac.compare_digest(form.get("refresh_token", ""), config.refresh_token):
                    failure = responses.oauth_error("invalid_grant", "expired access/refresh token")
            elif failure is None and not _password_ok(form, state):
                failure = responses.oauth_error("invalid_grant", "authentication failure")
        else:
            failure = responses.oauth_error("unsupported_grant_type", "grant type not supported")
        if failure is not None:
            return failure
        return responses.JSONResponse(_token_answer(state, str(request.base_url).rstrip("/")))

    async def userinfo(request: Request) -> Response:
        if not state.sessions.is_valid(bearer_token(request)):
            return responses.oauth_error("invalid_token", "Session expired or invalid", 403)
        return responses.JSONResponse(_user_info(state, str(request.base_url).rstrip("/")))

    return [
        Route("/services/oauth2/token", token, methods=["POST"]),
        Route("/services/oauth2/userinfo", userinfo, methods=["GET", "POST"]),
        Route("/id/{org}/{user}", userinfo, methods=["GET"]),
    ]


def _token_answer(state: SalesforceState, base_url: str) -> dict[str, str]:
    identity = identity_url(state, base_url)
    issued_at = str(int(time.time() * 1000))
    # Salesforce signs id + issued_at with the consumer secret so a client can check the answer.
    digest = hmac.new(
        state.config.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256
    ).digest()
    return {
        "access_token": state.sessions.issue(),
        "instance_url": base_url,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
        "signature": base64.b64encode(digest).decode(),
        "scope": "api refresh_token",
    }


def _user_info(state: SalesforceState, base_url: str) -> dict[str, object]:
    config = state.config
    user = state.store.get("User", config.user_id) or {}
    return {
        "sub": identity_url(state, base_url),
        "user_id": config.user_id,
        "organization_id": config.organization_id,
        "preferred_username": user.get("Username", config.username),
        "name": user.get("Name", "Integration User"),
        "email": user.get("Email", config.username),
        "email_verified": True,
        "active": True,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "zoneinfo": "GMT",
        "urls": {"rest": f"{base_url}/services/data/v{{version}}/"},
    }


def _check_client(form: dict[str, str], client_id: str, secret: str) -> Response | None:
    if form.get("client_id") != client_id:
        return responses.oauth_error("invalid_client_id", "client identifier invalid")
    given = form.get("client_secret")
    if given is not None and not hmac.compare_digest(given, secret):
        return responses.oauth_error("invalid_client", "invalid client credentials")
    return None


def _password_ok(form: dict[str, str], state: SalesforceState) -> bool:
    config = state.config
    expected = config.password + config.security_token
    return form.get("username") == config.username and hmac.compare_digest(
        form.get("password", ""), expected
    )


def _check_assertion(assertion: str, client_id: str) -> Response | None:
    """A JWT is three base64url parts; the claims must name our client and not be expired."""
    parts = assertion.split(".")
    try:
        if len(parts) != 3:
            raise ValueError("not a JWT")
        claims = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        orjson.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        return responses.oauth_error("invalid_grant", "invalid assertion")
    if not isinstance(claims, dict) or claims.get("iss") != client_id:
        return responses.oauth_error("invalid_client_id", "client identifier invalid")
    expires = claims.get("exp")
    if isinstance(expires, int | float) and expires < time.time():
        return responses.oauth_error("invalid_grant", "expired authorization code")
    return None
