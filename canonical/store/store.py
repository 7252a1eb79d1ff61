"""`Store`: the one object the rest of revcycle uses to read and write canonical records.

store = Store.from_url("sqlite:///revcycle.db")
counts = await store.upsert(records)
async with store.transaction() as tx:      # records and checkpoint commit together
    await tx.upsert(page)
    await tx.set_checkpoint("stripe", "invoices", cursor)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from canonical.records import Record
from canonical.store import checkpoints, tokens
from canonical.store.checkpoints import Checkpoint
from canonical.store.engine import begin, connect, create_engine
from canonical.store.reading import count_records, get_record, stream_records
from canonical.store.tokens import StoredToken
from canonical.store.types import to_micros
from canonical.store.upsert import UpsertCounts, upsert_records

R = TypeVar("R", bound=Record)
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    """Writes on one transaction: all of them commit, or none."""

    def __init__(self, conn: AsyncConnection, clock: Clock) -> None:
        self.connection = conn
        self._clock = clock

    async def upsert(self, records: Sequence[Record]) -> UpsertCounts:
        return await upsert_records(self.connection, records, synced_at=to_micros(self._clock()))

    async def set_checkpoint(
        self, source: str, obj: str, cursor: str | None, *, synced_at: datetime | None = None
    ) -> None:
        now = self._clock()
        await checkpoints.set_checkpoint(
            self.connection, source, obj, cursor, synced_at=synced_at or now, now=now
        )


class Store:
    def __init__(self, engine: AsyncEngine, *, clock: Clock = _utc_now) -> None:
        self.engine = engine
        self._clock = clock

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(create_engine(url))

    async def close(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        async with begin(self.engine) as conn:
            yield UnitOfWork(conn, self._clock)

    async def upsert(
        self, records: Sequence[Record], *, conn: AsyncConnection | None = None
    ) -> UpsertCounts:
        """Bulk, idempotent, monotonic write, in its own transaction or on `conn`.

        A `conn` must come from `transaction()` (`tx.connection`): on SQLite that transaction holds
        the write lock from its start, which the exact counts and new ids rely on.
        """
        if conn is not None:
            return await UnitOfWork(conn, self._clock).upsert(records)
        async with self.transaction() as tx:
            return await tx.upsert(records)

    async def get(self, record_type: type[R], source: str, source_id: str) -> R | None:
        return await get_record(self.engine, record_type, source, source_id)

    def stream(
        self, record_type: type[R], *, source: str | None = None, batch_size: int = 5000
    ) -> AsyncIterator[R]:
        return stream_records(self.engine, record_type, source=source, batch_size=batch_size)

    async def count(
        self, record_type: type[Record], source: str | None = None, *, kind: str | None = None
    ) -> int:
        """How many records of a type are held; `kind` narrows payments (charge, intent, …)."""
        return await count_records(self.engine, record_type, source, kind)

    # --- sync checkpoints ---------------------------------------------------------------------

    async def get_checkpoint(self, source: str, obj: str) -> Checkpoint | None:
        async with connect(self.engine) as conn:
            return await checkpoints.get_checkpoint(conn, source, obj)

    async def list_checkpoints(self) -> list[Checkpoint]:
        async with connect(self.engine) as conn:
            return await checkpoints.list_checkpoints(conn)

    async def record_sync_error(self, source: str, obj: str, error: str) -> None:
        async with begin(self.engine) as conn:
            await checkpoints.record_sync_error(conn, source, obj, error, now=self._clock())

    # --- OAuth tokens ------------------------------------------------------------------------

    async def get_token(self, provider: str, account_key: str) -> StoredToken | None:
        async with connect(self.engine) as conn:
            return await tokens.get_token(conn, provider, account_key)

    async def rotate_token(
        self,
        provider: str,
        account_key: str,
        expected_version: int | None,
        *,
        access_token: str,
        refresh_token: str | None,
        expires_at: datetime | None,
    ) -> bool:
        """Compare-and-swap: False when the stored version is no longer `expected_version`."""
        async with begin(self.engine) as conn:
            return await tokens.rotate_token(
                conn,
                provider,
                account_key,
                expected_version=expected_version,
                access_token=access_token,
                refresh_token=refresh_token,
                expires_at=expires_at,
                now=self._clock(),
            )
