from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterator

import pytest

from canonical.errors import StoreError
from canonical.records import Invoice, Source
from canonical.store.batches import KeyOrdered, by_key, gc_paused
from canonical.store.codecs import codec_for
from tests.canonical.test_store_samples import at, invoice


@pytest.fixture
def collector_on() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if not was_enabled:
        gc.disable()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_paused_inside_the_block_and_back_after() -> None:
    with gc_paused():
        assert not gc.isenabled()

    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_back_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError

    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_a_collector_the_caller_turned_off_stays_off() -> None:
    gc.disable()

    with gc_paused():
        pass

    assert not gc.isenabled()


def test_records_by_key_are_one_per_key_in_key_order() -> None:
    records = [invoice("in_2"), invoice("in_1", version=at(5)), invoice("in_1"), invoice("in_0")]

    keyed = by_key(codec_for(Invoice), records)

    assert list(keyed) == [("stripe", "in_0"), ("stripe", "in_1"), ("stripe", "in_2")]
    assert list(keyed.values()) == [records[3], records[2], records[0]]


def test_keys_are_encoded_as_the_rows_are() -> None:
    record = invoice("in_1")
    codec = codec_for(Invoice)

    (key,) = by_key(codec, [record])

    row, _ = codec.encode(record)
    assert key == (row[0], row[1])
    assert type(key[0]) is str  # the enum's value, as stored, not the member


def test_a_record_whose_key_cannot_be_encoded_is_named() -> None:
    bad = dataclasses.replace(invoice("in_bad"), source=object())  # type: ignore[arg-type]

    with pytest.raises(StoreError, match="in_bad"):
        by_key(codec_for(Invoice), [invoice("in_ok"), bad])


def test_sources_are_plain_strings_in_keys_of_every_source() -> None:
    records = [dataclasses.replace(invoice("in_1"), source=source) for source in Source]

    keyed = by_key(codec_for(Invoice), records)

    assert list(keyed) == sorted((source.value, "in_1") for source in Source)


def test_a_key_ordered_batch_encodes_ahead_in_steps_until_all_are() -> None:
    codec = codec_for(Invoice)
    records = [invoice(f"in_{n}") for n in range(5)]
    batch = KeyOrdered(codec, records, [])

    assert batch.encode_ahead(2)
    assert batch.encode_ahead(2)
    assert not batch.encode_ahead(2)
    assert batch.items == [codec.encode(record) for record in records]


def test_a_key_ordered_batch_encodes_what_is_read_before_its_turn() -> None:
    codec = codec_for(Invoice)
    records = [invoice(f"in_{n}") for n in range(5)]
    batch = KeyOrdered(codec, records, [])

    assert batch[3] == codec.encode(records[3])
    assert len(batch.items) == 4
    assert len(batch) == 5


def test_a_key_ordered_batch_of_encoded_rows_reads_them_back() -> None:
    codec = codec_for(Invoice)
    items = [codec.encode(invoice(f"in_{n}")) for n in range(3)]

    batch = KeyOrdered.encoded(codec, items)

    assert len(batch) == 3
    assert [batch[n] for n in range(3)] == items


def test_reading_a_key_ordered_batch_encodes_the_rest_in_steps_as_it_goes() -> None:
    codec = codec_for(Invoice)
    records = [invoice(f"in_{n}") for n in range(1200)]
    batch = KeyOrdered(codec, records, [])
    batch.encode_ahead(3)

    read = iter(batch)
    first = [next(read) for _ in range(4)]

    assert first == [codec.encode(record) for record in records[:4]]
    assert 4 <= len(batch.items) < len(records)
    assert [*first, *read] == [codec.encode(record) for record in records]


def test_a_released_batch_holds_no_rows_and_reading_it_again_encodes_them_again() -> None:
    codec = codec_for(Invoice)
    records = [invoice(f"in_{n}") for n in range(3)]
    batch = KeyOrdered(codec, records, [])
    first = list(batch)

    batch.release()

    assert batch.items == []
    assert len(batch) == 3
    assert list(batch) == first
