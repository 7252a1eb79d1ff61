"""One stream per sObject: `queryAll` in SystemModstamp order, page by page, with a watermark.

`queryAll` (not `query`) so deleted rows in the recycle bin come back with `IsDeleted: true`
and become `Item(deleted=True)`. Salesforce empties the recycle bin after 15 days, so a
checkpoint older than that may have missed deletions; the first page says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import Item, Page
from connectors.errors import ConnectorConfigError, PermanentError
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.cursor import CursorError, Watermark, take_new
from connectors.salesforce.policy import VENDOR

RECYCLE_BIN_DAYS = 15
_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_IDS_PER_QUERY = 200  # keeps the GET URL well under Salesforce's 16 KB limit

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def read_query(sobject: str, fields: Sequence[str], mark: Watermark) -> str:
    where = mark.soql_filter()
    soql = f"SELECT {', '.join(fields)} FROM {sobject}"
    if where:
        soql += f" WHERE {where}"
    return soql + " ORDER BY SystemModstamp ASC, Id ASC"


def require_ids(ids: Sequence[str]) -> None:
    """Ids go into SOQL text: anything but an id's shape is refused, never escaped."""
    bad = [record_id for record_id in ids if not _ID.match(record_id)]
    if bad:
        raise PermanentError(f"not a Salesforce id: {bad[0]!r}", vendor=VENDOR)


def ids_query(sobject: str, fields: Sequence[str], ids: Sequence[str]) -> str:
    require_ids(ids)
    quoted = ", ".join(f"'{record_id}'" for record_id in ids)
    return f"SELECT {', '.join(fields)} FROM {sobject} WHERE Id IN ({quoted})"


def to_item(sobject: str, record: Mapping[str, Any]) -> Item:
    return Item(obj=sobject, payload=record, deleted=record.get("IsDeleted") is True)


class SObjectStream:
    def __init__(
        self,
        client: SalesforceClient,
        sobject: str,
        fields: Sequence[str],
        clock: Clock = utc_now,
    ) -> None:
        self._client = client
        self._sobject = sobject
        self._fields = tuple(fields)
        self._clock = clock

    @property
    def name(self) -> str:
        return self._sobject

    def read(self, cursor: str | None) -> Generator[Page, None, None]:
        mark = self._decode(cursor)
        note = self._stale_note(mark)
        operation = f"read {self._sobject}"
        soql = read_query(self._sobject, self._fields, mark)
        result = self._client.query(soql, include_deleted=True, operation=operation)
        while True:
            read_at = self._clock()
            fresh, mark = take_new(mark, result.get("records", ()))
            done = bool(result.get("done", True))
            if done:
                mark = mark.finished()
            items = [to_item(self._sobject, record) for record in fresh]
            yield Page(items=items, cursor=mark.at(read_at).encode(), read_at=read_at, note=note)
            note = None
            if done:
                return
            result = self._client.query_more(result["nextRecordsUrl"], operation=operation)

    def _decode(self, cursor: str | None) -> Watermark:
        try:
            return Watermark.decode(cursor)
        except CursorError as exc:
            raise ConnectorConfigError(
                f"the stored {self._sobject} checkpoint is not a Salesforce cursor; "
                "run a full sync",
                vendor=VENDOR,
                detail=str(exc),
            ) from exc

    def _stale_note(self, mark: Watermark) -> str | None:
        age = mark.age(self._clock())
        if age is None or age <= timedelta(days=RECYCLE_BIN_DAYS):
            return None
        return (
            f"{self._sobject}: last read {age.days} days ago, longer than Salesforce keeps deleted "
            "records; deletions purged since then cannot be seen"
        )


def fetch(
    client: SalesforceClient, sobject: str, fields: Sequence[str], ids: Sequence[str]
) -> list[Item]:
    """The current state of `ids` (deleted ones included): the refetch after an Outbound Message."""
    items: list[Item] = []
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), _IDS_PER_QUERY):
        soql = ids_query(sobject, fields, unique[start : start + _IDS_PER_QUERY])
        operation = f"fetch {sobject}"
        result = client.query(soql, include_deleted=True, operation=operation)
        while True:
            items.extend(to_item(sobject, record) for record in result.get("records", ()))
            if result.get("done", True):
                break
            result = client.query_more(result["nextRecordsUrl"], operation=operation)
    return items
