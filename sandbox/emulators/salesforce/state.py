"""Everything one Salesforce emulator holds: its config, records, sessions and usage counters."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.emulators.common import Faults
from sandbox.emulators.salesforce.config import SalesforceConfig
from sandbox.emulators.salesforce.store import SalesforceStore


class Sessions:
    """Issued access tokens. Expiring them all mimics a revoked or timed-out session."""

    def __init__(self, organization_id: str, initial: str) -> None:
        self._organization_id = organization_id
        self._valid = {initial}

    def issue(self) -> str:
        # Salesforce session ids start with the org id and an exclamation mark.
        token = f"{self._organization_id}!AQ{secrets.token_urlsafe(48)}"
        self._valid.add(token)
        return token

    def is_valid(self, token: str) -> bool:
        return token in self._valid

    def expire_all(self) -> None:
        self._valid.clear()


@dataclass
class SalesforceState:
    config: SalesforceConfig
    store: SalesforceStore
    sessions: Sessions
    api_calls: int = 0
    outbound_sequence: int = field(default=0)

    @property
    def faults(self) -> Faults:
        return self.config.faults

    @classmethod
    def load(cls, data_dir: Path, config: SalesforceConfig) -> SalesforceState:
        store = SalesforceStore(data_dir, config.user_id, config.api_version)
        users = store.collections["User"]
        if users and store.get("User", config.user_id) is None:
            # New Tasks need an owner who exists in this dataset's org.
            store.default_owner_id = next(iter(users))
        return cls(config, store, Sessions(config.organization_id, config.access_token))
