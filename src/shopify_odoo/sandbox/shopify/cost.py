"""Calculated query cost and the per-store leaky bucket (fact sheet §b.1 and corrections 1-5).

Cost rules emulated (correction 1): scalar and enum 0, object 1, interface/union the max over
the possible types' selections, a connection ``2 + m × (cost of one node)`` with
``m = floor(2·ln(max(2, n)))`` for ``n`` = first/last, ``pageInfo`` 0, ``edges{node}`` and
``nodes`` counting the node once.  Mutations (correction 2): 10 plus the objects and
connections selected *inside* the payload's object fields (payload and userErrors free).
Actual cost replaces ``n`` by the number of nodes returned and counts null objects as 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

from .clock import Clock

MUTATION_BASE_COST = 10
SINGLE_QUERY_MAX = 1000  # correction 5


def multiplier(n: int) -> int:
    """Logarithmic page multiplier (correction 1): n=1:1, 10:4, 50:7, 100:9, 250:11."""
    return math.floor(2 * math.log(max(2, n)))


@dataclass(slots=True)
class CostNode:
    key: str  # response key (alias or name)
    kind: int  # 0 scalar, 1 object, 2 connection
    page: tuple[str, Any] | None = None  # ("lit", 10) / ("var", "n") for first/last
    children: list[CostNode] = field(default_factory=list)
    # for abstract types: extra children that apply only to some possible types
    alternatives: list[list[CostNode]] = field(default_factory=list)
    nodes_key: str | None = None  # connection: key of `nodes`
    edges_key: str | None = None  # connection: key of `edges`
    node_key: str | None = None  # connection: key of `node` inside edges


@dataclass(slots=True)
class CostPlan:
    mutation: bool
    roots: list[CostNode]


def compile_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
) -> CostPlan:
    is_mutation = operation.operation == OperationType.MUTATION
    root = schema.mutation_type if is_mutation else schema.query_type
    assert root is not None
    return CostPlan(is_mutation, _compile_set(schema, root, operation.selection_set, fragments))


def _flatten(
    sel: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    condition: str | None = None,
) -> list[tuple[str | None, FieldNode]]:
    out: list[tuple[str | None, FieldNode]] = []
    for s in sel.selections:
        if isinstance(s, FieldNode):
            out.append((condition, s))
        elif isinstance(s, InlineFragmentNode):
            cond = s.type_condition.name.value if s.type_condition else condition
            out += _flatten(s.selection_set, fragments, cond)
        elif isinstance(s, FragmentSpreadNode):
            frag = fragments.get(s.name.value)
            if frag is not None:
                out += _flatten(frag.selection_set, fragments, frag.type_condition.name.value)
    return out


def _compile_set(
    schema: GraphQLSchema,
    parent: Any,
    sel: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
) -> list[CostNode]:
    if sel is None:
        return []
    nodes: list[CostNode] = []
    for _cond, f in _flatten(sel, fragments):
        name = f.name.value
        if name == "__typename":
            continue
        owner = parent
        if isinstance(parent, GraphQLUnionType) or name not in getattr(parent, "fields", {}):
            # field selected under a type condition: find it on a possible type
            owner = _owner_of(schema, parent, name)
            if owner is None:
                continue
        fdef = owner.fields[name]
        ntype = get_named_type(fdef.type)
        key = f.alias.value if f.alias else name
        if not isinstance(ntype, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            continue  # scalars and enums cost 0: not kept in the plan
        if ntype.name.endswith("Connection") and isinstance(ntype, GraphQLObjectType):
            nodes.append(_compile_connection(schema, ntype, f, key, fragments))
            continue
        node = CostNode(key, 1)
        if isinstance(ntype, GraphQLInterfaceType | GraphQLUnionType):
            common, alts = _split_abstract(schema, ntype, f.selection_set, fragments)
            node.children = common
            node.alternatives = alts
        else:
            node.children = _compile_set(schema, ntype, f.selection_set, fragments)
        nodes.append(node)
    return nodes


def _owner_of(schema: GraphQLSchema, parent: Any, name: str) -> Any:
    for t in schema.get_possible_types(parent) if _is_abstract(parent) else []:
        if name in t.fields:
            return t
    return None


def _is_abstract(t: Any) -> bool:
    return isinstance(t, GraphQLInterfaceType | GraphQLUnionType)


def _split_abstract(
    schema: GraphQLSchema,
    ntype: GraphQLInterfaceType | GraphQLUnionType,
    sel: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
) -> tuple[list[CostNode], list[list[CostNode]]]:
    """Selections that apply to every possible type, and one list per possible type."""
    if sel is None:
        return [], []
    flat = _flatten(sel, fragments)
    common = [f for cond, f in flat if cond is None or cond == ntype.name]
    common_nodes = _compile_set(
        schema, ntype, SelectionSetNode(selections=tuple(common)), fragments
    )
    alts: list[list[CostNode]] = []
    for ptype in schema.get_possible_types(ntype):
        names = {ptype.name, *(i.name for i in ptype.interfaces)}
        own = [f for cond, f in flat if cond is not None and cond != ntype.name and cond in names]
        if own:
            alts.append(
                _compile_set(schema, ptype, SelectionSetNode(selections=tuple(own)), fragments)
            )
    return common_nodes, alts


def _compile_connection(
    schema: GraphQLSchema,
    conn: GraphQLObjectType,
    f: FieldNode,
    key: str,
    fragments: dict[str, FragmentDefinitionNode],
) -> CostNode:
    page: tuple[str, Any] | None = None
    for arg in f.arguments or ():
        if arg.name.value in ("first", "last"):
            if isinstance(arg.value, IntValueNode):
                page = ("lit", int(arg.value.value))
            elif isinstance(arg.value, VariableNode):
                page = ("var", arg.value.name.value)
    node = CostNode(key, 2, page=page)
    node_type = get_named_type(conn.fields["nodes"].type) if "nodes" in conn.fields else None
    per_node: list[CostNode] = []
    for _cond, sub in _flatten(f.selection_set, fragments) if f.selection_set else []:
        sname = sub.name.value
        skey = sub.alias.value if sub.alias else sname
        if sname == "nodes":
            node.nodes_key = skey
            per_node = per_node or _compile_node(schema, node_type, sub, fragments)
        elif sname == "edges" and sub.selection_set is not None:
            node.edges_key = skey
            for _c, e in _flatten(sub.selection_set, fragments):
                if e.name.value == "node":
                    node.node_key = e.alias.value if e.alias else "node"
                    per_node = per_node or _compile_node(schema, node_type, e, fragments)
    node.children = per_node
    return node


def _compile_node(
    schema: GraphQLSchema, node_type: Any, f: FieldNode, fragments: dict[str, Any]
) -> list[CostNode]:
    if _is_abstract(node_type):
        common, alts = _split_abstract(schema, node_type, f.selection_set, fragments)
        return [CostNode("", 1, children=common, alternatives=alts)]
    return [CostNode("", 1, children=_compile_set(schema, node_type, f.selection_set, fragments))]


# ---------------------------------------------------------------- requested / actual


def requested_cost(plan: CostPlan, variables: dict[str, Any]) -> int:
    if plan.mutation:
        return sum(MUTATION_BASE_COST + _inside_payload(r, variables) for r in plan.roots)
    return sum(_requested(n, variables) for n in plan.roots)


def _inside_payload(root: CostNode, variables: dict[str, Any]) -> int:
    total = 0
    for child in root.children:  # the payload's fields
        if child.key == "userErrors" or child.kind == 0:
            continue
        # the payload's object field itself is free; what it selects is not (correction 2)
        total += _requested(child, variables) - (1 if child.kind == 1 else 0)
    return total


def _page_size(node: CostNode, variables: dict[str, Any]) -> int:
    if node.page is None:
        return 0
    kind, value = node.page
    if kind == "lit":
        return int(value)
    v = variables.get(value)
    return int(v) if isinstance(v, int) else 0


def _requested(node: CostNode, variables: dict[str, Any]) -> int:
    if node.kind == 0:
        return 0
    if node.kind == 2:
        per = sum(_requested(c, variables) for c in node.children)
        return 2 + multiplier(_page_size(node, variables)) * per
    inner = sum(_requested(c, variables) for c in node.children)
    if node.alternatives:
        inner += max(sum(_requested(c, variables) for c in alt) for alt in node.alternatives)
    return 1 + inner


def actual_cost(plan: CostPlan, data: dict[str, Any] | None) -> int:
    if data is None:
        return 0
    if plan.mutation:
        total = 0
        for r in plan.roots:
            payload = data.get(r.key)
            total += MUTATION_BASE_COST
            if isinstance(payload, dict):
                for child in r.children:
                    if child.key == "userErrors" or child.kind == 0:
                        continue
                    got = _actual(child, payload.get(child.key))
                    total += max(0, got - (1 if child.kind == 1 else 0))
        return total
    return sum(_actual(r, data.get(r.key)) for r in plan.roots)


def _actual(node: CostNode, value: Any) -> int:
    if node.kind == 0 or value is None:
        return 0
    if node.kind == 2:
        if not isinstance(value, dict):
            return 0
        items: list[Any] = []
        if node.nodes_key and isinstance(value.get(node.nodes_key), list):
            items = value[node.nodes_key]
        elif node.edges_key and isinstance(value.get(node.edges_key), list):
            items = [
                e.get(node.node_key) if isinstance(e, dict) else None for e in value[node.edges_key]
            ]
        per = 0
        for item in items:
            per = max(per, sum(_actual(c, item) for c in node.children))
        return 2 + multiplier(len(items)) * per
    if isinstance(value, list):
        return max((_actual(node, v) for v in value), default=0)
    if node.key == "" and not isinstance(value, dict):
        return 0
    inner = 0
    if isinstance(value, dict):
        kids = node.children + [c for alt in node.alternatives for c in alt]
        seen: set[str] = set()
        for c in kids:
            if c.key in seen or c.key not in value:
                continue
            seen.add(c.key)
            inner += _actual(c, value[c.key])
    return 1 + inner


# ---------------------------------------------------------------- leaky bucket


class LeakyBucket:
    """Per app+store bucket (§b.1): requested cost must fit before execution; the difference
    between requested and actual is refunded afterwards."""

    def __init__(self, size: float, restore_rate: float, clock: Clock) -> None:
        self.size = size
        self.restore_rate = restore_rate
        self.clock = clock
        self.available = size
        self._t = clock.monotonic()

    def _refill(self) -> None:
        now = self.clock.monotonic()
        if now > self._t:
            self.available = min(self.size, self.available + (now - self._t) * self.restore_rate)
        self._t = now

    def try_take(self, cost: int) -> bool:
        self._refill()
        if cost > self.available:
            return False
        self.available -= cost
        return True

    def refund(self, points: int) -> None:
        self._refill()
        self.available = min(self.size, self.available + points)

    def drain(self, to: float = 0.0) -> None:
        """Fault knob: empty the bucket (to ``to`` points)."""
        self._refill()
        self.available = max(0.0, min(self.size, to))

    def status(self) -> dict[str, Any]:
        """throttleStatus: floats for maximumAvailable/restoreRate, an int for
        currentlyAvailable (correction 3)."""
        self._refill()
        return {
            "maximumAvailable": float(self.size),
            "currentlyAvailable": int(self.available),
            "restoreRate": float(self.restore_rate),
        }
