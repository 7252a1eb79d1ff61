"""Read what the reconciler needs from the store, streaming, one record at a time.

The store knows nothing of the reconciler (canonical imports nothing of ours), so the caller
passes a sink, e.g. `reconciliation.snapshot.SnapshotBuilder().add`, which keeps only the few
fields the rules read: memory holds compact rows, never a whole table of full records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from canonical.records import (
    CreditNote,
    Deal,
    Deposit,
    Dispute,
    Invoice,
    InvoicePayment,
    Lead,
    LedgerEntry,
    Party,
    Payment,
    Payout,
    Record,
    Refund,
    Subscription,
)
from canonical.store.store import Store

RECONCILED_TYPES: Final[tuple[type[Record], ...]] = (
    Party,
    Lead,
    Deal,
    Subscription,
    Invoice,
    InvoicePayment,
    Payment,
    Refund,
    Dispute,
    CreditNote,
    Payout,
    Deposit,
    LedgerEntry,
)


async def stream_for_reconciliation(
    store: Store, sink: Callable[[Record], None], *, batch_size: int = 5000
) -> int:
    """Feed every record the reconciler reads to `sink`; the number of records fed."""
    fed = 0
    for record_type in RECONCILED_TYPES:
        async for record in store.stream(record_type, batch_size=batch_size):
            sink(record)
            fed += 1
    return fed
