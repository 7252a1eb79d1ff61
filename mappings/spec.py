"""What a source's object table says about one object: its names, its record type, its mapper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from canonical.records import PaymentKind, Record
from mappings.reader import Reader

Mapper = Callable[[Reader], list[Record]]


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """One vendor object we sync.

    `name` is the dataset file name (`invoices`, `Invoice`); `aliases` are other names a caller may
    use, such as the Stripe `object` value (`invoice`) so a webhook's `data.object` maps by itself.
    `record_type` is the main record it yields, which is also the type of its deletion tombstone
    (`payment_kind` completes a payment's tombstone).
    """

    name: str
    record_type: type[Record]
    mapper: Mapper
    aliases: tuple[str, ...] = ()
    payment_kind: PaymentKind | None = None
