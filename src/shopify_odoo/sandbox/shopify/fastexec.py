"""A small synchronous executor for validated documents.

Written by hand because graphql-core's general executor costs ~20 µs per field (awaitable
checks, per-item argument coercion), which caps the sandbox far below the 300 requests/s it
must sustain (issue 4).  This one computes each field's arguments once per request, caches
field collection per document, and otherwise follows the spec's execution: aliases, inline
fragments and fragment spreads with type conditions, @skip/@include, abstract types through
the same ``resolve_type``, null propagation to the nearest nullable parent, errors located with
their path.  Documents that use introspection go to graphql-core instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    located_error,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.pyutils import Path, Undefined
from graphql.type.directives import GraphQLIncludeDirective, GraphQLSkipDirective
from graphql.utilities import type_from_ast

_BUILTIN = {"String": str, "ID": str, "Boolean": bool, "Int": int, "Float": float}


class _Null(Exception):
    """A non-null field resolved to null: propagate to the parent."""


class FastInfo:
    __slots__ = (
        "context",
        "field_name",
        "field_nodes",
        "parent_type",
        "path",
        "return_type",
        "schema",
        "variable_values",
    )

    def __init__(
        self,
        ex: Executor,
        field_name: str,
        nodes: list[FieldNode],
        parent: GraphQLObjectType,
        path: Path,
        rtype: Any,
    ) -> None:
        self.context = ex.context
        self.schema = ex.schema
        self.variable_values = ex.variables
        self.field_name = field_name
        self.field_nodes = nodes
        self.parent_type = parent
        self.path = path
        self.return_type = rtype


class Executor:
    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        context: Any,
        collect_cache: dict[Any, list[tuple[str, list[FieldNode]]]],
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.fragments = fragments
        self.context = context
        self.cache = collect_cache
        self.errors: list[GraphQLError] = []
        self.variables: Any = None
        self._args: dict[int, dict[str, Any]] = {}

    # ---------------------------------------------------------------- entry

    def run(
        self, raw_variables: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, list[GraphQLError]]:
        fast = _fast_variables(self.schema, self.operation, raw_variables)
        if fast is not None:
            self.variables = VariableValues({}, fast)
        else:  # anything unusual: graphql-core coerces and words the errors
            coerced = get_variable_values(
                self.schema, self.operation.variable_definitions or (), raw_variables
            )
            if isinstance(coerced, list):
                return None, coerced
            self.variables = coerced
        root = (
            self.schema.mutation_type
            if self.operation.operation.value == "mutation"
            else self.schema.query_type
        )
        assert root is not None
        try:
            data = self._object(root, None, [self.operation.selection_set], None)
        except _Null:
            data = None
        return data, self.errors

    # ---------------------------------------------------------------- fields

    def _collect(
        self, otype: GraphQLObjectType, sets: list[SelectionSetNode]
    ) -> list[tuple[str, list[FieldNode]]]:
        key = (otype.name, *(id(s) for s in sets))
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        grouped: dict[str, list[FieldNode]] = {}
        for s in sets:
            self._collect_into(otype, s, grouped, set())
        out = list(grouped.items())
        if not any(self._has_conditions(s) for s in sets):
            self.cache[key] = out  # @skip/@include depend on variables: not cached
        return out

    def _has_conditions(self, s: SelectionSetNode) -> bool:
        return any(getattr(sel, "directives", None) for sel in s.selections)

    def _included(self, node: Any) -> bool:
        if not node.directives:
            return True
        from graphql.execution.values import get_directive_values

        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def _applies(self, cond: str | None, otype: GraphQLObjectType) -> bool:
        if cond is None or cond == otype.name:
            return True
        t = self.schema.get_type(cond)
        return isinstance(t, GraphQLAbstractType) and self.schema.is_sub_type(t, otype)

    def _collect_into(
        self,
        otype: GraphQLObjectType,
        s: SelectionSetNode,
        grouped: dict[str, list[FieldNode]],
        seen: set[str],
    ) -> None:
        for sel in s.selections:
            if not self._included(sel):
                continue
            if isinstance(sel, FieldNode):
                grouped.setdefault(sel.alias.value if sel.alias else sel.name.value, []).append(sel)
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition.name.value if sel.type_condition else None
                if self._applies(cond, otype):
                    self._collect_into(otype, sel.selection_set, grouped, seen)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                frag = self.fragments.get(name)
                if frag is None or name in seen:
                    continue
                seen.add(name)
                if self._applies(frag.type_condition.name.value, otype):
                    self._collect_into(otype, frag.selection_set, grouped, seen)

    def _arguments(self, fdef: Any, node: FieldNode) -> dict[str, Any]:
        hit = self._args.get(id(node))
        if hit is None:
            hit = (
                get_argument_values(fdef, node, self.variables)
                if node.arguments or fdef.args
                else {}
            )
            self._args[id(node)] = hit
        return hit

    def _object(
        self, otype: GraphQLObjectType, source: Any, sets: list[SelectionSetNode], path: Path | None
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        fields = otype.fields
        for key, nodes in self._collect(otype, sets):
            node = nodes[0]
            name = node.name.value
            if name == "__typename":
                result[key] = otype.name
                continue
            fdef = fields[name]
            fpath = Path(path, key, otype.name)
            try:
                args = self._arguments(fdef, node)
                resolver = fdef.resolve
                if resolver is None:
                    value = (
                        source.get(name)
                        if isinstance(source, dict)
                        else getattr(source, name, None)
                    )
                else:
                    value = resolver(
                        source, FastInfo(self, name, nodes, otype, fpath, fdef.type), **args
                    )
                result[key] = self._complete(fdef.type, nodes, value, fpath)
            except _Null:
                if isinstance(fdef.type, GraphQLNonNull):
                    raise
                result[key] = None
            except Exception as exc:  # a resolver error: located, field nulled (spec §6.4.4)
                self.errors.append(located_error(exc, nodes, fpath.as_list()))
                if isinstance(fdef.type, GraphQLNonNull):
                    raise _Null() from exc
                result[key] = None
        return result

    def _complete(self, rtype: Any, nodes: list[FieldNode], value: Any, path: Path) -> Any:
        if isinstance(rtype, GraphQLNonNull):
            done = self._complete(rtype.of_type, nodes, value, path)
            if done is None:
                self.errors.append(
                    located_error(
                        GraphQLError(
                            "Cannot return null for non-nullable field "
                            f"{path.typename}.{nodes[0].name.value}."
                        ),
                        nodes,
                        path.as_list(),
                    )
                )
                raise _Null()
            return done
        if value is None:
            return None
        if isinstance(rtype, GraphQLList):
            item_type = rtype.of_type
            out = []
            for i, item in enumerate(value):
                ipath = Path(path, i, None)
                try:
                    out.append(self._complete(item_type, nodes, item, ipath))
                except _Null:
                    if isinstance(item_type, GraphQLNonNull):
                        raise
                    out.append(None)
            return out
        if isinstance(rtype, GraphQLScalarType):
            py = _BUILTIN.get(rtype.name)
            if py is None:
                return value  # custom scalars (Money, DateTime, URL...) are resolved as strings
            if type(value) is py:
                return value
            return rtype.serialize(value)
        if isinstance(rtype, GraphQLEnumType):
            return value if isinstance(value, str) else rtype.serialize(value)
        if isinstance(rtype, GraphQLAbstractType):
            resolve_type = rtype.resolve_type
            name = resolve_type(value, cast(Any, None), rtype) if resolve_type else None
            otype = self.schema.get_type(name) if isinstance(name, str) else None
            if not isinstance(otype, GraphQLObjectType):
                raise GraphQLError(
                    f"Abstract type {rtype.name} could not resolve a type for "
                    f"{type(value).__name__}."
                )
            rtype = otype
        sets = [n.selection_set for n in nodes if n.selection_set is not None]
        return self._object(rtype, value, sets, path)


def uses_introspection(query: str) -> bool:
    return "__schema" in query or "__type" in query.replace("__typename", "")


class _Unfit(Exception):
    """The fast coercion met something it leaves to graphql-core."""


Coercer = Callable[[Any], Any]
#: one compiled coercer per input type (wrapping types included), built on first use
_COERCERS: dict[Any, Coercer] = {}
_INT_MIN, _INT_MAX = -(2**31), 2**31


def _fast_variables(
    schema: GraphQLSchema, op: OperationDefinitionNode, raw: dict[str, Any]
) -> dict[str, Any] | None:
    """Coerce well-formed JSON variables the way graphql-core would, much faster; None when
    any value needs graphql-core (defaults, errors, unusual scalars)."""
    out: dict[str, Any] = {}
    try:
        for vd in op.variable_definitions or ():
            name = vd.variable.name.value
            if vd.default_value is not None:
                raise _Unfit
            vtype = type_from_ast(schema, vd.type)
            if name not in raw:
                if isinstance(vtype, GraphQLNonNull):
                    raise _Unfit
                continue
            out[name] = _coercer(vtype)(raw[name])
    except _Unfit:
        return None
    return out


def _coerce(t: Any, value: Any) -> Any:
    return _coercer(t)(value)


def _coercer(t: Any) -> Coercer:
    fn = _COERCERS.get(t)
    if fn is None:
        if isinstance(t, GraphQLNonNull):
            core = _core(t.of_type)

            def fn(value: Any) -> Any:
                if value is None:
                    raise _Unfit
                return core(value)

        else:
            core = _core(t)

            def fn(value: Any) -> Any:
                return None if value is None else core(value)

        _COERCERS[t] = fn
    return fn


def _core(t: Any) -> Coercer:
    """Coerces a non-null JSON value to ``t`` (a nullable named or list type)."""
    if isinstance(t, GraphQLList):
        inner = t.of_type

        def as_list(value: Any) -> Any:
            item = _coercer(inner)
            if type(value) is list:
                return [item(v) for v in value]
            return [item(value)]  # input coercion of a single value to a list (spec §3.11)

        return as_list
    if isinstance(t, GraphQLInputObjectType):
        return _object_coercer(t)
    if isinstance(t, GraphQLEnumType):
        values = t.values

        def enum(value: Any) -> Any:
            if type(value) is str and value in values:
                return values[value].value
            raise _Unfit

        return enum
    return _SCALARS.get(t.name, _custom_scalar)


def _object_coercer(t: GraphQLInputObjectType) -> Coercer:
    # (field name, output name, inline kind, field coercer): kind 1 = str accepted as is
    # (String/ID), 2 = 32-bit int accepted as is (Int), 0 = through the field's coercer
    plan: list[tuple[str, str, int, Coercer]] = []
    known: set[str] = set()
    needed: set[str] = set()  # must be given: graphql-core fills defaults and words errors

    def build() -> None:
        for fname, f in t.fields.items():
            ft = f.type
            inner = ft.of_type if isinstance(ft, GraphQLNonNull) else ft
            name = getattr(inner, "name", None)
            kind = 1 if name in ("String", "ID") else 2 if name == "Int" else 0
            plan.append((fname, f.out_name or fname, kind, _coercer(ft)))
            known.add(fname)
            if f.default_value is not Undefined or isinstance(ft, GraphQLNonNull):
                needed.add(fname)

    def obj(value: Any) -> Any:
        if not plan:
            build()
        if type(value) is not dict or not known.issuperset(value) or not needed <= value.keys():
            raise _Unfit
        out: dict[str, Any] = {}  # schema field order, as graphql-core builds it
        for fname, out_name, kind, fc in plan:
            if fname in value:
                v = value[fname]
                tv = type(v)
                if (kind == 1 and tv is str) or (
                    kind == 2 and tv is int and _INT_MIN <= v < _INT_MAX
                ):
                    out[out_name] = v
                else:
                    out[out_name] = fc(v)
        return out

    return obj


def _int(value: Any) -> Any:
    if type(value) is int and _INT_MIN <= value < _INT_MAX:
        return value
    raise _Unfit


def _bool(value: Any) -> Any:
    if type(value) is bool:
        return value
    raise _Unfit


def _str(value: Any) -> Any:
    if type(value) is str:
        return value
    raise _Unfit


def _float(value: Any) -> Any:
    if type(value) in (int, float):
        return float(value)
    raise _Unfit


def _custom_scalar(value: Any) -> Any:
    if isinstance(value, str):
        return value  # custom scalars (Money, URL, DateTime, Decimal) arrive as strings
    raise _Unfit


_SCALARS: dict[str, Coercer] = {
    "Int": _int,
    "Boolean": _bool,
    "String": _str,
    "ID": _str,
    "Float": _float,
}
