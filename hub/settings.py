"""Typed settings, read once from the environment (12-factor).

The variable names are a public interface: users set them and `revcycle sandbox serve --env-out`
writes them. Every one is documented in the README's settings table.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///revcycle.db"


class SettingsError(ValueError):
    """A missing or malformed setting; the message is one line that names the variable."""


class Settings(BaseSettings):
    """Every setting revcycle reads. Field names are the environment variable names."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)

    REVCYCLE_DATABASE_URL: str = DEFAULT_DATABASE_URL
    REVCYCLE_REDIS_URL: str | None = None
    REVCYCLE_OPS_TOKEN: SecretStr | None = None

    STRIPE_API_KEY: SecretStr | None = None
    STRIPE_WEBHOOK_SECRET: SecretStr | None = None
    STRIPE_API_BASE: str | None = None

    SALESFORCE_INSTANCE_URL: str | None = None
    SALESFORCE_ACCESS_TOKEN: SecretStr | None = None
    SALESFORCE_CLIENT_ID: str | None = None
    SALESFORCE_CLIENT_SECRET: SecretStr | None = None
    SALESFORCE_REFRESH_TOKEN: SecretStr | None = None
    SALESFORCE_USERNAME: str | None = None
    SALESFORCE_PASSWORD: SecretStr | None = None
    SALESFORCE_SECURITY_TOKEN: SecretStr | None = None
    SALESFORCE_ORG_ID: str | None = None
    SALESFORCE_WEBHOOK_TOKEN: SecretStr | None = None

    QUICKBOOKS_CLIENT_ID: str | None = None
    QUICKBOOKS_CLIENT_SECRET: SecretStr | None = None
    QUICKBOOKS_REFRESH_TOKEN: SecretStr | None = None
    QUICKBOOKS_REALM_ID: str | None = None
    QUICKBOOKS_ENVIRONMENT: Literal["sandbox", "production"] = "production"
    QUICKBOOKS_API_BASE: str | None = None
    QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN: SecretStr | None = None

    REVCYCLE_LOG_FORMAT: Literal["auto", "json", "console"] = "auto"
    REVCYCLE_LOG_LEVEL: Literal["debug", "info", "warning", "error"] = "info"
    REVCYCLE_WEBHOOK_MAX_BYTES: int = Field(default=1024 * 1024, gt=0)
    # Gateway (issue 5): generic webhook sources as JSON, {"name": {"scheme": "standard"|"hmac",
    # "secret": ..., "header": ..., "algorithm": "sha256", "encoding": "hex"|"base64",
    # "prefix": "sha256=", "id_header": ...}}; secret-bearing, so a SecretStr.
    REVCYCLE_WEBHOOK_SOURCES: SecretStr | None = None
    REVCYCLE_WEBHOOK_TOLERANCE_SECONDS: int = Field(default=300, gt=0)

    # Jobs (issue 5): the worker's schedule, retries and follow-ups.
    REVCYCLE_SYNC_INTERVAL_MINUTES: int = Field(default=60, ge=0)  # 0: no scheduled sync
    REVCYCLE_RELAY_INTERVAL_SECONDS: int = Field(default=30, ge=1)
    REVCYCLE_RELAY_MIN_AGE_SECONDS: float = Field(default=5.0, ge=0)
    REVCYCLE_JOB_MAX_TRIES: int = Field(default=8, ge=1)
    REVCYCLE_JOB_TIMEOUT_SECONDS: int = Field(default=300, gt=0)
    REVCYCLE_RETRY_BASE_SECONDS: float = Field(default=2.0, gt=0)
    REVCYCLE_RETRY_MAX_SECONDS: float = Field(default=600.0, gt=0)
    # Follow-ups to run: "all", "none", or a comma list of payment_failed_task, dispute_task,
    # ledger_payment, unbilled_deal, notify.
    REVCYCLE_FOLLOWUPS: str = "all"
    REVCYCLE_LEDGER_WRITEBACK: bool = False
    REVCYCLE_DEAL_GRACE_DAYS: int = Field(default=14, ge=0)
    # Reconciliation limits (DESIGN.md "Finding kinds"); the deal grace above is shared.
    REVCYCLE_LEDGER_GRACE_DAYS: int = Field(default=3, ge=0)
    REVCYCLE_UNDERBILLED_PERCENT: int = Field(default=99, ge=0, le=100)
    REVCYCLE_DISCOUNT_PERCENT: int = Field(default=20, ge=0, le=100)
    REVCYCLE_UNRECOVERED_GRACE_DAYS: int = Field(default=14, ge=0)
    REVCYCLE_PAYOUT_WINDOW_DAYS: int = Field(default=5, ge=0)
    # Scheduled reconciliation in the worker (0: none), and a reconcile soon after a ledger change
    # (QuickBooks notifications), debounced so a burst of changes makes one run.
    REVCYCLE_RECONCILE_INTERVAL_MINUTES: int = Field(default=60, ge=0)
    REVCYCLE_RECONCILE_ON_LEDGER_CHANGE: bool = True
    REVCYCLE_RECONCILE_DEBOUNCE_SECONDS: int = Field(default=60, ge=0)
    REVCYCLE_NOTIFY_URLS: str = ""  # comma list; a "slack+" prefix forces the Slack payload
    REVCYCLE_NOTIFY_SECRET: SecretStr | None = None

    @field_validator(
        "REVCYCLE_DATABASE_URL",
        "REVCYCLE_REDIS_URL",
        "STRIPE_API_BASE",
        "SALESFORCE_INSTANCE_URL",
        "QUICKBOOKS_API_BASE",
    )
    @classmethod
    def _looks_like_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value:
            return None
        if "://" not in value:
            raise ValueError(f"expected a URL like scheme://host/…, got {value!r}")
        return value.rstrip("/") if value.startswith("http") else value

    @field_validator(
        "REVCYCLE_OPS_TOKEN",
        "STRIPE_API_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "SALESFORCE_ACCESS_TOKEN",
        "SALESFORCE_CLIENT_SECRET",
        "SALESFORCE_REFRESH_TOKEN",
        "SALESFORCE_SECURITY_TOKEN",
        "SALESFORCE_WEBHOOK_TOKEN",
        "QUICKBOOKS_CLIENT_SECRET",
        "QUICKBOOKS_REFRESH_TOKEN",
        "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN",
        "REVCYCLE_NOTIFY_SECRET",
    )
    @classmethod
    def _bare_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Keys, tokens and signing secrets never hold whitespace at either end: one that does
        (a file's trailing newline, say) would only fail later, at every signature check or API
        call. Empty means unset. (A password may hold spaces, so it is not checked.)"""
        text = "" if value is None else value.get_secret_value()
        if not text:
            return None
        if text != text.strip():
            raise ValueError("has whitespace at its start or end (a trailing newline?)")
        return value

    def require(self, *names: str, purpose: str) -> None:
        """Fail with one line naming the first of `names` that is unset."""
        for name in names:
            if getattr(self, name) is None:
                raise SettingsError(f"{name} is not set; {purpose} needs it")


def load_settings() -> Settings:
    """Read the environment now. A malformed value raises `SettingsError` naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "settings"
        # A validator's own ValueError comes back as "Value error, <its message>".
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
