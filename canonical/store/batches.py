"""Encoded batches: the counts of an upsert, record encoding, and in-batch deduplication."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from canonical.errors import StoreError
from canonical.records import Record
from canonical.store.codecs import VERSION_INDEX, RecordCodec, Row

Encoded = tuple[Row, tuple[Row, ...]]  # a record's row and its line rows
Key = tuple[str, str]

ENCODE_STEP: Final = 500  # records encoded at a time when a batch is read before it is encoded


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.created + other.created,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is written.

    A batch allocates a few tuples per record, and CPython's collector, counting those, walks
    the young objects every few hundred allocations and now and then the whole heap: with
    100,000 records held by the caller, one such walk took longer than writing the batch. The
    tuples hold no cycles and die with the batch (reference counting frees them), so the walks
    free nothing. The pause is process-wide: other tasks' cyclic garbage waits for the end of
    the batch (a fraction of a second); their other garbage is still freed at once. A caller
    that already turned the collector off keeps it off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def encode_batch(codec: RecordCodec[Any], records: Sequence[Record]) -> list[Encoded]:
    encode = codec.encode
    try:
        return [encode(record) for record in records]
    except (TypeError, AttributeError, ValueError) as error:
        bad = next(r for r in records if not _encodes(codec, r))
        name = codec.record_type.__name__
        raise StoreError(f"cannot store {name} {bad.source}/{bad.source_id}: {error}") from error


def by_key(codec: RecordCodec[Any], records: Sequence[Record]) -> dict[Key, Record]:
    """Each key's record (the last one, where a key repeats), in key order: the order of
    `newest_by_key`'s rows."""
    try:  # a batch is often sorted already, which keeps this sort cheap
        keyed = dict(zip(map(codec.key, records), records, strict=True))
    except (TypeError, AttributeError, ValueError):
        encode_batch(codec, records)  # names the record that cannot be stored
        raise
    return {key: keyed[key] for key in sorted(keyed)}


class KeyOrdered:
    """A batch's encoded rows, one per key in key order, encoded ahead or when first read.

    A COPY can start before every record is encoded: the rest are encoded as the COPY reads
    them, while the server inserts the rows already sent.
    """

    __slots__ = ("_codec", "_records", "items")

    def __init__(
        self, codec: RecordCodec[Any], records: Sequence[Record], items: list[Encoded]
    ) -> None:
        self._codec = codec
        self._records = records  # one per key, in key order; `items` encodes a prefix
        self.items = items

    @classmethod
    def encoded(cls, codec: RecordCodec[Any], items: list[Encoded]) -> KeyOrdered:
        return cls(codec, [], items)

    def __len__(self) -> int:
        return max(len(self._records), len(self.items))

    def __getitem__(self, index: int) -> Encoded:
        items = self.items
        if index >= len(items):
            self.encode_ahead(index + 1 - len(items))
        return items[index]

    def __iter__(self) -> Iterator[Encoded]:
        """Every item in order; records not encoded yet are encoded in steps as they are reached."""
        done = 0
        while True:
            items = self.items
            for index in range(done, len(items)):
                yield items[index]
            done = len(items)
            if done >= len(self._records):
                return
            self.encode_ahead(ENCODE_STEP)

    def release(self) -> None:
        """Drop the encoded rows, all read: reading the batch again would encode it again."""
        self.items = []

    def encode_ahead(self, count: int) -> bool:
        """Encode up to `count` more records; False once all are encoded."""
        done = len(self.items)
        self.items += encode_batch(self._codec, self._records[done : done + count])
        return len(self.items) < len(self._records)


def _encodes(codec: RecordCodec[Any], record: Record) -> bool:
    try:
        codec.encode(record)
    except (TypeError, AttributeError, ValueError):
        return False
    return True


def newest_by_key(encoded: list[Encoded]) -> list[Encoded]:
    """One entry per (source, source_id), the newest; sorted so concurrent batches lock in order."""
    newest: dict[Key, Encoded] = {}
    for item in encoded:
        row = item[0]
        key = (row[0], row[1])
        kept = newest.get(key)
        if kept is None or row[VERSION_INDEX] > kept[0][VERSION_INDEX]:
            newest[key] = item
    return [newest[key] for key in sorted(newest)]
