"""Sessions against the emulator: every grant, a rejected grant, and `check()`."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.errors import AuthError, ConnectorConfigError
from connectors.salesforce import SalesforceConfig
from connectors.salesforce.auth import JWT_BEARER_GRANT, token_form
from connectors.salesforce.config import Grant
from tests.connectors.salesforce_fixtures import (
    Emulator,
    connector_for,
    emulator,
    org_dir,
    read_all,
)

__all__ = ["emulator", "org_dir"]  # fixtures, imported for pytest


def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_password_grant_logs_in_with_the_security_token_appended(emulator: Emulator) -> None:
    sandbox = emulator.config
    connector = connector_for(
        emulator,
        access_token=None,
        refresh_token=None,
        username=sandbox.username,
        password=sandbox.password,
        security_token=sandbox.security_token,
    )
    assert len(read_all(connector, "Lead")[0]) == 1
    assert connector.client.logins == 1


def test_jwt_bearer_grant_logs_in(emulator: Emulator) -> None:
    connector = connector_for(
        emulator,
        access_token=None,
        refresh_token=None,
        client_secret=None,
        username=emulator.config.username,
        private_key=private_key_pem(),
    )
    assert connector.config.grant is Grant.JWT_BEARER
    assert len(read_all(connector, "Lead")[0]) == 1


def test_jwt_assertion_names_the_app_the_user_and_the_audience() -> None:
    key = private_key_pem()
    config = SalesforceConfig(client_id="app", username="u@example.com", private_key=key)
    form = token_form(config, now=lambda: 1_000_000.0)
    assert form["grant_type"] == JWT_BEARER_GRANT
    claims = jwt.decode(form["assertion"], options={"verify_signature": False})
    assert claims == {
        "iss": "app",
        "sub": "u@example.com",
        "aud": "https://login.salesforce.com",
        "exp": 1_000_180,
    }


def test_rejected_refresh_token_is_an_auth_error_with_the_vendors_words(
    emulator: Emulator,
) -> None:
    connector = connector_for(emulator, access_token=None, refresh_token="revoked")
    with pytest.raises(AuthError) as caught:
        read_all(connector, "Lead")
    assert caught.value.code == "invalid_grant"
    assert caught.value.detail == "expired access/refresh token"


def test_config_without_any_credentials_is_refused() -> None:
    with pytest.raises(ConnectorConfigError):
        SalesforceConfig(instance_url="https://acme.my.salesforce.com").validate()


def test_secrets_stay_out_of_the_config_repr() -> None:
    config = SalesforceConfig(access_token="tok-123", client_secret="sec-456", password="pw-789")
    assert not {"tok-123", "sec-456", "pw-789"} & set(repr(config).replace("'", " ").split())


def test_check_reports_org_api_version_and_daily_headroom(emulator: Emulator) -> None:
    result = connector_for(emulator).check()
    assert result.ok, result.error
    assert result.account is not None
    assert emulator.config.organization_id in result.account
    assert result.api_version == "59.0"
    assert result.headroom is not None
    assert result.headroom.endswith(f"/{emulator.config.daily_api_limit} daily API requests left")


def test_check_reports_the_vendor_error_instead_of_raising(emulator: Emulator) -> None:
    emulator.faults(rate_limit=50)
    result = connector_for(emulator, max_attempts=2).check()
    assert not result.ok
    assert result.error is not None
    assert "REQUEST_LIMIT_EXCEEDED" in result.error
    assert "TotalRequests Limit exceeded." in result.error
