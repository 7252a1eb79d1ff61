"""Generated sandbox datasets as canonical records, and the truth they were planted with."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from canonical.records import Record
from canonical.store import Store, upgrade_async
from mappings import map_payload
from reconciliation.reconcile import find
from reconciliation.snapshot import Snapshot, SnapshotBuilder

Row = tuple[str, str, str, int, str]
READ_AT = datetime(2026, 1, 1, tzinfo=UTC)
VENDORS = ("stripe", "quickbooks", "salesforce")


def dataset_records(root: Path) -> Iterator[Record]:
    for vendor in VENDORS:
        for path in sorted((root / vendor).glob("*.json")):
            items = json.loads(path.read_text(), parse_float=Decimal)
            for item in items:
                yield from map_payload(vendor, path.stem, item, read_at=READ_AT)


async def synced(url: str, root: Path) -> Store:
    """A store at `url`, migrated, holding the dataset at `root`; the caller closes it."""
    await upgrade_async(url)
    store = Store.from_url(url)
    await store.upsert(list(dataset_records(root)))
    return store


def snapshot_of(root: Path) -> Snapshot:
    return SnapshotBuilder().add_all(dataset_records(root))


def truth_rows(root: Path) -> set[Row]:
    return {
        (
            t["kind"],
            t["source"],
            t["id"],
            t["amount_at_stake"]["minor"],
            t["amount_at_stake"]["currency"],
        )
        for t in json.loads((root / "truth.json").read_text())
    }


def found_rows(snapshot: Snapshot, as_of: object) -> set[Row]:
    result = find(snapshot, as_of=as_of)  # type: ignore[arg-type]
    return {
        (
            f.kind.value,
            f.key.source.value,
            f.key.source_id,
            f.amount_at_stake.minor,
            f.amount_at_stake.currency,
        )
        for f in result.findings
    }


def diff(found: set[Row], truth: set[Row]) -> str:
    extra = "\n".join(f"  + {row}" for row in sorted(found - truth))
    missed = "\n".join(f"  - {row}" for row in sorted(truth - found))
    return f"false positives:\n{extra}\nmissed:\n{missed}"
