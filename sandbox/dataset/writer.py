"""Streaming JSON-list files: `[`, items separated by `,\\n`, `]`, one compact item per line.

Items are serialised with orjson in insertion order (deterministic bytes). Decimals, which stand
for QuickBooks and Salesforce amounts, are written as plain JSON numbers carrying exactly their
digits, so `json.loads(text, parse_float=Decimal)` gives the value back unchanged.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson

JSONObject = dict[str, Any]

STRIPE_FILES = (
    "customers",
    "invoices",
    "invoice_payments",
    "charges",
    "payment_intents",
    "refunds",
    "disputes",
    "credit_notes",
    "subscriptions",
    "payouts",
    "balance_transactions",
)
QUICKBOOKS_FILES = (
    "Customer",
    "Invoice",
    "Payment",
    "CreditMemo",
    "RefundReceipt",
    "JournalEntry",
    "Deposit",
    "Account",
)
SALESFORCE_FILES = ("Account", "Contact", "Lead", "Opportunity", "OpportunityLineItem", "User")
LAYOUT: dict[str, tuple[str, ...]] = {
    "stripe": STRIPE_FILES,
    "quickbooks": QUICKBOOKS_FILES,
    "salesforce": SALESFORCE_FILES,
}


def _encode_default(value: object) -> orjson.Fragment:
    if isinstance(value, Decimal):
        return orjson.Fragment(format(value, "f").encode())
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(item: object) -> bytes:
    return orjson.dumps(item, default=_encode_default)


class JsonListWriter:
    """One `[...]` file written item by item; holds nothing but the open handle and a count."""

    def __init__(self, path: Path) -> None:
        self._fh: IO[bytes] = path.open("wb", buffering=1 << 16)
        self.count = 0

    def write(self, item: object) -> None:
        self._fh.write(b"[\n" if self.count == 0 else b",\n")
        self._fh.write(dumps(item))
        self.count += 1

    def close(self) -> None:
        self._fh.write(b"[]\n" if self.count == 0 else b"\n]\n")
        self._fh.close()


class DatasetWriter:
    """Every file of the layout, open at once; `emit(vendor, name, item)` appends one item."""

    def __init__(self, out: Path) -> None:
        self._writers: dict[tuple[str, str], JsonListWriter] = {}
        for vendor, names in LAYOUT.items():
            (out / vendor).mkdir(parents=True, exist_ok=True)
            for name in names:
                self._writers[(vendor, name)] = JsonListWriter(out / vendor / f"{name}.json")

    def emit(self, vendor: str, name: str, item: JSONObject) -> None:
        self._writers[(vendor, name)].write(item)

    def counts(self) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = {vendor: {} for vendor in LAYOUT}
        for (vendor, name), writer in self._writers.items():
            result[vendor][name] = writer.count
        return result

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def write_json(path: Path, value: object) -> None:
    path.write_bytes(
        orjson.dumps(value, default=_encode_default, option=orjson.OPT_INDENT_2) + b"\n"
    )
