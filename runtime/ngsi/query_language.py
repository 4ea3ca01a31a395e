"""The NGSI-LD query language (ETSI GS CIM 009 §4.9), the subset a city platform's clients use, parsed into a
predicate over normalized entities.

    q       := term (('|' | ';') term)*          ';' is AND and binds tighter than '|' (OR)
    term    := '(' q ')' | path [op value]       a path alone tests that the attribute exists
    path    := attr ('.' member)* ('[' key ']')* member: observedAt, unitCode or a sub-property
    op      := == != > >= < <= ~= !~=           ~= is a regular-expression match
    value   := number | "string" | true | false | token (a date-time, a URN) | a..b (range) | a,b,c (any of)

``stateOfCharge>0.5``, ``designatedShelter==true;tier1Autonomy<24``, ``category=="school"|category=="civic"``,
``dateObserved>=2024-06-10T00:00:00Z``, ``refBuilding=="urn:ngsi-ld:Building:yamaguchi:city-hall"``. An
attribute is compared by its value (a Relationship by its object, a DateTime by its @value); a list value
matches if any element does; an entity without the attribute does not match. Attribute names may be full IRIs.
``QueryError`` (a ValueError) names the position and what was expected.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runtime.ngsi.attributes import Entity, plain_value
from runtime.ngsi.vocabulary import compact, term_for_iri

MAX_QUERY_CHARS = 2000
MAX_DEPTH = 16
OPERATORS = ("==", "!=", ">=", "<=", "!~=", "~=", ">", "<")
Predicate = Callable[[Entity], bool]
MISSING = object()
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")
ORDER: dict[str, Callable[[Any, Any], Any]] = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


class QueryError(ValueError):
    """A malformed query; the message names the parameter and position."""


@dataclass(frozen=True)
class _Range:
    low: Any
    high: Any


def _scalar(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if text in ("true", "false"):
        return text == "true"
    try:
        return float(text) if any(c in text for c in ".eE") and not text.count(":") else int(text)
    except ValueError:
        return text


def _value(text: str) -> Any:
    """A literal: a..b range, a,b list (outside quotes) or one scalar."""
    if not text.startswith('"') and ".." in text:
        low, high = text.split("..", 1)
        return _Range(_scalar(low), _scalar(high))
    parts = re.findall(r'"(?:[^"\\]|\\.)*"|[^,]+', text)
    return [_scalar(p) for p in parts] if len(parts) > 1 else _scalar(text)


def _compare(left: Any, op: str, right: Any) -> bool:
    if isinstance(left, list):
        hits = [_compare(item, op, right) for item in left]
        return all(hits) if op in ("!=", "!~=") else any(hits)
    if op in ("~=", "!~="):
        found = isinstance(left, str) and re.search(str(right), left) is not None
        return found if op == "~=" else not found
    if isinstance(right, list):
        inside = any(_compare(left, "==", r) for r in right)
        return inside if op == "==" else not inside if op == "!=" else False
    if isinstance(right, _Range):
        inside = _ordered(left, ">=", right.low) and _ordered(left, "<=", right.high)
        return inside if op == "==" else not inside if op == "!=" else False
    if op in ("==", "!="):
        left, right = _as_time(left), _as_time(right)
        same = type(left) is type(right) or (_number(left) and _number(right))
        equal = same and left == right
        return equal if op == "==" else same and not equal
    return _ordered(left, op, right)


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _as_time(value: Any) -> Any:
    """A date-time string as an aware datetime (so 03:07:00Z equals 03:07:00.000Z), anything else unchanged."""
    if isinstance(value, str) and DATE_TIME.fullmatch(value):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def _ordered(left: Any, op: str, right: Any) -> bool:
    left, right = _as_time(left), _as_time(right)
    if isinstance(left, dt.datetime) and isinstance(right, dt.datetime):
        return bool(ORDER[op](left, right))
    comparable = (_number(left) and _number(right)) or (isinstance(left, str) and isinstance(right, str))
    if not comparable:
        return False
    return bool(ORDER[op](left, right))


def _split_path(head: str) -> tuple[str, list[str]]:
    """(attribute term, members) of `attr.member...`; an attribute given as a full IRI (which has dots) is the
    longest dotted prefix that is a known IRI."""
    parts = head.split(".")
    known = term_for_iri()
    for k in range(len(parts), 1, -1):
        candidate = ".".join(parts[:k])
        if candidate in known:
            return known[candidate], parts[k:]
    return compact(parts[0]), parts[1:]


def _resolve(entity: Entity, path: str) -> Any:
    """The value a path names in an entity, MISSING if absent."""
    head, *keys = path.split("[")
    name, members = _split_path(head)
    attribute = entity.get(name, MISSING)
    for member in members:
        if not isinstance(attribute, dict) or member not in attribute:
            return MISSING
        attribute = attribute[member]
    value = plain_value(attribute) if attribute is not MISSING else MISSING
    for bracketed in keys:
        key = bracketed.rstrip("]")
        if not isinstance(value, dict) or key not in value:
            return MISSING
        value = value[key]
    return value


def _find_operator(text: str) -> tuple[int, str] | None:
    """The first operator outside quotes (the longest one starting there), with its index."""
    quoted = False
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        if not quoted:
            for op in OPERATORS:  # longest first
                if text.startswith(op, i):
                    return i, op
    return None


def _comparison(text: str, at: int) -> Predicate:
    """A term: `path op value`, or a path alone (the attribute exists)."""
    found = _find_operator(text)
    if found is None:
        path = text.strip()
        if not re.fullmatch(r"[^\s\"=<>!~]+", path):
            raise QueryError(f"q: position {at}: '{text}' is not an attribute path or a comparison")
        return lambda e: _resolve(e, path) is not MISSING
    where, op = found
    path, literal = text[:where].strip(), text[where + len(op) :].strip()
    if not re.fullmatch(r"[^\s\"]+", path) or not literal:
        raise QueryError(f"q: position {at}: '{text}' needs an attribute, an operator and a value")
    right = _value(literal)
    if op.endswith("~="):
        try:
            re.compile(str(right))
        except re.error as exc:
            raise QueryError(f"q: position {at}: invalid pattern {right!r}: {exc}") from None
    return lambda e: (v := _resolve(e, path)) is not MISSING and _compare(v, op, right)


def _tokens(text: str) -> list[tuple[int, str]]:
    """(position, token): '(' ')' ';' '|' and terms (quoted strings kept whole)."""
    tokens: list[tuple[int, str]] = []
    i = 0
    while i < len(text):
        if text[i] in "();|":
            tokens.append((i, text[i]))
            i += 1
            continue
        start, quoted = i, False
        while i < len(text) and (quoted or text[i] not in "();|"):
            quoted = quoted != (text[i] == '"')
            i += 1
        if quoted:
            raise QueryError(f"q: position {start}: unterminated string")
        tokens.append((start, text[start:i]))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def position(self) -> str:
        return str(self.tokens[self.i][0]) if self.i < len(self.tokens) else "end"

    def either(self, depth: int) -> Predicate:
        parts = [self.both(depth)]
        while self.peek() == "|":
            self.i += 1
            parts.append(self.both(depth))
        return parts[0] if len(parts) == 1 else lambda e: any(p(e) for p in parts)

    def both(self, depth: int) -> Predicate:
        parts = [self.term(depth)]
        while self.peek() == ";":
            self.i += 1
            parts.append(self.term(depth))
        return parts[0] if len(parts) == 1 else lambda e: all(p(e) for p in parts)

    def term(self, depth: int) -> Predicate:
        piece, at = self.peek(), self.position()
        if piece is None or piece in (")", ";", "|"):
            raise QueryError(f"q: position {at}: expected a comparison or '('")
        self.i += 1
        if piece != "(":
            return _comparison(piece, int(at))
        if depth >= MAX_DEPTH:
            raise QueryError(f"q: more than {MAX_DEPTH} nested parentheses")
        inner = self.either(depth + 1)
        if self.peek() != ")":
            raise QueryError(f"q: position {self.position()}: expected ')' to close '(' at {at}")
        self.i += 1
        return inner


def parse_query(text: str) -> Predicate:
    """The predicate of a q expression (QueryError naming the position if malformed)."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"q: {len(text)} characters; at most {MAX_QUERY_CHARS}")
    if not text.strip():
        raise QueryError("q: empty; give a comparison such as stateOfCharge>0.5")
    parser = _Parser(text)
    predicate = parser.either(0)
    if parser.peek() is not None:
        raise QueryError(f"q: position {parser.position()}: unexpected '{parser.peek()}'")
    return predicate
