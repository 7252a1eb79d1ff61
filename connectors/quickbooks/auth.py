"""Refreshing tokens with intuit-oauth, pointed at Intuit or at an emulator.

`intuitlib.AuthClient` fetches an OpenID discovery document when it is built; it takes the URL
from its `environment` argument: "sandbox"/"production" pick Intuit's documents
(`intuitlib.config.DISCOVERY_URL`), anything else is used as the document's URL. So a configured
discovery URL is passed as the environment, and the client is built only when the first refresh
is needed (a connector with a live access token never touches the network to start).
"""

from __future__ import annotations

import threading
from typing import Any

import requests
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError

from connectors.errors import AuthError, ConnectorConfigError, ConnectorError, TransientError
from connectors.quickbooks.config import QuickBooksConfig
from connectors.quickbooks.policy import VENDOR
from connectors.quickbooks.tokens import FreshTokens


class IntuitRefresher:
    """The `Refresher` of `TokenKeeper`: one refresh-token grant through intuit-oauth."""

    def __init__(self, config: QuickBooksConfig) -> None:
        self._config = config
        self._client: Any = None
        self._lock = threading.Lock()  # AuthClient keeps the answer on itself: one at a time

    def __call__(self, refresh_token: str) -> FreshTokens:
        with self._lock:
            client = self._auth_client()
            try:
                client.refresh(refresh_token=refresh_token)
            except AuthClientError as exc:
                raise _auth_client_error(exc) from exc
            except requests.RequestException as exc:
                raise TransientError(
                    "the Intuit token endpoint did not answer", vendor=VENDOR, detail=str(exc)
                ) from exc
            expires_in = client.expires_in
            return FreshTokens(
                access_token=str(client.access_token),
                refresh_token=str(client.refresh_token),
                expires_in=float(expires_in) if expires_in is not None else None,
            )

    def _auth_client(self) -> Any:
        if self._client is not None:
            return self._client
        config = self._config
        where = config.resolved_discovery_url or config.environment
        try:
            self._client = AuthClient(
                client_id=config.client_id,
                client_secret=config.client_secret,
                redirect_uri=config.redirect_uri,
                environment=where,
                realm_id=config.realm_id,
            )
        except (AuthClientError, requests.RequestException, ValueError) as exc:
            error = TransientError if _worth_retrying(exc) else ConnectorConfigError
            raise error(
                f"cannot read Intuit's OpenID discovery document ({where})",
                vendor=VENDOR,
                detail=str(exc)[:500],
            ) from exc
        return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _worth_retrying(exc: Exception) -> bool:
    if isinstance(exc, AuthClientError):
        return int(exc.status_code) >= 500
    return isinstance(exc, requests.RequestException)


def _auth_client_error(exc: AuthClientError) -> ConnectorError:
    status = int(exc.status_code)
    body = exc.content.decode("utf-8", "replace") if isinstance(exc.content, bytes) else ""
    code = _oauth_error_code(exc)
    if status >= 500 or status == 429:
        return TransientError(
            "the Intuit token endpoint failed",
            vendor=VENDOR,
            status=status,
            request_id=exc.intuit_tid,
            detail=body[:500],
        )
    return AuthError(
        "Intuit refused to refresh the token; reconnect the QuickBooks app",
        vendor=VENDOR,
        status=status,
        code=code,
        request_id=exc.intuit_tid,
        detail=body[:500],
    )


def _oauth_error_code(exc: AuthClientError) -> str | None:
    try:
        data = exc.response.json()
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return str(error) if error else None
