"""Domains (§2.2): prefix ``&``/``|``/``!`` over ``(path, operator, value)`` leaves, compiled
once into a predicate over stored rows plus, where the leaves allow it, a candidate id set
read from the table indexes (so ``=``/``in`` on indexed fields never scans).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .table import Row

if TYPE_CHECKING:
    from .orm import Model
    from .world import Env

Pred = Callable[[Row], bool]

OPERATORS = frozenset(
    {
        "=",
        "!=",
        "<>",
        "<",
        ">",
        "<=",
        ">=",
        "=?",
        "in",
        "not in",
        "like",
        "not like",
        "ilike",
        "not ilike",
        "=like",
        "=ilike",
        "child_of",
        "parent_of",
        "any",
        "not any",
    }
)
_NEGATIVE = {
    "!=": "=",
    "<>": "=",
    "not in": "in",
    "not like": "like",
    "not ilike": "ilike",
    "not any": "any",
}
#: operators whose rows are a union of comodel matches (dotted paths use the index for them)
_POSITIVE = frozenset(
    {"=", "in", "like", "ilike", "=like", "=ilike", "<", "<=", ">", ">=", "child_of", "parent_of"}
)
TRUE_LEAF = (1, "=", 1)
FALSE_LEAF = (0, "=", 1)


@dataclass(frozen=True, slots=True)
class Compiled:
    #: ids the result must come from (None: any row)
    candidates: frozenset[int] | None
    #: row predicate (None: every candidate matches)
    pred: Pred | None


def _is_leaf(item: Any) -> bool:
    return isinstance(item, (list, tuple)) and len(item) == 3 and not isinstance(item, str)


def parse(domain: list[Any]) -> Any:
    """Prefix notation → tree: ('&', a, b) | ('|', a, b) | ('!', a) | leaf tuple."""
    items = list(domain)
    pos = 0

    def expr() -> Any:
        nonlocal pos
        if pos >= len(items):
            raise ValueError(f"Invalid domain {domain!r}: an operator lacks operands")
        item = items[pos]
        pos += 1
        if item in ("&", "|"):
            left = expr()
            return (item, left, expr())
        if item == "!":
            return ("!", expr())
        if _is_leaf(item):
            return tuple(item)
        raise ValueError(f"Invalid domain term {item!r} in {domain!r}")

    terms = []
    while pos < len(items):
        terms.append(expr())
    if not terms:
        return TRUE_LEAF
    tree = terms[-1]
    for term in reversed(terms[:-1]):  # implicit '&' between top-level terms
        tree = ("&", term, tree)
    return tree


def leaves(tree: Any) -> list[tuple[Any, str, Any]]:
    if tree and tree[0] in ("&", "|"):
        return leaves(tree[1]) + leaves(tree[2])
    if tree and tree[0] == "!":
        return leaves(tree[1])
    return [tree]


def like_regex(pattern: str, anchored: bool, ci: bool) -> re.Pattern[str]:
    """SQL LIKE → regex: ``%`` any run, ``_`` one char, ``\\`` escapes (PostgreSQL's
    default escape character); plain like/ilike wrap the pattern in ``%``."""
    out = []
    escaped = False
    for ch in pattern:
        if escaped:
            out.append(re.escape(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    body = "".join(out)
    if not anchored:
        body = f".*{body}.*"
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ci else re.DOTALL)


def _empty(v: Any) -> bool:
    return v is None or v is False or v == () or v == ""


def _cmp(op: str, value: Any, field_type: str, getter: Callable[[Row], Any]) -> Pred:
    """A positive comparison on one scalar/tuple getter."""
    multi = field_type in ("one2many", "many2many")
    if op == "=":
        if value is False or value is None:
            if multi:
                return lambda r: not getter(r)
            return lambda r: _empty(getter(r))
        if multi:
            return lambda r: value in (getter(r) or ())
        if field_type == "boolean":
            want = bool(value)
            return lambda r: bool(getter(r)) is want
        return lambda r: getter(r) == value
    if op == "in":
        items = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
        # identity, not equality: 0 == False in Python but not in SQL
        with_false = any(v is False or v is None for v in items)
        values = {v for v in items if v is not False and v is not None}
        if multi:
            return lambda r: (
                bool(values.intersection(getter(r) or ())) or (with_false and not getter(r))
            )
        return lambda r: (getter(r) in values) or (with_false and _empty(getter(r)))
    if op in ("<", ">", "<=", ">="):
        import operator as _op

        fn = {"<": _op.lt, ">": _op.gt, "<=": _op.le, ">=": _op.ge}[op]

        def compare(r: Row) -> bool:
            v = getter(r)
            if _empty(v) and v != 0:
                return False
            try:
                return bool(fn(v, value))
            except TypeError:
                return False

        return compare
    if op in ("like", "ilike", "=like", "=ilike"):
        if value is False or value is None:
            return lambda r: _empty(getter(r))
        rx = like_regex(str(value), anchored=op.startswith("="), ci="ilike" in op)
        return lambda r: (v := getter(r)) not in (None, False) and bool(rx.match(str(v)))
    raise ValueError(f"Invalid operator {op!r}")


class DomainCompiler:
    """Compiles one domain for one model in one environment (company, context)."""

    def __init__(self, model: Model, env: Env) -> None:
        self.model = model
        self.env = env
        self.word = env.profile.domain_leaf_word
        self._memo: dict[str, frozenset[int] | None] = {}

    def compile(self, domain: list[Any]) -> Compiled:
        tree = parse(domain)
        candidates = self._candidates(tree)
        pred = self._node(tree)
        if candidates is not None and self._exact(tree):
            pred = None  # every leaf was answered by an index: the candidates are the result
        return Compiled(candidates, pred)

    def _exact(self, tree: Any) -> bool:
        if tree[0] == "&":
            return self._exact(tree[1]) and self._exact(tree[2])
        if tree[0] in ("|", "!") or tree in (TRUE_LEAF, FALSE_LEAF):
            return False
        return self._leaf_candidates(tree) is not None

    # -- index-backed candidates (top-level '&' of '='/'in' leaves) --------------------------
    def _candidates(self, tree: Any) -> frozenset[int] | None:
        if tree[0] == "&":
            a, b = self._candidates(tree[1]), self._candidates(tree[2])
            if a is None:
                return b
            return a if b is None else a & b
        if tree[0] in ("|", "!") or tree in (TRUE_LEAF, FALSE_LEAF):
            return None
        return self._leaf_candidates(tree)

    def _leaf_candidates(self, leaf: tuple[Any, ...]) -> frozenset[int] | None:
        key = repr(leaf)
        if key not in self._memo:
            self._memo[key] = self._index_lookup(leaf)
        return self._memo[key]

    def _index_lookup(self, tree: tuple[Any, ...]) -> frozenset[int] | None:
        path, op, value = tree
        if isinstance(path, str) and "." in path:
            return self._path_candidates(path, op, value)
        if op == "child_of" and isinstance(path, str) and "." not in path:
            return self._child_of_candidates(path, value)
        if op in ("<", "<=", ">", ">=") and isinstance(path, str) and "." not in path:
            return self._range_candidates(path, op, value)
        if op not in ("=", "in") or not isinstance(path, str) or "." in path:
            return None
        values = value if op == "in" and isinstance(value, (list, tuple)) else [value]
        if path == "id":
            return frozenset(v for v in values if isinstance(v, int) and v is not True)
        table = self.model.table
        field = self.model.fields.get(path)
        if (
            field is None
            or path not in table.indexes
            or (field.type != "many2one" and (field.type not in ("char", "selection", "integer")))
        ):
            return None
        if any(
            v is False or v is None or (isinstance(v, str) and field.type == "many2one")
            for v in values
        ):
            return None
        out: set[int] = set()
        for v in values:
            out |= table.ids_where(path, v)
        return frozenset(out)

    def _path_candidates(self, path: str, op: str, value: Any) -> frozenset[int] | None:
        """``(m2o.rest, op, v)`` on an indexed stored many2one: the comodel records matching
        ``(rest, op, v)``, then their index buckets (the join PostgreSQL would do).  Exactly
        the rows ``_leaf`` accepts for the same leaf; negative operators are left to it."""
        if op not in _POSITIVE:
            return None
        head, _, rest = path.partition(".")
        field = self.model.fields.get(head)
        table = self.model.table
        if (
            field is None
            or field.type != "many2one"
            or not field.stored
            or field.related
            or head not in table.indexes
        ):
            return None
        comodel = self.env[field.relation or ""]
        ids = comodel.search_ids(self.env.with_context(active_test=False), [(rest, op, value)])
        out: set[int] = set()
        for target in ids:
            out |= table.ids_where(head, target)
        return frozenset(out)

    def _range_candidates(self, path: str, op: str, value: Any) -> frozenset[int] | None:
        """Id ranges (``product_id >= a``) on an indexed many2one/integer: the buckets of the
        matching keys, so chunked snapshots never scan the table."""
        field = self.model.fields.get(path)
        table = self.model.table
        if (
            field is None
            or field.type not in ("many2one", "integer")
            or path not in table.indexes
            or not isinstance(value, int)
            or isinstance(value, bool)
        ):
            return None
        test = {"<": value.__gt__, "<=": value.__ge__, ">": value.__lt__, ">=": value.__le__}[op]
        out: set[int] = set()
        for key, bucket in table.indexes[path].items():
            if isinstance(key, int) and not isinstance(key, bool) and test(key):
                out |= bucket
        return frozenset(out)

    def _child_of_candidates(self, path: str, value: Any) -> frozenset[int] | None:
        """``(m2o, 'child_of', x)`` on an indexed many2one: the index buckets of the
        descendants (§3.2: stock.location is a _parent_store model)."""
        field = self.model.fields.get(path)
        table = self.model.table
        if field is None or field.type != "many2one" or path not in table.indexes:
            return None
        comodel = self.env[field.relation or ""]
        family = comodel.descendants(comodel.resolve_ids(self.env, value))
        out: set[int] = set()
        for target in family:
            out |= table.ids_where(path, target)
        return frozenset(out)

    # -- predicates ---------------------------------------------------------------------------
    def _node(self, tree: Any) -> Pred | None:
        head = tree[0]
        if head == "&":
            a, b = self._node(tree[1]), self._node(tree[2])
            if a is None:
                return b
            if b is None:
                return a
            fa, fb = a, b
            return lambda r: fa(r) and fb(r)
        if head == "|":
            a, b = self._node(tree[1]), self._node(tree[2])
            if a is None or b is None:
                return None
            fa, fb = a, b
            return lambda r: fa(r) or fb(r)
        if head == "!":
            a = self._node(tree[1])
            if a is None:
                return lambda r: False
            return lambda r: not a(r)
        return self._leaf(tree)

    def _invalid(self, leaf: tuple[Any, ...], what: str = "field") -> ValueError:
        model = self.model._name
        if what == "field":
            # correction 10: "Invalid field res.partner.foo in leaf ('foo', '=', 1)"
            return ValueError(f"Invalid field {model}.{leaf[0]} in {self.word} {leaf!r}")
        return ValueError(f"Invalid {what} in {self.word} {leaf!r}")

    def _leaf(self, leaf: tuple[Any, ...]) -> Pred | None:
        if leaf == TRUE_LEAF:
            return None
        if leaf == FALSE_LEAF:
            return lambda r: False
        path, op, value = leaf
        if not isinstance(path, str) or op not in OPERATORS:
            raise self._invalid(leaf, "operator" if isinstance(path, str) else "leaf")
        if op in _NEGATIVE:
            positive = self._leaf((path, _NEGATIVE[op], value))
            if positive is None:
                return lambda r: False
            return lambda r: not positive(r)
        if op == "=?":
            if value is None or value is False:
                return None
            return self._leaf((path, "=", value))
        name, _, rest = path.partition(".")
        model = self.model
        if name == "id":
            return self._on_ids(leaf, op, value, lambda r: r["id"], "integer")
        field = model.fields.get(name)
        if field is None:
            raise self._invalid(leaf)
        if field.related and not rest:  # related / _inherits field: follow its path
            return self._leaf((".".join(field.related), op, value))
        if rest or op == "any":
            if not field.relational:
                raise self._invalid(leaf)
            comodel = self.env[field.relation or ""]
            sub = value if op == "any" else [(rest, op, value)]
            sub_env = (
                self.env.with_context(active_test=False) if field.type == "many2one" else self.env
            )
            ids = set(comodel.search_ids(sub_env, sub))
            return self._cmp_field(field, "in", list(ids))
        return self._cmp_field(field, op, value, leaf)

    def _cmp_field(
        self, field: Any, op: str, value: Any, leaf: tuple[Any, ...] | None = None
    ) -> Pred:
        name = field.name
        if field.stored or field.type == "one2many":
            getter = self.model.getter(self.env, name)
        else:  # computed, not stored: evaluate for every row once (Odoo runs _search_x)
            values = self.model.compute_all(self.env, name)
            getter = lambda r: values.get(r["id"])  # noqa: E731
        if field.type in ("many2one", "one2many", "many2many"):
            return self._on_ids(
                leaf or (name, op, value), op, value, getter, field.type, field.relation
            )
        return _cmp(op, value, field.type, getter)

    def _on_ids(
        self,
        leaf: tuple[Any, ...],
        op: str,
        value: Any,
        getter: Callable[[Row], Any],
        ftype: str,
        relation: str | None = None,
    ) -> Pred:
        target = self.env[relation] if relation else self.model
        if op in ("child_of", "parent_of"):
            ids = target.resolve_ids(self.env, value)
            family = target.descendants(ids) if op == "child_of" else target.ancestors(ids)
            return _cmp("in", list(family), ftype, getter)
        if isinstance(value, str) and op in ("=", "in", "like", "ilike", "=like", "=ilike"):
            # a name instead of an id: Odoo searches the comodel's display name
            sub_op = "ilike" if op in ("=", "in", "like", "ilike") else op
            if op == "=":
                sub_op = "="
            ids = target.search_ids(self.env, [(target._rec_name, sub_op, value)])
            return _cmp("in", list(ids), ftype, getter)
        if isinstance(value, (list, tuple)) and any(isinstance(v, str) for v in value):
            ids = target.search_ids(self.env, [(target._rec_name, "in", list(value))])
            return _cmp("in", list(ids), ftype, getter)
        return _cmp(op, value, ftype, getter)
