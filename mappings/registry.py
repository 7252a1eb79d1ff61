"""The single entry point: `(source, object name, payload)` -> canonical records.

Required fields, whose absence is a `MappingError` naming the field (everything else is optional and
reads as `None` when missing or null):

| source | object | required |
|---|---|---|
| every source | every object | the id (`id` / `Id`) |
| stripe | all but customers | `currency`; the amount (`total` for invoices, `amount` else) |
| stripe | subscriptions, refunds, disputes, payouts, invoice_payments | `status` |
| stripe | invoice_payments | `invoice` |
| stripe | balance_transactions | `type` |
| stripe | invoice lines | `id`, `amount` |
| quickbooks | Invoice, Payment, CreditMemo, RefundReceipt, Deposit | `TotalAmt` |
| quickbooks | JournalEntry | a debit line or `TotalAmt`; each line's `Amount`, `PostingType` |
| quickbooks | Account | `Name` |
| salesforce | OpportunityLineItem | `OpportunityId` |

Versions: Salesforce `SystemModstamp` (else `LastModifiedDate`), QuickBooks
`MetaData.LastUpdatedTime`; Stripe has no updated field, so its version is the `version` argument
(a webhook event's `created`), else `read_at`. The same fallback applies when a Salesforce or
QuickBooks payload lacks its own field.

Deletions (Stripe `deleted: true`, Salesforce `IsDeleted: true`, QuickBooks `status: "Deleted"`)
map to records with `deleted=True`: fully when the payload still carries the object, else as a
tombstone (see `mappings.tombstone`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

from canonical.records import PaymentKind, Record, Source
from canonical.timeutil import utc
from mappings import quickbooks, salesforce, stripe
from mappings.errors import MappingError
from mappings.reader import Reader
from mappings.spec import ObjectSpec
from mappings.tombstone import tombstone

_TABLES: Final = MappingProxyType(
    {
        Source.STRIPE: stripe.OBJECTS,
        Source.SALESFORCE: salesforce.OBJECTS,
        Source.QUICKBOOKS: quickbooks.OBJECTS,
    }
)
_INDEX: Final = MappingProxyType(
    {
        source: {name: spec for spec in specs for name in (spec.name, *spec.aliases)}
        for source, specs in _TABLES.items()
    }
)
_ID_KEY: Final = MappingProxyType(
    {Source.STRIPE: "id", Source.SALESFORCE: "Id", Source.QUICKBOOKS: "Id"}
)
_CURRENCY_PATH: Final = MappingProxyType(
    {
        Source.STRIPE: ("currency",),
        Source.SALESFORCE: ("CurrencyIsoCode",),
        Source.QUICKBOOKS: ("CurrencyRef", "value"),
    }
)
_TOMBSTONE_CURRENCY = "USD"
_SOURCES: Final = MappingProxyType({source.value: source for source in Source})


def objects_for(source: Source | str) -> tuple[str, ...]:
    """The object names `source` knows: its dataset file names."""
    return tuple(spec.name for spec in _TABLES[_source(source, "?")])


def record_type_of(source: Source | str, obj: str) -> tuple[type[Record], PaymentKind | None]:
    """The record type `obj` maps to (and, for payments, which kind), for counting what is held."""
    spec = _INDEX[_source(source, obj)].get(obj)
    if spec is None:
        raise MappingError(str(source), obj, None, f"unknown {source} object {obj!r}")
    return spec.record_type, spec.payment_kind


def map_payload(
    source: Source | str,
    obj: str,
    payload: Mapping[str, Any],
    *,
    read_at: datetime,
    version: datetime | None = None,
) -> list[Record]:
    """The canonical records of one vendor object, exactly as the vendor's API returned it.

    `obj` is a dataset file name (`invoices`, `Invoice`, `Opportunity`) or a Stripe `object` value
    (`invoice`). `read_at` is when it was read (lineage); `version` is the event's time for Stripe
    webhooks. Raises `MappingError` for anything that cannot map exactly.
    """
    src = _source(source, obj)
    spec = _INDEX[src].get(obj)
    if spec is None:
        raise MappingError(src.value, obj, None, f"unknown {src.value} object {obj!r}")
    if not isinstance(payload, Mapping):
        reason = f"payload should be a JSON object, got {type(payload).__name__}"
        raise MappingError(src.value, spec.name, None, reason)
    deleted = _is_deleted(src, payload)
    reader = Reader(src, spec.name, payload, id_key=_ID_KEY[src], read_at=read_at, deleted=deleted)
    _check_type(reader, spec)
    reader.version = _version(reader, version)
    try:
        return spec.mapper(reader)
    except MappingError:
        if not deleted:
            raise
        # A deleted object that no longer carries its content is recorded as a tombstone.
        return [tombstone(spec.record_type, reader.lineage(), _currency(reader), spec.payment_kind)]


def _source(source: Source | str, obj: str) -> Source:
    # A dict lookup rather than `Source(source)`: an enum call costs a microsecond per payload.
    known = _SOURCES.get(source)
    if known is None:
        raise MappingError(str(source), obj, None, f"unknown source {source!r}")
    return known


def _is_deleted(source: Source, payload: Mapping[str, Any]) -> bool:
    if source is Source.STRIPE:
        return payload.get("deleted") is True
    if source is Source.SALESFORCE:
        return payload.get("IsDeleted") is True
    return payload.get("status") == "Deleted"


def _check_type(r: Reader, spec: ObjectSpec) -> None:
    """A payload that says it is another object is refused rather than mis-mapped."""
    said = r.text("object") if r.source is Source.STRIPE else None
    if r.source is Source.SALESFORCE:
        said = r.text("attributes", "type")
    if said is not None and said != spec.name and said not in spec.aliases:
        r.fail(f"payload is a {said!r}, not a {spec.name!r}", field="object")


def _version(r: Reader, version: datetime | None) -> datetime:
    own = None
    if r.source is Source.SALESFORCE:
        own = r.instant("SystemModstamp") or r.instant("LastModifiedDate")
    elif r.source is Source.QUICKBOOKS:
        own = r.instant("MetaData", "LastUpdatedTime")
    if own is not None:
        return own
    return r.read_at if version is None else utc(version)


def _currency(r: Reader) -> str:
    try:
        return r.currency(*_CURRENCY_PATH[r.source], default=_TOMBSTONE_CURRENCY)
    except MappingError:
        return _TOMBSTONE_CURRENCY
