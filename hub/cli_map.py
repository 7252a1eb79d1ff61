"""`revcycle map SOURCE OBJECT FILE`: show what a vendor payload becomes in the canonical model."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from canonical.jsonable import record_to_json
from canonical.records import Source
from mappings import MappingError, map_payload, objects_for, record_type_of


def map_command(
    source: Annotated[
        Source, typer.Argument(metavar="SOURCE", help="stripe, salesforce or quickbooks.")
    ],
    obj: Annotated[
        str,
        typer.Argument(
            metavar="OBJECT",
            help="Object name as in the dataset files: invoices, Opportunity, Invoice, …",
        ),
    ],
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            exists=True,
            dir_okay=False,
            readable=True,
            help="One vendor object or a JSON list.",
        ),
    ],
) -> None:
    """Map vendor objects, exactly as the vendor's API returns them, to canonical records.

    Prints one JSON line per record; money prints as {"minor": int, "currency": "ISO"}.
    """
    try:
        record_type_of(source, obj)
    except MappingError:
        known = ", ".join(objects_for(source))
        raise typer.BadParameter(
            f"{source.value} has no object {obj!r}; it has {known}", param_hint="OBJECT"
        ) from None
    try:
        loaded: Any = json.loads(file.read_bytes(), parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"{file} is not JSON: {exc}", param_hint="FILE") from None
    payloads = loaded if isinstance(loaded, list) else [loaded]
    read_at = datetime.now(UTC)
    out = sys.stdout
    for payload in payloads:
        if not isinstance(payload, dict):
            raise typer.BadParameter(f"{file}: expected objects, found {type(payload).__name__}")
        for record in map_payload(source, obj, payload, read_at=read_at):
            out.write(json.dumps(record_to_json(record), sort_keys=False) + "\n")
