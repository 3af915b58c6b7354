"""GraphQL execution: the sandbox's own SDL (a strict subset of the real 2026-04 schema),
resolvers registered per type, parsed+validated documents cached by query text, cost and
throttling around every call (§b.1)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    OperationDefinitionNode,
    build_schema,
    execute,
    parse,
    validate,
)

from .cost import SINGLE_QUERY_MAX, CostPlan, actual_cost, compile_cost, requested_cost
from .fastexec import Executor, uses_introspection
from .world import Store, World

SDL_PATH = Path(__file__).with_name("schema.graphql")

Resolver = Callable[..., Any]
_RESOLVERS: dict[str, dict[str, Resolver]] = {}
_TYPE_OF: dict[type, str] = {}
_TYPE_FN: dict[str, Callable[[Any], str]] = {}


def field(type_name: str, *names: str) -> Callable[[Resolver], Resolver]:
    """Register a resolver for one or more fields of ``type_name``."""

    def deco(fn: Resolver) -> Resolver:
        for n in names:
            _RESOLVERS.setdefault(type_name, {})[n] = fn
        return fn

    return deco


def attrs(type_name: str, mapping: dict[str, str]) -> None:
    """Fields read straight from an attribute: ``{"graphqlName": "python_attr"}``."""
    for gname, attr in mapping.items():
        _RESOLVERS.setdefault(type_name, {})[gname] = _getter(attr)


def _getter(attr: str) -> Resolver:
    def get(obj: Any, _info: Any, **_kw: Any) -> Any:
        return getattr(obj, attr)

    return get


def python_type(cls: type, type_name: str) -> None:
    """Python class ``cls`` is the GraphQL object ``type_name`` (for interfaces and unions)."""
    _TYPE_OF[cls] = type_name


def abstract(type_name: str, fn: Callable[[Any], str]) -> None:
    _TYPE_FN[type_name] = fn


@dataclass(slots=True)
class Ctx:
    world: World
    store: Store
    version: str
    bulk: bool = False
    bulk_after: tuple[Any, ...] | None = None
    bulk_size: int = 1000
    effects: list[Callable[[], None]] = dc_field(default_factory=list)


def _resolve_type(value: Any, _info: Any, abstract_type: Any) -> str | None:
    fn = _TYPE_FN.get(abstract_type.name)
    if fn is not None:
        return fn(value)
    return _TYPE_OF.get(type(value))


@cache
def schema() -> GraphQLSchema:
    # importing the resolver modules registers them
    from . import oauth, resolvers_admin, resolvers_catalog, resolvers_inventory, resolvers_orders

    del oauth, resolvers_admin, resolvers_catalog, resolvers_inventory, resolvers_orders
    s = build_schema(SDL_PATH.read_text())
    for tname, fields in _RESOLVERS.items():
        t = s.type_map[tname]
        assert isinstance(t, GraphQLObjectType), tname
        for fname, fn in fields.items():
            t.fields[fname].resolve = fn
    for t in s.type_map.values():
        if isinstance(t, GraphQLInterfaceType | GraphQLUnionType):
            t.resolve_type = _resolve_type
        elif isinstance(t, GraphQLObjectType) and t.name.endswith("Connection"):
            custom = _RESOLVERS.get(t.name, {})
            for fname, attr in (("nodes", "nodes"), ("edges", "edges"), ("pageInfo", "page_info")):
                if fname in t.fields and fname not in custom:
                    t.fields[fname].resolve = _getter(attr)
    return s


@dataclass(slots=True)
class Prepared:
    document: DocumentNode | None
    errors: list[dict[str, Any]]
    operations: dict[str | None, tuple[OperationDefinitionNode, CostPlan]]
    fragments: dict[str, FragmentDefinitionNode] = dc_field(default_factory=dict)
    collect_cache: dict[Any, Any] = dc_field(default_factory=dict)
    introspection: bool = False


_CACHE: dict[str, Prepared] = {}
_CACHE_MAX = 1024


def prepare(query: str) -> Prepared:
    """Parse, validate and compile the cost plan of ``query``; cached by the query text."""
    hit = _CACHE.get(query)
    if hit is not None:
        return hit
    s = schema()
    try:
        doc = parse(query)
    except GraphQLError as exc:
        prep = Prepared(None, [dict(exc.formatted)], {})
    else:
        errors = validate(s, doc)
        ops: dict[str | None, tuple[OperationDefinitionNode, CostPlan]] = {}
        if not errors:
            frags = {
                d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
            }
            all_ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
            for op in all_ops:
                plan = compile_cost(s, op, frags)
                ops[op.name.value if op.name else None] = (op, plan)
                if len(all_ops) == 1:
                    ops[None] = (op, plan)
        frags = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
        prep = Prepared(
            doc, [dict(e.formatted) for e in errors], ops, frags, {}, uses_introspection(query)
        )
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[query] = prep
    return prep


THROTTLED_DOC = "https://shopify.dev/api/usage/rate-limits"


def _max_cost_message(cost: int) -> str:
    # exact text from correction 5
    return (
        f"Query cost is {cost}, which exceeds the single query max cost limit "
        f"({SINGLE_QUERY_MAX}).\n\n"
        "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
        "cost of a query is calculated.\n\n"
        "To query larger amounts of data with fewer limits, bulk operations should be used "
        "instead.\n"
        "See https://shopify.dev/api/usage/bulk-operations/queries for usage details.\n"
    )


def run_graphql(
    world: World,
    store: Store,
    version: str,
    query: Any,
    variables: Any,
    operation_name: Any,
) -> dict[str, Any]:
    """Execute one Admin API request against ``store``: the JSON body Shopify would answer
    (always HTTP 200 once authenticated, §b.1)."""
    if not isinstance(query, str) or not query.strip():
        return {"errors": [{"message": "No query string was present"}]}
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        return {"errors": [{"message": "Variables are invalid JSON."}]}
    prep = prepare(query)
    if prep.errors:
        return {"errors": prep.errors}
    picked = prep.operations.get(operation_name if isinstance(operation_name, str) else None)
    if picked is None:
        return {
            "errors": [
                {"message": "An operation name is required when sending multiple operations."}
            ]
        }
    op, plan = picked
    requested = requested_cost(plan, variables)
    bucket = store.bucket
    if requested > SINGLE_QUERY_MAX:
        # correction 5: checked on the requested cost before execution, on every plan
        return {
            "errors": [
                {
                    "message": _max_cost_message(requested),
                    "extensions": {
                        "code": "MAX_COST_EXCEEDED",
                        "cost": requested,
                        "maxCost": SINGLE_QUERY_MAX,
                    },
                }
            ]
        }
    if store.rate_limited and not bucket.try_take(requested):
        # correction 4: HTTP 200, no data, actualQueryCost null, no Retry-After
        return {
            "errors": [
                {
                    "message": "Throttled",
                    "extensions": {"code": "THROTTLED", "documentation": THROTTLED_DOC},
                }
            ],
            "extensions": {
                "cost": {
                    "requestedQueryCost": requested,
                    "actualQueryCost": None,
                    "throttleStatus": bucket.status(),
                }
            },
        }
    ctx = Ctx(world, store, version)
    data, errors = _execute(prep, op, ctx, variables)
    for effect in ctx.effects:
        effect()
    actual = actual_cost(plan, data)
    if actual < requested and store.rate_limited:
        bucket.refund(requested - actual)
    body: dict[str, Any] = {}
    if errors:
        body["errors"] = errors
    body["data"] = data
    body["extensions"] = {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": bucket.status(),
        }
    }
    return body


def _execute(
    prep: Prepared, op: OperationDefinitionNode, ctx: Ctx, variables: dict[str, Any]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    if prep.introspection:
        assert prep.document is not None
        result = execute(
            schema(),
            prep.document,
            context_value=ctx,
            variable_values=variables,
            operation_name=op.name.value if op.name else None,
        )
        assert isinstance(result, ExecutionResult), "sandbox resolvers are synchronous"
        return result.data, [dict(e.formatted) for e in result.errors or []]
    ex = Executor(schema(), op, prep.fragments, ctx, prep.collect_cache)
    data, errs = ex.run(variables)
    return data, [dict(e.formatted) for e in errs]


def execute_bulk(ctx: Ctx, query: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Execute a bulk query page (ctx.bulk is set); no cost, no bucket (§c)."""
    prep = prepare(query)
    picked = prep.operations.get(None)
    if prep.errors or picked is None:
        return None, prep.errors
    return _execute(prep, picked[0], ctx, {})
