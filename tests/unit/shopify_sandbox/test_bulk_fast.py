"""The bulk JSONL built from the compiled query equals what executing the query gives (§c).

``bulk_fast`` exists for speed (100,000 variants in seconds); these tests make sure speed never
costs faithfulness: for a small store, every query below yields byte-for-byte the file, the
object count and the root count of the generic path (GraphQL execution page by page, each root
value taken apart into lines with ``__parentId``)."""

from __future__ import annotations

import asyncio
import json

import pytest

from shopify_odoo.engine.catalog import VARIANTS_BULK_QUERY
from shopify_odoo.sandbox.shopify import bulk
from shopify_odoo.sandbox.shopify.bulk_fast import FastBulk, Unsupported
from shopify_odoo.sandbox.shopify.gql import Ctx
from shopify_odoo.sandbox.shopify.model import BulkOperation

from .helpers import make_world

QUERIES = {
    "connector variants": VARIANTS_BULK_QUERY,
    "products, nested connections, nodes": """{
      products { nodes { id title __typename
        variants { edges { cursor node { id sku
          inventoryItem { id tracked
            inventoryLevels { nodes { id location { id name }
              quantities(names: ["available", "on_hand", "committed"]) { name quantity }
            } } } } } } } } }""",
    "aliases and fragments": """
      fragment Lv on InventoryLevel { id quantities(names: ["available"]) { quantity name } }
      { productVariants { edges { node { vid: id sku ... on ProductVariant { title }
        inventoryItem { id levels: inventoryLevels { edges { node { ...Lv } } } } } } } }""",
    "inventory items with cursors": """{
      inventoryItems { edges { cursor node { id sku tracked
        variant { id product { id } } } } } }""",
    "lists inline, pageInfo dropped": """{
      products { edges { node { id
        options { name values }
        variants { nodes { id } pageInfo { hasNextPage } } } } } }""",
}


def run(scenario: str, query: str, *, fast_path: bool) -> BulkOperation:
    world, store, _clock = make_world(scenario=scenario)
    store.base_url = "http://sandbox.test"
    op = BulkOperation(id=world.new_id(), query=query, created_at=world.now())
    store.bulk_operations[op.id] = op
    asyncio.run(bulk.run_bulk(world, store, op, fast_path=fast_path))
    return op


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_fast_file_equals_generic_execution(name: str) -> None:
    query = QUERIES[name]
    world, store, _clock = make_world(scenario="demo")
    FastBulk(Ctx(world, store, "2026-04", bulk=True), query)  # the fast path takes it
    fast = run("demo", query, fast_path=True)
    slow = run("demo", query, fast_path=False)
    assert slow.status == "COMPLETED", slow.error_code
    assert fast.status == "COMPLETED"
    assert slow.object_count >= slow.root_object_count > 0
    assert fast.data == slow.data
    assert (fast.object_count, fast.root_object_count, fast.file_size) == (
        slow.object_count,
        slow.root_object_count,
        slow.file_size,
    )


def test_connector_query_lines_have_parent_ids() -> None:
    op = run("demo", VARIANTS_BULK_QUERY, fast_path=True)
    rows = [json.loads(x) for x in op.data.decode().splitlines()]
    variants = [r for r in rows if "__parentId" not in r]
    levels = [r for r in rows if "__parentId" in r]
    assert len(variants) == op.root_object_count
    assert len(rows) == op.object_count
    assert levels
    assert all(r["__parentId"].startswith("gid://shopify/ProductVariant/") for r in levels)
    assert all("inventoryLevels" not in r["inventoryItem"] for r in variants)


def test_queries_it_does_not_know_go_to_the_generic_path() -> None:
    world, store, _clock = make_world(scenario="small")
    two_roots = "{ products { edges { node { id } } } productVariants { edges { node { id } } } }"
    with pytest.raises(Unsupported):
        FastBulk(Ctx(world, store, "2026-04", bulk=True), two_roots)
    assert (
        run("small", two_roots, fast_path=True).data
        == run("small", two_roots, fast_path=False).data
    )
