"""Follow-ups written to Salesforce: a Task on the record that needs attention.

Salesforce has no idempotency header, so a retried or duplicated job must find the Task it made
before. The key is written into the Task's Description as a marker line; Description is a long
text area, which SOQL cannot filter on, so the lookup narrows by `WhatId` and `Subject` (both
filterable) and then checks for the marker. Two jobs racing on one key could still both create;
the job inbox's own dedupe is what keeps that from happening.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.errors import PermanentError
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.policy import VENDOR
from connectors.salesforce.streams import require_ids

KEY_MARKER = "revcycle-key:"
PRIORITIES = ("High", "Normal", "Low")


@dataclass(frozen=True, slots=True)
class TaskRequest:
    subject: str
    what_id: str
    owner_id: str | None
    priority: str
    description: str
    idempotency_key: str


def soql_string(value: str) -> str:
    """A quoted SOQL string literal: SOQL escapes with backslashes, not doubled quotes."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f"'{escaped}'"


def key_line(key: str) -> str:
    return f"{KEY_MARKER} {key}"


def lookup_query(request: TaskRequest) -> str:
    require_ids([request.what_id])
    return (
        "SELECT Id, Description FROM Task"
        f" WHERE WhatId = '{request.what_id}' AND Subject = {soql_string(request.subject)}"
    )


def create_task(
    client: SalesforceClient,
    subject: str,
    what_id: str,
    owner_id: str | None,
    priority: str,
    description: str,
    idempotency_key: str,
) -> str:
    """Create the Task once per `idempotency_key`; returns its id (the old one on a repeat)."""
    if priority not in PRIORITIES:
        raise PermanentError(
            f"Task priority {priority!r} is not one of {PRIORITIES}", vendor=VENDOR
        )
    if not idempotency_key.strip() or "\n" in idempotency_key:
        raise PermanentError("the idempotency key must be one non-empty line", vendor=VENDOR)
    request = TaskRequest(subject, what_id, owner_id, priority, description, idempotency_key)
    existing = find_task(client, request)
    if existing is not None:
        return existing
    fields = {
        "Subject": subject,
        "WhatId": what_id,
        "Priority": priority,
        "Status": "Not Started",
        "Description": f"{description}\n\n{key_line(idempotency_key)}",
    }
    if owner_id:
        fields["OwnerId"] = owner_id
    answer = client.create("Task", fields)
    task_id = answer.get("id")
    if not isinstance(task_id, str):
        raise PermanentError(
            "Task create answered without an id", vendor=VENDOR, detail=str(answer)
        )
    return task_id


def find_task(client: SalesforceClient, request: TaskRequest) -> str | None:
    marker = key_line(request.idempotency_key)
    result = client.query(lookup_query(request), include_deleted=False, operation="find Task")
    while True:
        for record in result.get("records", ()):
            lines = str(record.get("Description") or "").splitlines()
            if marker in (line.strip() for line in lines):
                return str(record["Id"])
        if result.get("done", True):
            return None
        result = client.query_more(result["nextRecordsUrl"], operation="find Task")
