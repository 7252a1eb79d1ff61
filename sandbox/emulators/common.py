"""What every emulator shares: the dataset on disk, and the faults an operator can inject.

Faults are counted, not random, so tests are repeatable: "the next 3 requests are rate limited".
Each emulator renders the fault in its own vendor's words (status, headers and body).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

JSONObject = dict[str, Any]


def load_collection(data_dir: Path, vendor: str, name: str) -> list[JSONObject]:
    """One dataset file, `DIR/<vendor>/<name>.json`; an absent file is an empty collection."""
    path = data_dir / vendor / f"{name}.json"
    if not path.exists():
        return []
    with path.open("rb") as fh:
        items = json.load(fh)
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a JSON list")
    return items


@dataclass
class Faults:
    """Faults to inject. Counts are "the next N requests"; `latency_ms` applies to every request."""

    rate_limit: int = 0
    server_error: int = 0
    latency_ms: int = 0
    expire_tokens: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def take(self, kind: str) -> bool:
        """Consume one injected fault of `kind` ("rate_limit" or "server_error") if one is armed."""
        with self._lock:
            left: int = getattr(self, kind)
            if left <= 0:
                return False
            setattr(self, kind, left - 1)
            return True

    def update(self, changes: JSONObject) -> None:
        allowed = {"rate_limit", "server_error", "latency_ms", "expire_tokens"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}")
        for key, value in changes.items():
            expected = bool if key == "expire_tokens" else int
            if type(value) is not expected or (expected is int and value < 0):
                raise ValueError(
                    f"fault {key} must be a {'boolean' if expected is bool else 'count >= 0'}"
                )
        with self._lock:
            for key, value in changes.items():
                setattr(self, key, value)

    def as_dict(self) -> JSONObject:
        # Not dataclasses.asdict: it would try to deep-copy the lock.
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
