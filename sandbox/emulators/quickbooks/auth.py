"""Intuit OAuth 2: the discovery documents, token, revoke, authorize and userinfo endpoints, and
the bearer guard on the Accounting API.

intuit-oauth's `AuthClient(environment=...)` reads its endpoints from a discovery document: pass the
emulator's `/.well-known/openid_sandbox_configuration` URL as `environment` (it accepts a URL), or
replace `intuitlib.config.DISCOVERY_URL["sandbox"]`. Reference:
https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-openid-discovery-doc
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlencode

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sandbox.emulators.quickbooks import responses
from sandbox.emulators.quickbooks.state import QuickBooksState

Endpoint = Callable[[Request], Awaitable[Response]]
_REFRESH_TOKEN_EXPIRES_IN = 8_726_400  # 101 days, as Intuit answers


def guarded(state: QuickBooksState, handler: Endpoint) -> Endpoint:
    """Wrap an API endpoint with latency, token and realm checks and injected faults."""

    async def endpoint(request: Request) -> Response:
        faults = state.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.expire_tokens:
            # Expiry is a moment, not a mode: tokens from a later refresh work again.
            state.tokens.expire_access()
            faults.update({"expire_tokens": False})
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not state.tokens.access_is_valid(token.strip()):
            return responses.authentication_failed(f"Token expired: {token.strip()[:12]}...")
        if request.path_params.get("realm") != state.config.realm_id:
            return responses.authorization_failed()
        if faults.take("rate_limit"):
            return _throttled(state)
        if faults.take("server_error"):
            return responses.system_fault()
        return await handler(request)

    return endpoint


def _throttled(state: QuickBooksState) -> Response:
    chosen = state.config.rate_limit_format
    if chosen == "alternate":
        state.throttles += 1
        chosen = "json" if state.throttles % 2 else "xml"
    return responses.throttled_json() if chosen == "json" else responses.throttled_xml()


def discovery_document(base_url: str) -> dict[str, object]:
    return {
        "issuer": f"{base_url}/op/v1",
        "authorization_endpoint": f"{base_url}/connect/oauth2",
        "token_endpoint": f"{base_url}/oauth2/v1/tokens/bearer",
        "userinfo_endpoint": f"{base_url}/v1/openid_connect/userinfo",
        "revocation_endpoint": f"{base_url}/oauth2/v1/tokens/revoke",
        "jwks_uri": f"{base_url}/op/v1/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    }


def _client_ok(request: Request, state: QuickBooksState) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    try:
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    config = state.config
    return (
        scheme.lower() == "basic"
        and client_id == config.client_id
        and hmac.compare_digest(secret, config.client_secret)
    )


def oauth_routes(state: QuickBooksState) -> list[Route]:
    tokens = state.tokens

    async def discovery(request: Request) -> Response:
        return responses.JSONResponse(discovery_document(str(request.base_url).rstrip("/")))

    async def bearer(request: Request) -> Response:
        if not _client_ok(request, state):
            return responses.oauth_error("invalid_client", 401)
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        grant = form.get("grant_type")
        if grant == "refresh_token":
            current = tokens.refresh_token
            given = form.get("refresh_token", "")
            if current is None or not hmac.compare_digest(given, current):
                return responses.oauth_error("invalid_grant")
        elif grant == "authorization_code":
            if not tokens.redeem_code(form.get("code", "")):
                return responses.oauth_error("invalid_grant")
        else:
            return responses.oauth_error("unsupported_grant_type")
        return responses.JSONResponse(
            {
                "token_type": "bearer",
                "access_token": tokens.issue_access(),
                "refresh_token": tokens.rotate_refresh(),
                "expires_in": state.config.access_token_expires_in,
                "x_refresh_token_expires_in": _REFRESH_TOKEN_EXPIRES_IN,
            }
        )

    async def revoke(request: Request) -> Response:
        if not _client_ok(request, state):
            return responses.oauth_error("invalid_client", 401)
        try:
            token = orjson.loads(await request.body()).get("token", "")
        except (orjson.JSONDecodeError, AttributeError):
            return responses.oauth_error("invalid_request")
        tokens.revoke(str(token))
        return Response(status_code=200)

    async def authorize(request: Request) -> Response:
        """Consent is automatic: redirect straight back with a code and the realm."""
        params = request.query_params
        query = urlencode(
            {
                "code": tokens.issue_code(),
                "state": params.get("state", ""),
                "realmId": state.config.realm_id,
            }
        )
        return RedirectResponse(f"{params.get('redirect_uri', '/')}?{query}", status_code=302)

    async def userinfo(request: Request) -> Response:
        _, _, token = request.headers.get("authorization", "").partition(" ")
        if not tokens.access_is_valid(token.strip()):
            return responses.authentication_failed()
        return responses.JSONResponse(
            {
                "sub": "sandbox-user-0001",
                "email": "owner@revcycle.sandbox",
                "emailVerified": True,
                "givenName": "Sandbox",
                "familyName": "Owner",
            }
        )

    async def jwks(request: Request) -> Response:
        # No id_token is ever issued, so there is no key to publish.
        return responses.JSONResponse({"keys": []})

    routes = [
        Route("/oauth2/v1/tokens/bearer", bearer, methods=["POST"]),
        Route("/oauth2/v1/tokens/revoke", revoke, methods=["POST"]),
        Route("/connect/oauth2", authorize, methods=["GET"]),
        Route("/v1/openid_connect/userinfo", userinfo, methods=["GET"]),
        Route("/op/v1/jwks", jwks, methods=["GET"]),
    ]
    for name in ("openid_sandbox_configuration", "openid_configuration"):
        routes.append(Route(f"/.well-known/{name}", discovery, methods=["GET"]))
        routes.append(Route(f"/.well-known/{name}/", discovery, methods=["GET"]))
    return routes
