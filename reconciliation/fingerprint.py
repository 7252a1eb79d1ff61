"""Stable finding fingerprints: the kind and the keyed record, never the amount.

An amount that changes at the source updates the finding instead of opening a new one. The
store's `canonical.store.findings.fingerprint_for` computes the same digest.
"""

from __future__ import annotations

import hashlib

from canonical.records import FindingKind, SourceRef


def fingerprint(kind: FindingKind, key: SourceRef) -> str:
    """sha256 over kind, key source and key id, separated by a unit separator (64 hex digits)."""
    text = f"{kind.value}\x1f{key.source.value}\x1f{key.source_id}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
