"""The bulk query's JSONL built straight from the query plan, without executing a GraphQL
document per page of roots (§c).

:mod:`.bulk` runs the query page by page through the executor, then takes each root value
apart (``_flatten``): nested connection nodes become separate lines with ``__parentId``.  For
100,000 variants that costs about a millisecond per variant.  Here the query's selection is
compiled once into builders that call the very same resolvers, and each root's lines are built
directly: a node's line holds its fields minus its connections (at any depth of plain objects),
then come the connections' nodes, each with its own line and children (§c: children after
their parent), lists stay inline.  The lines are exactly what :mod:`.bulk`'s generic path
writes for the same store (a test compares both); queries outside what this module knows
(several root fields, a root that is not a connection, ``nodes``/``edges``/``node`` aliased to
other fields) are left to the generic path, and so is any run where a resolver raises or a
non-null field resolves to null (the generic path words that failure).
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable, Iterator
from typing import Any, cast

from graphql import (
    FieldNode,
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.pyutils import Path

from .fastexec import Executor, FastInfo, _fast_variables
from .gql import _RESOLVERS, Ctx, prepare, schema
from .paging import Conn

_BUILTIN = {"String": str, "ID": str, "Boolean": bool, "Int": int, "Float": float}


def _encoder() -> Callable[[Any], str]:
    """``json.dumps(x, separators=(",", ":"))`` without building a C encoder per call."""
    plain = json.JSONEncoder(separators=(",", ":"))
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return plain.encode
    try:
        enc = make(
            None,
            plain.default,
            json.encoder.encode_basestring_ascii,
            None,
            ":",
            ",",
            False,
            False,
            True,
        )
    except TypeError:  # another interpreter's signature
        return plain.encode
    sample = {"a": [1, 2.5, None, True, "é\n"], "b": {"c": "d"}}
    if "".join(enc(sample, 0)) != plain.encode(sample):
        return plain.encode
    return lambda value: "".join(enc(value, 0))


_DUMPS = _encoder()


class Unsupported(Exception):
    """This query (or this run) is left to the generic path."""


Complete = Callable[[Any], Any]
#: a line builder: (node value, children out) -> the line's fields
LineFn = Callable[[Any, list[tuple["LineFn", Any]]], dict[str, Any]]


class _Compiler:
    def __init__(self, ex: Executor) -> None:
        self.ex = ex
        self.schema = ex.schema

    # ------------------------------------------------------------------ fields of an object

    def fields(
        self, otype: GraphQLObjectType, sets: list[SelectionSetNode], path: Path | None
    ) -> list[tuple[str, list[FieldNode], Any, Any, FastInfo | None, Path]]:
        """(response key, nodes, field definition, resolver, info, path) in response order."""
        out: list[tuple[str, list[FieldNode], Any, Any, FastInfo | None, Path]] = []
        for key, nodes in self.ex._collect(otype, sets):
            node = nodes[0]
            name = node.name.value
            fpath = Path(path, key, otype.name)
            if name == "__typename":
                out.append((key, nodes, None, None, None, fpath))
                continue
            fdef = otype.fields[name]
            info = FastInfo(self.ex, name, nodes, otype, fpath, fdef.type)
            out.append((key, nodes, fdef, fdef.resolve, info, fpath))
        return out

    def resolver(
        self, otype: GraphQLObjectType, fdef: Any, name: str, resolve: Any, info: Any, args: Any
    ) -> Callable[[Any], Any]:
        if resolve is None:

            def default(source: Any) -> Any:
                if isinstance(source, dict):
                    return source.get(name)
                return getattr(source, name, None)

            return default
        if args:
            return lambda source: resolve(source, info, **args)
        return lambda source: resolve(source, info)

    # ------------------------------------------------------------------ inline values

    def complete(self, rtype: Any, nodes: list[FieldNode], path: Path) -> Complete:
        """Completes a resolved value as the executor does (lists, scalars, objects inline)."""
        if isinstance(rtype, GraphQLNonNull):
            inner = self.complete(rtype.of_type, nodes, path)

            def non_null(value: Any) -> Any:
                done = inner(value)
                if done is None:
                    raise Unsupported("null in a non-null field")
                return done

            return non_null
        if isinstance(rtype, GraphQLList):
            item = self.complete(rtype.of_type, nodes, Path(path, 0, None))

            def as_list(value: Any) -> Any:
                if value is None:
                    return None
                return [item(v) for v in value]

            return as_list
        if isinstance(rtype, GraphQLScalarType):
            py = _BUILTIN.get(rtype.name)
            if py is None:
                return lambda value: value  # custom scalars are resolved as strings (fastexec)
            serialize = rtype.serialize

            def scalar(value: Any) -> Any:
                if value is None or type(value) is py:
                    return value
                return serialize(value)

            return scalar
        if isinstance(rtype, GraphQLEnumType):
            serialize_enum = rtype.serialize
            return lambda value: (
                value if value is None or isinstance(value, str) else serialize_enum(value)
            )
        sets = [n.selection_set for n in nodes if n.selection_set is not None]
        objects = self.per_type(rtype, lambda ot: self.inline_object(ot, sets, path))

        def obj(value: Any) -> Any:
            if value is None:
                return None
            fn: Callable[[Any], dict[str, Any]] = objects(value)
            return fn(value)

        return obj

    def per_type(self, rtype: Any, build: Callable[[GraphQLObjectType], Any]) -> Any:
        """value -> the builder for the value's object type (abstract types resolved as the
        executor does, builders compiled on first use)."""
        if isinstance(rtype, GraphQLObjectType):
            one = build(rtype)
            return lambda _value: one
        if not isinstance(rtype, GraphQLAbstractType):
            raise Unsupported(f"type {rtype}")
        built: dict[str, Any] = {}
        resolve_type = rtype.resolve_type

        def pick(value: Any) -> Any:
            name = resolve_type(value, cast(Any, None), rtype) if resolve_type else None
            hit = built.get(name) if isinstance(name, str) else None
            if hit is None:
                otype = self.schema.get_type(name) if isinstance(name, str) else None
                if not isinstance(otype, GraphQLObjectType):
                    raise Unsupported("abstract type without a concrete type")
                hit = built[otype.name] = build(otype)
            return hit

        return pick

    def inline_object(
        self, otype: GraphQLObjectType, sets: list[SelectionSetNode], path: Path
    ) -> Callable[[Any], dict[str, Any]]:
        plan: list[tuple[str, Callable[[Any], Any] | None, Complete | None]] = []
        for key, nodes, fdef, resolve, info, fpath in self.fields(otype, sets, path):
            if fdef is None:
                plan.append((key, None, None))
                continue
            args = self.ex._arguments(fdef, nodes[0])
            name = nodes[0].name.value
            plan.append(
                (
                    key,
                    self.resolver(otype, fdef, name, resolve, info, args),
                    self.complete(fdef.type, nodes, fpath),
                )
            )
        tname = otype.name

        def build(source: Any) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for key, get, done in plan:
                if get is None or done is None:
                    out[key] = tname
                else:
                    out[key] = done(get(source))
            return out

        return build

    # ------------------------------------------------------------------ lines (bulk.py _strip)

    def line_object(
        self, otype: GraphQLObjectType, sets: list[SelectionSetNode], path: Path | None
    ) -> LineFn:
        """A node's line: plain nested objects stay inline (their connections are taken out
        too), connections' nodes go to ``children``, lists are inline values.

        The builder is one generated function with a few lines per field (calling the
        field's resolver, completing the value as :meth:`complete` does), not a chain of
        closures: most of a bulk file's time is here."""
        ns: dict[str, Any] = {"Unsupported": Unsupported}
        code = ["def build(source, children):", "    out = {}"]
        for i, (key, nodes, fdef, resolve, info, fpath) in enumerate(
            self.fields(otype, sets, path)
        ):
            k = f"K{i}"
            ns[k] = key
            if fdef is None:
                ns[f"C{i}"] = otype.name
                code.append(f"    out[{k}] = C{i}")
                continue
            args = self.ex._arguments(fdef, nodes[0])
            name = nodes[0].name.value
            ftype = fdef.type
            non_null = isinstance(ftype, GraphQLNonNull)
            named = ftype.of_type if non_null else ftype
            on_null = (
                "raise Unsupported('null in a non-null field')" if non_null else f"out[{k}] = None"
            )
            if resolve is not None and not args:
                ns[f"R{i}"], ns[f"I{i}"] = resolve, info
                call = f"R{i}(source, I{i})"
            else:
                ns[f"G{i}"] = self.resolver(otype, fdef, name, resolve, info, args)
                call = f"G{i}(source)"
            py = _BUILTIN.get(getattr(named, "name", ""))
            if isinstance(named, GraphQLScalarType) and py is not None:
                ns[f"P{i}"], ns[f"S{i}"] = py, named.serialize
                code += [
                    f"    v = {call}",
                    f"    if type(v) is not P{i}:",
                    "        if v is None:",
                    "            "
                    + ("raise Unsupported('null in a non-null field')" if non_null else "pass"),
                    "        else:",
                    f"            v = S{i}(v)",
                    f"    out[{k}] = v",
                ]
                continue
            if isinstance(named, GraphQLObjectType):
                fsets = [n.selection_set for n in nodes if n.selection_set is not None]
                keys = {kk for kk, _n in self.ex._collect(named, fsets)}
                code += [f"    v = {call}", "    if v is None:", f"        {on_null}"]
                if "edges" in keys or "nodes" in keys:
                    ns[f"T{i}"] = self.connection(named, fsets, fpath)
                    code += ["    else:", f"        T{i}(v, children)"]
                else:
                    ns[f"B{i}"] = self.line_object(named, fsets, fpath)
                    code += ["    else:", f"        out[{k}] = B{i}(v, children)"]
                continue
            if isinstance(named, GraphQLAbstractType):
                get = self.resolver(otype, fdef, name, resolve, info, args)
                ns[f"F{i}"] = self.line_field(key, get, ftype, nodes, fpath)
                code.append(f"    F{i}(source, out, children)")
                continue
            ns[f"D{i}"] = self.complete(ftype, nodes, fpath)
            code.append(f"    out[{k}] = D{i}({call})")
        code.append("    return out")
        exec("\n".join(code), ns)  # noqa: S102 - our own code, names bound in ns
        build: LineFn = ns["build"]
        return build

    def line_field(
        self,
        key: str,
        get: Callable[[Any], Any],
        ftype: Any,
        nodes: list[FieldNode],
        path: Path,
    ) -> Callable[[Any, dict[str, Any], list[tuple[LineFn, Any]]], None]:
        non_null = isinstance(ftype, GraphQLNonNull)
        named = ftype.of_type if non_null else ftype
        if not isinstance(named, GraphQLObjectType | GraphQLAbstractType):
            done = self.complete(ftype, nodes, path)

            def value_step(source: Any, out: dict[str, Any], _c: list[tuple[LineFn, Any]]) -> None:
                out[key] = done(get(source))

            return value_step
        sets = [n.selection_set for n in nodes if n.selection_set is not None]

        def object_step_for(otype: GraphQLObjectType) -> Any:
            keys = {k for k, _n in self.ex._collect(otype, sets)}
            if "edges" in keys or "nodes" in keys:
                return self.connection(otype, sets, path)
            nested = self.line_object(otype, sets, path)
            return lambda value, children: (False, nested(value, children))

        pick = self.per_type(named, object_step_for)

        def object_step(
            source: Any, out: dict[str, Any], children: list[tuple[LineFn, Any]]
        ) -> None:
            value = get(source)
            if value is None:
                if non_null:
                    raise Unsupported("null in a non-null field")
                out[key] = None
                return
            is_conn, line = pick(value)(value, children)
            if not is_conn:
                out[key] = line

        return object_step

    def connection(
        self, otype: GraphQLObjectType, sets: list[SelectionSetNode], path: Path
    ) -> Callable[[Any, list[tuple[LineFn, Any]]], tuple[bool, None]]:
        """A connection inside a line: its nodes become children, the rest is dropped
        (bulk.py ``_conn_nodes``: ``nodes`` when non-empty, else every edge's ``node``)."""
        fields = {key: rest for key, *rest in self.fields(otype, sets, path)}
        nodes_of = self.node_list(otype, fields.get("nodes"), "nodes")
        edges_of = self.node_list(otype, fields.get("edges"), "edges")

        def take(value: Any, children: list[tuple[LineFn, Any]]) -> tuple[bool, None]:
            found = nodes_of(value) if nodes_of is not None else None
            if found is None and edges_of is not None:
                found = edges_of(value)
            if found:
                children.extend(found)
            return True, None

        return take

    def node_list(
        self, conn_type: GraphQLObjectType, spec: Any, name: str
    ) -> Callable[[Any], list[tuple[LineFn, Any]] | None] | None:
        """value of the connection -> its nodes, each with its line builder (None when the
        field gives no list, or for ``nodes`` an empty one: bulk.py then reads the edges)."""
        if spec is None:
            return None
        nodes, fdef, resolve, info, fpath = spec
        if fdef is None or nodes[0].name.value != name:
            raise Unsupported(f"{name!r} is not the {name} field")
        args = self.ex._arguments(fdef, nodes[0])
        get = self.resolver(conn_type, fdef, name, resolve, info, args)
        ltype = fdef.type.of_type if isinstance(fdef.type, GraphQLNonNull) else fdef.type
        if not isinstance(ltype, GraphQLList):
            raise Unsupported(f"{name} is not a list")
        item_type = ltype.of_type
        item_non_null = isinstance(item_type, GraphQLNonNull)
        named = item_type.of_type if item_non_null else item_type
        sets = [n.selection_set for n in nodes if n.selection_set is not None]
        ipath = Path(fpath, 0, None)
        if name == "nodes":
            lines = self.per_type(named, lambda ot: self.line_object(ot, sets, ipath))

            def node_items(value: Any) -> list[tuple[LineFn, Any]] | None:
                raw = get(value)
                if not raw:  # None or no nodes: bulk.py then reads the edges
                    return None
                out = []
                for item in raw:
                    if item is None:  # the generic path words (or counts) it
                        raise Unsupported("null node")
                    out.append((lines(item), item))
                return out

            return node_items
        # edges: every edge's "node" (nothing else of an edge reaches the file)
        if not isinstance(named, GraphQLObjectType):
            raise Unsupported("abstract edge type")
        edge_fields = {key: rest for key, *rest in self.fields(named, sets, ipath)}
        spec_node = edge_fields.get("node")
        if spec_node is None:
            raise Unsupported("edges without node")
        enodes, efdef, eresolve, einfo, epath = spec_node
        if efdef is None or enodes[0].name.value != "node":
            raise Unsupported("'node' is not the node field")
        eargs = self.ex._arguments(efdef, enodes[0])
        node_get = self.resolver(named, efdef, "node", eresolve, einfo, eargs)
        node_non_null = isinstance(efdef.type, GraphQLNonNull)
        node_type = efdef.type.of_type if node_non_null else efdef.type
        esets = [n.selection_set for n in enodes if n.selection_set is not None]
        if not isinstance(node_type, GraphQLObjectType | GraphQLAbstractType):
            raise Unsupported("scalar nodes")
        lines = self.per_type(node_type, lambda ot: self.line_object(ot, esets, epath))
        # the sandbox's connections build an Edge (and its cursor) per node on demand: reading
        # the nodes off the page gives the same nodes without the cursors nobody reads here
        plain = (
            resolve is not None
            and "edges" not in _RESOLVERS.get(conn_type.name, {})
            and eresolve is None
            and "node" not in _RESOLVERS.get(named.name, {})
        )

        def edge_items(value: Any) -> list[tuple[LineFn, Any]] | None:
            if plain and isinstance(value, Conn):
                raw_nodes: Iterator[Any] = (n for _k, n in value.items)
            else:
                raw = get(value)
                if raw is None:
                    return None
                raw_nodes = (_edge_node(node_get, e) for e in raw)
            out = []
            for node in raw_nodes:
                if node is None:  # the generic path words (or counts) it
                    raise Unsupported("null node")
                out.append((lines(node), node))
            return out

        return edge_items


def _edge_node(get: Callable[[Any], Any], edge: Any) -> Any:
    if edge is None:
        raise Unsupported("null edge")
    return get(edge)


class FastBulk:
    """The compiled query: ``roots()`` gives the root nodes, ``lines(root)`` their JSONL."""

    def __init__(self, ctx: Ctx, query: str) -> None:
        prep = prepare(query)
        picked = prep.operations.get(None)
        if prep.errors or picked is None or prep.introspection:
            raise Unsupported("not a plain query")
        op: OperationDefinitionNode = picked[0]
        s = schema()
        ex = Executor(s, op, prep.fragments, ctx, {})
        variables = _fast_variables(s, op, {})
        if variables is None:
            raise Unsupported("variables")
        from graphql.execution.values import VariableValues

        ex.variables = VariableValues({}, variables)
        root = s.query_type
        assert root is not None
        comp = _Compiler(ex)
        fields = comp.fields(root, [op.selection_set], None)
        if len(fields) != 1 or fields[0][2] is None:
            raise Unsupported("one root field only")
        _key, nodes, fdef, resolve, info, fpath = fields[0]
        args = ex._arguments(fdef, nodes[0])
        self._get_root = comp.resolver(root, fdef, nodes[0].name.value, resolve, info, args)
        rtype = fdef.type.of_type if isinstance(fdef.type, GraphQLNonNull) else fdef.type
        if not isinstance(rtype, GraphQLObjectType):
            raise Unsupported("root is not an object")
        sets = [n.selection_set for n in nodes if n.selection_set is not None]
        keys = {k for k, _n in ex._collect(rtype, sets)}
        if "edges" not in keys and "nodes" not in keys:
            raise Unsupported("root is not a connection")
        self._take = comp.connection(rtype, sets, fpath)
        self.ctx = ctx

    def roots(self) -> list[tuple[LineFn, Any]]:
        """Every root node (one call: the bulk context reads the root connection whole)."""
        value = self._get_root(None)
        if value is None:
            return []
        found: list[tuple[LineFn, Any]] = []
        self._take(value, found)
        return found

    def lines(self, root: tuple[LineFn, Any], out: list[str]) -> None:
        """The JSONL lines of one root node and its descendants, in bulk.py's order."""
        _emit(root, None, out)


def _emit(item: tuple[LineFn, Any], parent: Any, out: list[str]) -> None:
    build, value = item
    children: list[tuple[LineFn, Any]] = []
    line = build(value, children)
    node_id = line.get("id")
    if parent is not None:
        line["__parentId"] = parent
    out.append(_DUMPS(line))
    for child in children:
        _emit(child, node_id, out)
