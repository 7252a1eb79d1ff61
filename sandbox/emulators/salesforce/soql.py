"""A parser for the subset of SOQL the hub sends (pure: text in, a `Query` out).

    SELECT f1, f2, Rel.Field FROM Obj
      [WHERE cond [AND|OR cond ...]]        cond: Field op literal | NOT cond | ( cond )
      [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...]
      [LIMIT n] [OFFSET n]

ops: = != <> < <= > >= LIKE IN NOT IN. Literals: 'strings', numbers, true/false, null, date
(2026-01-01) and datetime (2026-01-01T00:00:00Z, ...+0000, ...+00:00) literals.
Reference: https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select.htm
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

Value = str | Decimal | bool | None | datetime | date | tuple["Value", ...]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<op>!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


class SoqlError(ValueError):
    """A query Salesforce would refuse: `code` is its errorCode, `position` a 0-based offset."""

    def __init__(self, code: str, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.position = position


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int


@dataclass(frozen=True)
class FieldRef:
    path: str  # as written, e.g. "Account.Name"
    position: int


@dataclass(frozen=True)
class Comparison:
    field: FieldRef
    op: str  # = != < <= > >= LIKE IN NOT IN
    value: Value


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND | OR
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    operand: Condition


Condition = Comparison | BoolOp | Not


@dataclass(frozen=True)
class OrderKey:
    field: FieldRef
    descending: bool = False
    nulls_last: bool = False


@dataclass
class Query:
    text: str
    fields: list[FieldRef]
    sobject: str
    sobject_position: int
    where: Condition | None = None
    order_by: list[OrderKey] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0

    def field_refs(self) -> list[FieldRef]:
        """Every field the query names, in the order written (for INVALID_FIELD checks)."""
        refs = list(self.fields)
        if self.where is not None:
            refs.extend(_condition_fields(self.where))
        refs.extend(key.field for key in self.order_by)
        return refs

    def renamed(self, names: Mapping[str, str]) -> Query:
        """This query with every field path replaced by `names[path]` (its canonical spelling)."""
        return Query(
            self.text,
            [_rename(ref, names) for ref in self.fields],
            self.sobject,
            self.sobject_position,
            None if self.where is None else _rename_condition(self.where, names),
            [OrderKey(_rename(k.field, names), k.descending, k.nulls_last) for k in self.order_by],
            self.limit,
            self.offset,
        )


def _rename(ref: FieldRef, names: Mapping[str, str]) -> FieldRef:
    return FieldRef(names[ref.path], ref.position)


def _rename_condition(cond: Condition, names: Mapping[str, str]) -> Condition:
    if isinstance(cond, Comparison):
        return Comparison(_rename(cond.field, names), cond.op, cond.value)
    if isinstance(cond, Not):
        return Not(_rename_condition(cond.operand, names))
    return BoolOp(cond.op, tuple(_rename_condition(o, names) for o in cond.operands))


def _condition_fields(cond: Condition) -> list[FieldRef]:
    if isinstance(cond, Comparison):
        return [cond.field]
    if isinstance(cond, Not):
        return _condition_fields(cond.operand)
    return [ref for operand in cond.operands for ref in _condition_fields(operand)]


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise SoqlError("MALFORMED_QUERY", f"unexpected character {text[pos]!r}", pos)
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    return tokens


def parse(text: str) -> Query:
    return _Parser(text).query()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    # -- token helpers
    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.text.upper() in words

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise SoqlError("MALFORMED_QUERY", "unexpected end of query", len(self.text))
        self.index += 1
        return token

    def expect_word(self, word: str) -> Token:
        token = self.take()
        if token.kind != "word" or token.text.upper() != word:
            raise SoqlError(
                "MALFORMED_QUERY", f"expecting {word}, found {token.text!r}", token.position
            )
        return token

    def expect_punct(self, punct: str) -> None:
        token = self.take()
        if token.text != punct:
            raise SoqlError(
                "MALFORMED_QUERY", f"expecting {punct!r}, found {token.text!r}", token.position
            )

    def field_ref(self) -> FieldRef:
        token = self.take()
        if token.kind != "word" or token.text.upper() in _RESERVED:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: {token.text!r}", token.position)
        return FieldRef(token.text, token.position)

    def integer(self) -> int:
        token = self.take()
        if token.kind != "number" or not token.text.isdigit():
            raise SoqlError(
                "MALFORMED_QUERY", f"expecting a number, found {token.text!r}", token.position
            )
        return int(token.text)

    # -- grammar
    def query(self) -> Query:
        self.expect_word("SELECT")
        fields = [self.field_ref()]
        while self.peek() is not None and self.peek_text() == ",":
            self.take()
            fields.append(self.field_ref())
        self.expect_word("FROM")
        sobject = self.field_ref()
        query = Query(self.text, fields, sobject.path, sobject.position)
        if self.at_word("WHERE"):
            self.take()
            query.where = self.disjunction()
        if self.at_word("ORDER"):
            self.take()
            self.expect_word("BY")
            query.order_by = self.order_keys()
        if self.at_word("LIMIT"):
            self.take()
            query.limit = self.integer()
        if self.at_word("OFFSET"):
            self.take()
            query.offset = self.integer()
        trailing = self.peek()
        if trailing is not None:
            raise SoqlError(
                "MALFORMED_QUERY", f"unexpected token: {trailing.text!r}", trailing.position
            )
        return query

    def peek_text(self) -> str:
        token = self.peek()
        return token.text if token is not None else ""

    def disjunction(self) -> Condition:
        operands = [self.conjunction()]
        while self.at_word("OR"):
            self.take()
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else BoolOp("OR", tuple(operands))

    def conjunction(self) -> Condition:
        operands = [self.unary()]
        while self.at_word("AND"):
            self.take()
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else BoolOp("AND", tuple(operands))

    def unary(self) -> Condition:
        if self.at_word("NOT"):
            self.take()
            return Not(self.unary())
        if self.peek_text() == "(":
            self.take()
            inner = self.disjunction()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Condition:
        ref = self.field_ref()
        if self.at_word("NOT"):
            self.take()
            self.expect_word("IN")
            return Comparison(ref, "NOT IN", self.literal_list())
        if self.at_word("IN"):
            self.take()
            return Comparison(ref, "IN", self.literal_list())
        if self.at_word("LIKE"):
            self.take()
            pattern = self.literal()
            if not isinstance(pattern, str):
                raise SoqlError("MALFORMED_QUERY", "LIKE needs a string", ref.position)
            return Comparison(ref, "LIKE", pattern)
        token = self.take()
        if token.kind != "op":
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: {token.text!r}", token.position)
        op = "!=" if token.text == "<>" else token.text
        return Comparison(ref, op, self.literal())

    def literal_list(self) -> tuple[Value, ...]:
        self.expect_punct("(")
        values = [self.literal()]
        while self.peek_text() == ",":
            self.take()
            values.append(self.literal())
        self.expect_punct(")")
        return tuple(values)

    def literal(self) -> Value:
        token = self.take()
        if token.kind == "string":
            return _unquote(token.text)
        if token.kind == "number":
            return Decimal(token.text)
        if token.kind == "datetime":
            return datetime.fromisoformat(token.text)
        if token.kind == "date":
            return date.fromisoformat(token.text)
        if token.kind == "word" and token.text.upper() in ("TRUE", "FALSE"):
            return token.text.upper() == "TRUE"
        if token.kind == "word" and token.text.upper() == "NULL":
            return None
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: {token.text!r}", token.position)

    def order_keys(self) -> list[OrderKey]:
        keys = [self.order_key()]
        while self.peek_text() == ",":
            self.take()
            keys.append(self.order_key())
        return keys

    def order_key(self) -> OrderKey:
        ref = self.field_ref()
        descending = False
        if self.at_word("ASC", "DESC"):
            descending = self.take().text.upper() == "DESC"
        # Salesforce puts nulls first when ascending and last when descending, unless told.
        nulls_last = descending
        if self.at_word("NULLS"):
            self.take()
            if not self.at_word("FIRST", "LAST"):
                raise SoqlError("MALFORMED_QUERY", "expecting FIRST or LAST", ref.position)
            nulls_last = self.take().text.upper() == "LAST"
        return OrderKey(ref, descending, nulls_last)


_RESERVED = {
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC", "DESC",
    "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "TRUE", "FALSE", "NULL",
}  # fmt: skip


def _unquote(text: str) -> str:
    body = text[1:-1]
    out: list[str] = []
    chars = iter(body)
    for ch in chars:
        if ch == "\\":
            escaped = next(chars, "")
            out.append(_ESCAPES.get(escaped, escaped))
        else:
            out.append(ch)
    return "".join(out)
