"""In-process helpers: a world with one store on a manual clock, and a GraphQL call."""

from __future__ import annotations

from typing import Any

from shopify_odoo.sandbox.shopify import ManualClock, Store, World
from shopify_odoo.sandbox.shopify.gql import run_graphql


def make_world(plan: str = "standard", scenario: str = "small") -> tuple[World, Store, ManualClock]:
    clock = ManualClock()
    world = World(clock=clock)
    store = world.add_store("shop1", plan=plan)
    world.seed_catalogue(store, scenario)  # type: ignore[arg-type]
    return world, store, clock


def gql(
    world: World, store: Store, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    return run_graphql(world, store, "2026-04", query, variables, None)


SET = """mutation S($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id reason changes { name delta } }
    userErrors { code field message }
  }
}"""

ADJUST = """mutation A($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id changes { name delta } }
    userErrors { code field message }
  }
}"""
