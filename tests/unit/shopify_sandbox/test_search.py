"""Shopify search syntax for the filters the connector uses."""

# ruff: noqa: E501  (GraphQL documents are kept on one line, as clients send them)

from __future__ import annotations

from shopify_odoo.sandbox.shopify import search

from .helpers import gql, make_world


def test_sku_or_query_uses_exact_values() -> None:
    expr = search.parse("sku:A-1 OR sku:'B 2' OR sku:\"C\"")
    assert search.equality_values(expr, "sku") == {"A-1", "B 2", "C"}
    assert search.equality_values(search.parse("sku:A status:active"), "sku") is None


def test_variants_by_sku_barcode_and_updated_at() -> None:
    world, store, clock = make_world()
    vs = list(store.iter_variants())
    q = "query($q: String) { productVariants(first: 10, query: $q) { nodes { sku barcode } } }"
    got = gql(world, store, q, {"q": f"sku:{vs[0].sku} OR sku:{vs[3].sku}"})["data"][
        "productVariants"
    ]["nodes"]
    assert [n["sku"] for n in got] == [vs[0].sku, vs[3].sku]
    got = gql(world, store, q, {"q": f"barcode:{vs[5].barcode}"})["data"]["productVariants"][
        "nodes"
    ]
    assert [n["sku"] for n in got] == [vs[5].sku]
    clock.advance(60)
    vs[7].updated_at = clock.time()
    got = gql(world, store, q, {"q": "updated_at:>'2026-01-01T00:00:00Z'"})["data"][
        "productVariants"
    ]["nodes"]
    assert len(got) == 10
    from shopify_odoo.sandbox.shopify.clock import iso

    got = gql(world, store, q, {"q": f"updated_at:>'{iso(clock.time() - 30)}'"})["data"][
        "productVariants"
    ]["nodes"]
    assert [n["sku"] for n in got] == [vs[7].sku]


def test_cursor_pagination_walks_every_variant_once() -> None:
    world, store, _ = make_world()
    q = "query($after: String) { productVariants(first: 7, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"
    seen: list[str] = []
    after = None
    while True:
        page = gql(world, store, q, {"after": after})["data"]["productVariants"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 32


def test_products_status_filter_and_connection_needs_first_or_last() -> None:
    world, store, _ = make_world()
    next(iter(store.products.values())).status = "DRAFT"
    body = gql(world, store, '{ products(first: 50, query: "status:active") { nodes { status } } }')
    assert {n["status"] for n in body["data"]["products"]["nodes"]} == {"ACTIVE"}
    assert len(body["data"]["products"]["nodes"]) == 3
    body = gql(world, store, "{ products { nodes { id } } }")
    assert body["errors"][0]["message"] == "you must provide one of first or last"
