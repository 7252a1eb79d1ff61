"""QuickBooks Online's query language, the subset the hub and python-quickbooks send (pure).

    SELECT * | COUNT(*) | f1, f2 FROM Entity
      [WHERE f op v [AND f op v ...]]          ops: = != < > <= >= IN LIKE ('%' wildcards)
      [ORDERBY | ORDER BY f [ASC|DESC], ...] [STARTPOSITION n] [MAXRESULTS n]

Names are case-insensitive, values are quoted strings (numbers and booleans also accepted unquoted),
and there is no OR, as in QBO. Reference:
https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

Record = dict[str, Any]
DEFAULT_MAX_RESULTS = 100
MAX_MAX_RESULTS = 1000

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),*])
  | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    """,
    re.VERBOSE,
)
_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class QueryError(ValueError):
    """A query QBO would refuse; `code` is its fault code (4000 parse error, 4001 bad property)."""

    def __init__(self, code: str, message: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.message = message
        self.detail = detail


def _parse_error(detail: str) -> QueryError:
    return QueryError("4000", "Error parsing query", f"QueryParserError: {detail}")


@dataclass(frozen=True)
class Condition:
    path: str
    op: str
    value: Any  # str | Decimal | bool | tuple[...] for IN


@dataclass
class Query:
    entity: str
    fields: list[str] | None  # None means *
    count: bool = False
    where: list[Condition] = field(default_factory=list)
    order_by: list[tuple[str, bool]] = field(default_factory=list)  # (path, descending)
    start_position: int = 1
    max_results: int = DEFAULT_MAX_RESULTS


def parse(text: str) -> Query:
    return _Parser(text).query()


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None:
                raise _parse_error(f'Encountered "{text[pos]}" at column {pos + 1}')
            if match.lastgroup != "ws":
                self.tokens.append((match.lastgroup or "", match.group()))
            pos = match.end()
        self.index = 0

    def peek(self) -> str:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else ""

    def at(self, *words: str) -> bool:
        return self.peek().upper() in words

    def take(self) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise _parse_error("Encountered end of query")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, word: str) -> None:
        _, text = self.take()
        if text.upper() != word:
            raise _parse_error(f'Encountered "{text}", expecting "{word}"')

    def name(self) -> str:
        kind, text = self.take()
        if kind != "word":
            raise _parse_error(f'Encountered "{text}", expecting a name')
        return text

    def integer(self) -> int:
        kind, text = self.take()
        if kind != "number" or not text.isdigit():
            raise _parse_error(f'Encountered "{text}", expecting a number')
        return int(text)

    def query(self) -> Query:
        self.expect("SELECT")
        fields: list[str] | None = None
        count = False
        if self.peek() == "*":
            self.take()
        elif self.at("COUNT"):
            self.take()
            for part in ("(", "*", ")"):
                self.expect(part)
            count = True
        else:
            fields = [self.name()]
            while self.peek() == ",":
                self.take()
                fields.append(self.name())
        self.expect("FROM")
        query = Query(entity=self.name(), fields=fields, count=count)
        if self.at("WHERE"):
            self.take()
            query.where.append(self.condition())
            while self.at("AND"):
                self.take()
                query.where.append(self.condition())
        self.clauses(query)
        if self.index < len(self.tokens):
            raise _parse_error(f'Encountered "{self.peek()}"')
        return query

    def clauses(self, query: Query) -> None:
        if self.at("ORDERBY", "ORDER"):
            if self.take()[1].upper() == "ORDER":
                self.expect("BY")
            query.order_by.append(self.order_key())
            while self.peek() == ",":
                self.take()
                query.order_by.append(self.order_key())
        if self.at("STARTPOSITION"):
            self.take()
            query.start_position = max(1, self.integer())
        if self.at("MAXRESULTS"):
            self.take()
            query.max_results = min(MAX_MAX_RESULTS, max(1, self.integer()))

    def order_key(self) -> tuple[str, bool]:
        path = self.name()
        descending = False
        if self.at("ASC", "DESC"):
            descending = self.take()[1].upper() == "DESC"
        return path, descending

    def condition(self) -> Condition:
        path = self.name()
        if self.at("IN"):
            self.take()
            self.expect("(")
            values = [self.value()]
            while self.peek() == ",":
                self.take()
                values.append(self.value())
            self.expect(")")
            return Condition(path, "IN", tuple(values))
        if self.at("LIKE"):
            self.take()
            return Condition(path, "LIKE", self.value())
        kind, op = self.take()
        if kind != "op":
            raise _parse_error(f'Encountered "{op}", expecting an operator')
        return Condition(path, "!=" if op == "<>" else op, self.value())

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "number":
            return Decimal(text)
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise _parse_error(f'Encountered "{text}", expecting a value')


# -- evaluation


def resolve(record: Record, path: str) -> Any:
    """A dotted path, matched case-insensitively; a reference object yields its `value`."""
    current: Any = record
    for segment in path.split("."):
        if not isinstance(current, dict):
            return None
        if segment in current:
            current = current[segment]
            continue
        lowered = segment.lower()
        current = next((v for k, v in current.items() if k.lower() == lowered), None)
    if isinstance(current, dict) and "value" in current:
        return current["value"]
    return current


@lru_cache(maxsize=131072)
def parse_instant(text: str) -> datetime | None:
    """QBO datetimes (2026-01-05T09:30:12-08:00) and dates (as midnight UTC) as instants."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def matches(record: Record, cond: Condition) -> bool:
    value = resolve(record, cond.path)
    if cond.op == "IN":
        return any(_compare(value, "=", item) for item in cond.value)
    if cond.op == "LIKE":
        pattern = _like(str(cond.value))
        return isinstance(value, str) and pattern.match(value) is not None
    return _compare(value, cond.op, cond.value)


def _compare(value: Any, op: str, literal: Any) -> bool:
    if value is None:
        return op == "!="
    left, right = _coerce(value, literal)
    try:
        return _ORDERING[op](left, right)
    except TypeError:
        return op == "!="


def _coerce(value: Any, literal: Any) -> tuple[Any, Any]:
    """Compare as the field's type: numbers exactly, times as instants, text caselessly."""
    if isinstance(value, bool) or isinstance(literal, bool):
        return str(value).lower(), str(literal).lower()
    if isinstance(value, int | float):
        try:
            return Decimal(str(value)), Decimal(str(literal))
        except InvalidOperation:
            return str(value), str(literal)
    text, wanted = str(value), str(literal)
    if _looks_temporal(text) and _looks_temporal(wanted):
        left, right = parse_instant(text), parse_instant(wanted)
        if left is not None and right is not None:
            if len(text) == 10 and len(wanted) == 10:
                return date.fromisoformat(text), date.fromisoformat(wanted)
            return left, right
    return text.casefold(), wanted.casefold()


def _looks_temporal(text: str) -> bool:
    return len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-" and text[:4].isdigit()


def sort_key(record: Record, path: str) -> tuple[int, Any]:
    value = resolve(record, path)
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, int | float):
        return (2, value)
    text = str(value)
    if text.isdigit():  # Ids are numeric strings and sort as numbers
        return (2, int(text))
    instant = parse_instant(text) if _looks_temporal(text) else None
    return (3, instant.timestamp()) if instant is not None else (4, text.casefold())


@lru_cache(maxsize=256)
def _like(pattern: str) -> re.Pattern[str]:
    parts = (".*" if ch == "%" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts) + r"\Z", re.IGNORECASE | re.DOTALL)
