from __future__ import annotations

import asyncio

import pytest

from canonical.records import Invoice
from canonical.store import Store
from tests.canonical.test_store_samples import at, invoice


class SyncInterrupted(Exception):
    pass


async def _interrupted_page(store: Store, source_id: str, cursor: str) -> None:
    """A sync page that writes its records and checkpoint, then fails before commit."""
    async with store.transaction() as tx:
        await tx.upsert([invoice(source_id)])
        await tx.set_checkpoint("stripe", "invoices", cursor)
        raise SyncInterrupted


async def test_checkpoint_and_records_commit_together(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.upsert([invoice("in_1"), invoice("in_2")])
        await tx.set_checkpoint("stripe", "invoices", "in_2", synced_at=at(10))

    checkpoint = await store.get_checkpoint("stripe", "invoices")
    assert checkpoint is not None
    assert checkpoint.cursor == "in_2"
    assert checkpoint.last_synced_at == at(10)
    assert await store.count(Invoice) == 2


async def test_an_exception_in_the_transaction_leaves_neither_records_nor_checkpoint(
    store: Store,
) -> None:
    with pytest.raises(SyncInterrupted):
        await _interrupted_page(store, "in_1", "in_1")

    assert await store.get_checkpoint("stripe", "invoices") is None
    assert await store.count(Invoice) == 0


async def test_a_failed_page_keeps_the_previous_checkpoint(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.upsert([invoice("in_1")])
        await tx.set_checkpoint("stripe", "invoices", "page-1")

    with pytest.raises(SyncInterrupted):
        await _interrupted_page(store, "in_2", "page-2")

    checkpoint = await store.get_checkpoint("stripe", "invoices")
    assert checkpoint is not None
    assert checkpoint.cursor == "page-1"
    assert await store.count(Invoice) == 1


async def test_sync_error_is_recorded_without_moving_the_cursor(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.set_checkpoint("quickbooks", "Invoice", "2026-03-01T00:00:00Z")

    await store.record_sync_error("quickbooks", "Invoice", "429 throttled")

    checkpoint = await store.get_checkpoint("quickbooks", "Invoice")
    assert checkpoint is not None
    assert checkpoint.cursor == "2026-03-01T00:00:00Z"
    assert checkpoint.last_error == "429 throttled"


async def test_advancing_a_checkpoint_clears_its_error(store: Store) -> None:
    await store.record_sync_error("stripe", "charges", "timeout")

    async with store.transaction() as tx:
        await tx.set_checkpoint("stripe", "charges", "ch_9")

    checkpoint = await store.get_checkpoint("stripe", "charges")
    assert checkpoint is not None
    assert checkpoint.last_error is None


async def test_list_checkpoints_orders_by_source_and_object(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.set_checkpoint("stripe", "invoices", "a")
        await tx.set_checkpoint("quickbooks", "Payment", "b")
        await tx.set_checkpoint("stripe", "charges", "c")

    listed = await store.list_checkpoints()

    assert [(c.source, c.object) for c in listed] == [
        ("quickbooks", "Payment"),
        ("stripe", "charges"),
        ("stripe", "invoices"),
    ]


async def test_token_rotation_is_compare_and_swap(store: Store) -> None:
    assert await store.rotate_token(
        "quickbooks", "realm-1", None, access_token="a1", refresh_token="r1", expires_at=at(60)
    )
    first = await store.get_token("quickbooks", "realm-1")
    assert first is not None

    won, lost = await asyncio.gather(
        store.rotate_token(
            "quickbooks",
            "realm-1",
            first.version,
            access_token="a2",
            refresh_token="r2",
            expires_at=at(120),
        ),
        store.rotate_token(
            "quickbooks",
            "realm-1",
            first.version,
            access_token="a3",
            refresh_token="r3",
            expires_at=at(120),
        ),
    )

    assert sorted([won, lost]) == [False, True]
    latest = await store.get_token("quickbooks", "realm-1")
    assert latest is not None
    assert latest.version == first.version + 1
    assert latest.refresh_token in {"r2", "r3"}


async def test_first_token_insert_loses_to_an_existing_one(store: Store) -> None:
    await store.rotate_token(
        "quickbooks", "realm-1", None, access_token="a", refresh_token="r", expires_at=None
    )

    again = await store.rotate_token(
        "quickbooks", "realm-1", None, access_token="b", refresh_token="s", expires_at=None
    )

    assert again is False
    token = await store.get_token("quickbooks", "realm-1")
    assert token is not None
    assert token.access_token == "a"
