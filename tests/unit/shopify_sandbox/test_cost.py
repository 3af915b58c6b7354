"""Cost rules of fact sheet §b.1 and corrections 1-5, each with a test."""

# ruff: noqa: E501  (GraphQL documents are kept on one line, as clients send them)

from __future__ import annotations

import pytest

from shopify_odoo.sandbox.shopify.cost import LeakyBucket, multiplier, requested_cost
from shopify_odoo.sandbox.shopify.gql import prepare, run_graphql

from .helpers import SET, gql, make_world


def cost(query: str, variables: dict | None = None) -> int:
    prep = prepare(query)
    assert not prep.errors, prep.errors
    return requested_cost(prep.operations[None][1], variables or {})


@pytest.mark.parametrize(
    ("n", "m"), [(1, 1), (2, 1), (10, 4), (50, 7), (100, 9), (200, 10), (250, 11)]
)
def test_connection_multiplier_is_logarithmic(n: int, m: int) -> None:
    assert multiplier(n) == m  # correction 1


def test_scalars_cost_nothing_objects_one() -> None:
    assert cost("{ shop { name currencyCode myshopifyDomain } }") == 1
    assert cost('{ product(id: "gid://shopify/Product/1") { id title } }') == 1
    assert cost('{ product(id: "gid://shopify/Product/1") { id variantsCount { count } } }') == 2


def test_captured_variants_query_costs_25() -> None:
    # correction 1: captured requestedQueryCost 25 (linear would be 503)
    q = '{ product(id: "gid://shopify/Product/1") { variants(first: 250) { nodes { inventoryItem { id tracked } } } } }'
    assert cost(q) == 25


def test_edges_node_and_nodes_count_once_page_info_free() -> None:
    a = cost("{ locations(first: 10) { nodes { id name } } }")
    b = cost(
        "{ locations(first: 10) { edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }"
    )
    assert a == b == 2 + 4 * 1


def test_first_from_variables_and_last() -> None:
    q = "query($n: Int) { locations(first: $n) { nodes { id } } }"
    assert cost(q, {"n": 100}) == 2 + 9
    assert cost("{ locations(last: 50) { nodes { id } } }") == 2 + 7


def test_interface_costs_the_max_over_possible_types() -> None:
    q = """{ node(id: "gid://shopify/Product/1") {
      ... on Product { variants(first: 10) { nodes { id } } }
      ... on Location { id }
    } }"""
    assert cost(q) == 1 + (2 + 4 * 1)


def test_mutation_is_ten_plus_objects_inside_the_payload() -> None:
    # correction 2: payload object and userErrors free; draftOrder-like {id} → 10
    q1 = 'mutation { webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/1") { deletedWebhookSubscriptionId userErrors { field message } } }'
    assert cost(q1) == 10
    q2 = 'mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {uri: "https://x"}) { webhookSubscription { id } userErrors { message } } }'
    assert cost(q2) == 10
    assert cost(SET, {}) == 11  # changes { ... } is one object list inside the group


def test_actual_cost_counts_returned_nodes_and_refunds() -> None:
    world, store, _clock = make_world()
    q = "{ productVariants(first: 250) { nodes { id sku } } }"
    body = gql(world, store, q)
    c = body["extensions"]["cost"]
    n = len(body["data"]["productVariants"]["nodes"])  # 32 variants in "small"
    assert c["requestedQueryCost"] == 2 + 11
    assert c["actualQueryCost"] == 2 + multiplier(n)
    # refund of requested − actual (§b.1): only the actual cost stays spent
    assert c["throttleStatus"]["currentlyAvailable"] == 2000 - c["actualQueryCost"]


def test_null_object_costs_nothing_actual() -> None:
    world, store, _ = make_world()
    body = gql(world, store, '{ product(id: "gid://shopify/Product/1") { id } }')
    assert body["data"] == {"product": None}
    assert body["extensions"]["cost"]["actualQueryCost"] == 0


def test_throttle_status_types_per_plan() -> None:
    for plan, size, rate in (
        ("standard", 2000.0, 100.0),
        ("advanced", 4000.0, 200.0),
        ("plus", 20000.0, 1000.0),
        ("enterprise", 40000.0, 2000.0),
    ):
        world, store, _ = make_world(plan)
        status = gql(world, store, "{ shop { name } }")["extensions"]["cost"]["throttleStatus"]
        assert status == {
            "maximumAvailable": size,
            "currentlyAvailable": int(size) - 1,
            "restoreRate": rate,
        }
        assert isinstance(status["maximumAvailable"], float)
        assert isinstance(status["currentlyAvailable"], int)


def test_throttled_body_exactly_as_corrected() -> None:
    world, store, clock = make_world()
    store.bucket.drain(5.0)
    body = gql(world, store, "{ locations(first: 10) { nodes { id } } }")
    assert body == {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ],
        "extensions": {
            "cost": {
                "requestedQueryCost": 6,
                "actualQueryCost": None,
                "throttleStatus": {
                    "maximumAvailable": 2000.0,
                    "currentlyAvailable": 5,
                    "restoreRate": 100.0,
                },
            }
        },
    }
    clock.advance(0.01)  # 1 point restored: still short
    assert "data" not in gql(world, store, "{ locations(first: 10) { nodes { id } } }")
    clock.advance(1.0)  # 100 points/s on Standard
    assert "data" in gql(world, store, "{ locations(first: 10) { nodes { id } } }")


def test_max_cost_exceeded_checked_before_execution() -> None:
    world, store, _ = make_world("enterprise")
    q = "{ products(first: 250) { nodes { variants(first: 250) { nodes { inventoryItem { inventoryLevels(first: 250) { nodes { id } } } } } } } }"
    body = gql(world, store, q)
    assert "data" not in body
    err = body["errors"][0]
    assert err["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert err["extensions"]["maxCost"] == 1000
    assert err["message"].startswith(
        f"Query cost is {err['extensions']['cost']}, which exceeds the single query max cost limit (1000)."
    )
    assert store.bucket.status()["currentlyAvailable"] == 40000  # nothing taken


def test_bucket_restores_at_plan_rate_up_to_its_size() -> None:
    from shopify_odoo.sandbox.shopify import ManualClock

    clock = ManualClock()
    b = LeakyBucket(2000.0, 100.0, clock)
    assert b.try_take(1500)
    clock.advance(2.0)
    assert b.status()["currentlyAvailable"] == 700
    clock.advance(100.0)
    assert b.status()["currentlyAvailable"] == 2000
    assert not b.try_take(2001)


def test_validation_errors_cost_nothing() -> None:
    world, store, _ = make_world()
    body = run_graphql(world, store, "2026-04", "{ shop { nope } }", None, None)
    assert "extensions" not in body
    assert "nope" in body["errors"][0]["message"]
