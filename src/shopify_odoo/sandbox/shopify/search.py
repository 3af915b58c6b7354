"""Shopify's search syntax, for the filters the connector uses (``sku:``, ``barcode:``,
``status:``, ``updated_at:>…``, ``created_at:``, ``id:``, ``OR``, ``AND``, ``NOT``/``-``,
parentheses, quoted values, a trailing ``*`` for a prefix).

The query is parsed once into a tree; the caller supplies, per record type, a function giving a
field's value for a record.  Comparisons on ``*_at`` fields parse timestamps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .clock import parse_time

_TOKEN = re.compile(
    r"""\s*(\(|\)|-?[\w.]+:(?:[<>]=?)?(?:"[^"]*"|'[^']*'|[^\s()]+)|"[^"]*"|[^\s()]+)"""
)


@dataclass(frozen=True, slots=True)
class Term:
    field: str | None  # None = free text
    op: str  # ":", ">", ">=", "<", "<="
    value: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Node:
    kind: str  # "and" | "or" | "not"
    parts: tuple[Any, ...]


Expr = Term | Node


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or not m.group(1):
            break
        out.append(m.group(1))
        pos = m.end()
    return out


def _term(tok: str) -> Term:
    negated = tok.startswith("-") and ":" in tok
    if negated:
        tok = tok[1:]
    if ":" in tok and not tok.startswith(('"', "'")):
        field, _, rest = tok.partition(":")
        op = ":"
        for candidate in (">=", "<=", ">", "<"):
            if rest.startswith(candidate):
                op, rest = candidate, rest[len(candidate) :]
                break
        return Term(field.lower(), op, rest.strip("'\""), negated)
    return Term(None, ":", tok.strip("'\""), False)


@lru_cache(maxsize=4096)
def parse(text: str) -> Expr | None:
    toks = _tokens(text or "")
    if not toks:
        return None
    pos = 0

    def or_expr() -> Expr:
        nonlocal pos
        parts = [and_expr()]
        while pos < len(toks) and toks[pos].upper() == "OR":
            pos += 1
            parts.append(and_expr())
        return parts[0] if len(parts) == 1 else Node("or", tuple(parts))

    def and_expr() -> Expr:
        nonlocal pos
        parts: list[Expr] = []
        while pos < len(toks) and toks[pos] != ")" and toks[pos].upper() != "OR":
            if toks[pos].upper() == "AND":
                pos += 1
                continue
            parts.append(unary())
        return parts[0] if len(parts) == 1 else Node("and", tuple(parts))

    def unary() -> Expr:
        nonlocal pos
        tok = toks[pos]
        if tok.upper() == "NOT":
            pos += 1
            return Node("not", (unary(),))
        if tok == "(":
            pos += 1
            inner = or_expr()
            if pos < len(toks) and toks[pos] == ")":
                pos += 1
            return inner
        pos += 1
        return _term(tok)

    return or_expr()


Getter = Callable[[Any, str], Any]


def matches(expr: Expr | None, record: Any, get: Getter) -> bool:
    if expr is None:
        return True
    if isinstance(expr, Node):
        if expr.kind == "and":
            return all(matches(p, record, get) for p in expr.parts)
        if expr.kind == "or":
            return any(matches(p, record, get) for p in expr.parts)
        return not matches(expr.parts[0], record, get)
    result = _match_term(expr, record, get)
    return not result if expr.negated else result


def _match_term(t: Term, record: Any, get: Getter) -> bool:
    field = t.field or "title"
    value = get(record, field)
    if value is _UNKNOWN:
        return True  # Shopify ignores filters it does not know (inference)
    if value is None:
        return False
    if field.endswith("_at"):
        try:
            ref = parse_time(t.value)
        except ValueError:
            return False
        return _compare(float(value), t.op, ref)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return _compare(float(value), t.op, float(t.value))
        except ValueError:
            return False
    text = str(value).lower()
    want = t.value.lower()
    if t.field is None:
        return want in text
    if want.endswith("*"):
        return text.startswith(want[:-1])
    return text == want


def _compare(a: float, op: str, b: float) -> bool:
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    return a == b


class _Unknown:
    pass


_UNKNOWN: Any = _Unknown()
UNKNOWN = _UNKNOWN


def equality_values(expr: Expr | None, field: str) -> set[str] | None:
    """When the whole query is ``field:a OR field:b ...`` (exact values), those values, so the
    caller can use an index; otherwise None."""
    if isinstance(expr, Term):
        if expr.field == field and expr.op == ":" and not expr.negated and "*" not in expr.value:
            return {expr.value}
        return None
    if isinstance(expr, Node) and expr.kind == "or":
        out: set[str] = set()
        for p in expr.parts:
            sub = equality_values(p, field)
            if sub is None:
                return None
            out |= sub
        return out
    return None
