"""The Salesforce connector's settings. The hub builds this from its settings; nothing here reads
the environment.

Auth, in the order it is tried when a session has to be (re)made:
- OAuth refresh token (`client_id`, optional `client_secret`, `refresh_token`);
- JWT bearer (`client_id`, `username`, `private_key` PEM);
- username + password + security token (`client_id`, `client_secret`, `username`, `password`,
  `security_token`), through the OAuth username-password grant.
An `access_token` with an `instance_url` is used as it is until Salesforce rejects it; then one of
the grants above makes a new session, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from connectors.errors import ConnectorConfigError

DEFAULT_LOGIN_URL = "https://login.salesforce.com"


class Grant(StrEnum):
    REFRESH_TOKEN = "refresh_token"  # noqa: S105 - a grant name, not a secret
    JWT_BEARER = "jwt_bearer"
    PASSWORD = "password"  # noqa: S105 - a grant name, not a secret


@dataclass(frozen=True, slots=True)
class SalesforceConfig:
    # Where the org lives, e.g. https://acme.my.salesforce.com (the sandbox serves plain http).
    instance_url: str | None = None
    # Token endpoint host; None means the instance URL, or login.salesforce.com without one.
    login_url: str | None = None
    # JWT `aud`: login.salesforce.com for production orgs, test.salesforce.com for sandboxes.
    jwt_audience: str = DEFAULT_LOGIN_URL
    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)
    organization_id: str | None = None  # checked against Outbound Messages
    webhook_token: str | None = field(default=None, repr=False)  # ?token= and X-Revcycle-Token
    api_version: str = "59.0"
    # An org without multi-currency has no CurrencyIsoCode field; asking for it is INVALID_FIELD.
    multi_currency: bool = True
    page_size: int = 2000  # Salesforce clamps batchSize to 200..2000
    # Salesforce publishes a daily quota and 25 concurrent long-running requests, not a per-second
    # rate; the per-second rate is our own courtesy so one sync cannot drain the daily quota.
    requests_per_second: float = 25.0
    max_concurrent: int = 25
    max_attempts: int = 6
    retry_base_delay: float = 0.5
    retry_max_delay: float = 30.0
    timeout: float = 60.0

    @property
    def token_url(self) -> str:
        base = self.login_url or self.instance_url or DEFAULT_LOGIN_URL
        return base.rstrip("/") + "/services/oauth2/token"

    @property
    def grant(self) -> Grant | None:
        """The grant that can make a new session, or None when only `access_token` is set."""
        if self.client_id and self.refresh_token:
            return Grant.REFRESH_TOKEN
        if self.client_id and self.username and self.private_key:
            return Grant.JWT_BEARER
        if self.client_id and self.username and self.password:
            return Grant.PASSWORD
        return None

    def validate(self) -> None:
        if self.grant is None and not (self.access_token and self.instance_url):
            raise ConnectorConfigError(
                "no usable credentials: set an access token and instance URL, a refresh token, "
                "a JWT private key, or a username and password (each with the client id)",
                vendor="salesforce",
            )
        if not 1 <= self.page_size <= 2000:
            raise ConnectorConfigError(
                f"page size {self.page_size} is outside 1..2000", vendor="salesforce"
            )
