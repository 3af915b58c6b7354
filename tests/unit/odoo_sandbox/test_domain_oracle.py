"""Index shortcuts never change a domain's answer (§2.2): random domains over stock.quant
against a plain-Python oracle."""

from __future__ import annotations

import operator
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from shopify_odoo.sandbox.odoo import build_world
from shopify_odoo.sandbox.odoo.domain import like_regex

WORLD = build_world("17.0", "small")
QUANTS = WORLD.models["stock.quant"]
ENV = WORLD.env(1, su=True)
ROWS = list(QUANTS.table.rows.values())
PRODUCTS = sorted({r["product_id"] for r in ROWS})
LOCATIONS = sorted({r["location_id"] for r in ROWS})
CODES = {pid: WORLD.models["product.product"].table.rows[pid]["default_code"] for pid in PRODUCTS}
USAGE = {lid: WORLD.models["stock.location"].table.rows[lid]["usage"] for lid in LOCATIONS}
OPS = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

leaf = st.one_of(
    st.tuples(st.just("product_id"), st.sampled_from(list(OPS)), st.sampled_from(PRODUCTS)),
    st.tuples(
        st.just("location_id"),
        st.sampled_from(["in", "not in"]),
        st.lists(st.sampled_from(LOCATIONS), max_size=3),
    ),
    st.tuples(st.just("quantity"), st.sampled_from(list(OPS)), st.integers(0, 40)),
    # dotted paths through an indexed many2one (§2.2: product_id.default_code)
    st.tuples(
        st.just("product_id.default_code"),
        st.sampled_from(["in", "not in"]),
        st.lists(st.sampled_from(sorted(CODES.values())), max_size=4),
    ),
    st.tuples(
        st.just("product_id.default_code"),
        st.sampled_from(["=like", "like", "not like"]),
        st.sampled_from(["TSHIRT-%", "%-S", "HOODIE", "CAP-0001%"]),
    ),
    st.tuples(
        st.just("location_id.usage"),
        st.sampled_from(["=", "!="]),
        st.sampled_from(["internal", "view", "customer"]),
    ),
    st.tuples(
        st.just("id"),
        st.sampled_from(["in", "not in"]),
        st.lists(st.sampled_from([r["id"] for r in ROWS]), max_size=5),
    ),
)
tree = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.tuples(st.just("&"), inner, inner),
        st.tuples(st.just("|"), inner, inner),
        st.tuples(st.just("!"), inner),
    ),
    max_leaves=6,
)


def flatten(node: Any) -> list[Any]:
    if node[0] in ("&", "|"):
        return [node[0], *flatten(node[1]), *flatten(node[2])]
    if node[0] == "!":
        return ["!", *flatten(node[1])]
    return [node]


def oracle(node: Any, row: dict[str, Any]) -> bool:
    if node[0] == "&":
        return oracle(node[1], row) and oracle(node[2], row)
    if node[0] == "|":
        return oracle(node[1], row) or oracle(node[2], row)
    if node[0] == "!":
        return not oracle(node[1], row)
    field, op, value = node
    if field == "product_id.default_code":
        code = CODES[row["product_id"]]
        if op in ("in", "not in"):
            return (code in value) is (op == "in")
        rx = like_regex(value, anchored=op == "=like", ci=False)
        return bool(rx.match(code)) is (op != "not like")
    if field == "location_id.usage":
        return (USAGE[row["location_id"]] == value) is (op == "=")
    current = row[field]
    if op == "in":
        return current in value
    if op == "not in":
        return current not in value
    return bool(OPS[op](current, value))


@settings(max_examples=800, deadline=None)
@given(first=tree, second=st.one_of(st.none(), tree))
@example(first=("product_id", "<", PRODUCTS[3]), second=None)
@example(first=("product_id", ">=", PRODUCTS[2]), second=("location_id", "in", LOCATIONS[:1]))
@example(first=("product_id.default_code", "=like", "TSHIRT-%"), second=None)
@example(first=("location_id.usage", "=", "internal"), second=("quantity", ">", 5))
def test_domain_matches_oracle(first: Any, second: Any) -> None:
    domain = flatten(first) + (flatten(second) if second is not None else [])
    expected = sorted(
        r["id"] for r in ROWS if oracle(first, r) and (second is None or oracle(second, r))
    )
    assert sorted(QUANTS.search_ids(ENV, domain)) == expected
