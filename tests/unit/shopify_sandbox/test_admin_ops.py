"""Admin operations the connector needs beyond stock pushes (issue 4, Build 3): node/nodes,
inventoryItem/productVariant by id, inventoryActivate (§a.7), productSet (§f), customers and
orders with fulfillment orders (§e.1, §e.2, §e.7), webhook subscriptions (correction 13)."""

# ruff: noqa: E501  (GraphQL documents are kept on one line, as clients send them)

from __future__ import annotations

import uuid
from typing import Any

from shopify_odoo.sandbox.shopify import Cart
from shopify_odoo.sandbox.shopify.ids import gid
from shopify_odoo.sandbox.shopify.storefront import place_order

from .helpers import gql, make_world

ACTIVATE = """mutation A($item: ID!, $loc: ID!, $available: Int, $key: String!) {
  inventoryActivate(inventoryItemId: $item, locationId: $loc, available: $available) @idempotent(key: $key) {
    inventoryLevel { id quantities(names: ["available", "on_hand"]) { name quantity } }
    userErrors { field message } } }"""

PRODUCT_SET = """mutation P($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier) {
  product { id title variants(first: 10) { nodes { sku price inventoryItem { id } } } }
  userErrors { field message code } } }"""


def _data(body: dict[str, Any]) -> Any:
    assert "errors" not in body, body["errors"]
    return body["data"]


def test_node_nodes_and_lookups_by_id() -> None:
    world, store, _ = make_world()
    v = next(store.iter_variants())
    loc = store.locations[1]
    data = _data(
        gql(
            world,
            store,
            '{{ inventoryItem(id: "{}") {{ sku tracked }} productVariant(id: "{}") {{ sku product {{ title }} }} nodes(ids: ["{}", "{}", "gid://shopify/Product/1"]) {{ id ... on Location {{ name }} }} }}'.format(
                gid("InventoryItem", v.item_id),
                gid("ProductVariant", v.id),
                gid("InventoryItem", v.item_id),
                gid("Location", loc.id),
            ),
        )
    )
    assert data["inventoryItem"] == {"sku": v.sku, "tracked": True}
    assert data["productVariant"]["sku"] == v.sku
    first, second, missing = data["nodes"]
    assert first["id"] == gid("InventoryItem", v.item_id)
    assert second == {"id": gid("Location", loc.id), "name": loc.name}
    assert missing is None  # an unknown id is null, not an error


def test_inventory_activate_sets_then_preserves_quantities() -> None:
    """§a.7: from 2026-04, omitting available keeps the level's quantities."""
    world, store, _ = make_world()
    v = next(store.iter_variants())
    loc = store.locations[0]
    item, location = gid("InventoryItem", v.item_id), gid("Location", loc.id)

    def activate(available: int | None) -> dict[str, Any]:
        variables = {"item": item, "loc": location, "key": str(uuid.uuid4())}
        if available is not None:
            variables["available"] = available
        result: dict[str, Any] = _data(gql(world, store, ACTIVATE, variables))["inventoryActivate"]
        return result

    first = activate(12)
    assert first["userErrors"] == []
    assert {q["name"]: q["quantity"] for q in first["inventoryLevel"]["quantities"]}[
        "available"
    ] == 12
    again = activate(None)
    assert {q["name"]: q["quantity"] for q in again["inventoryLevel"]["quantities"]}[
        "available"
    ] == 12
    assert v.levels[loc.index] is not None
    assert v.levels[loc.index].available == 12
    unknown = gql(
        world,
        store,
        ACTIVATE,
        {"item": gid("InventoryItem", 1), "loc": location, "key": str(uuid.uuid4())},
    )
    assert _data(unknown)["inventoryActivate"]["userErrors"][0]["field"] == ["inventoryItemId"]


def test_product_set_creates_then_replaces_the_variant_list() -> None:
    """§f: productSet syncs from an external source; list fields are replaced."""
    world, store, _ = make_world()
    before = len(list(store.iter_variants()))
    created = _data(
        gql(
            world,
            store,
            PRODUCT_SET,
            {
                "input": {
                    "title": "Mug",
                    "productOptions": [
                        {"name": "Color", "values": [{"name": "Red"}, {"name": "Blue"}]}
                    ],
                    "variants": [
                        {
                            "optionValues": [{"optionName": "Color", "name": c}],
                            "sku": f"MUG-{c.upper()}",
                            "price": "9.50",
                        }
                        for c in ("Red", "Blue")
                    ],
                }
            },
        )
    )["productSet"]
    assert created["userErrors"] == []
    product = created["product"]
    assert [n["sku"] for n in product["variants"]["nodes"]] == ["MUG-RED", "MUG-BLUE"]
    assert len(list(store.iter_variants())) == before + 2
    assert store.variants_by_sku("MUG-RED")
    replaced = _data(
        gql(
            world,
            store,
            PRODUCT_SET,
            {
                "identifier": {"id": product["id"]},  # §f: upsert by identifier
                "input": {
                    "title": "Mug",
                    "productOptions": [{"name": "Color", "values": [{"name": "Red"}]}],
                    "variants": [
                        {
                            "optionValues": [{"optionName": "Color", "name": "Red"}],
                            "sku": "MUG-RED",
                            "price": "11.00",
                        }
                    ],
                },
            },
        )
    )["productSet"]
    assert replaced["userErrors"] == []
    assert replaced["product"]["id"] == product["id"]
    assert [(n["sku"], n["price"]) for n in replaced["product"]["variants"]["nodes"]] == [
        ("MUG-RED", "11.00")
    ]
    assert not store.variants_by_sku("MUG-BLUE")  # not in the list: deleted
    assert len(list(store.iter_variants())) == before + 1


def test_customers_and_orders_with_fulfillment_orders() -> None:
    world, store, _ = make_world()
    v = next(x for x in store.iter_variants() if x.levels[0] and x.levels[0].available > 2)
    place_order(world, store, Cart(lines=[(v.sku, 2)], email="new@example.com"))
    data = _data(
        gql(
            world,
            store,
            "{ customers(first: 5) { nodes { displayName defaultEmailAddress { emailAddress } numberOfOrders } } orders(first: 1) { nodes { name fulfillmentOrders(first: 2) { nodes { status assignedLocation { name } lineItems(first: 5) { nodes { sku remainingQuantity totalQuantity } } } } } pageInfo { hasNextPage endCursor } } }",
        )
    )
    [customer] = data["customers"]["nodes"]
    assert customer["defaultEmailAddress"] == {"emailAddress": "new@example.com"}
    assert customer["numberOfOrders"] == "1"  # UnsignedInt64 serialises as a string
    [order] = data["orders"]["nodes"]
    assert order["name"] == "#1001"
    [fo] = order["fulfillmentOrders"]["nodes"]
    assert fo["status"] == "OPEN"
    assert fo["assignedLocation"]["name"] == store.locations[0].name
    assert fo["lineItems"]["nodes"] == [{"sku": v.sku, "remainingQuantity": 2, "totalQuantity": 2}]
    assert data["orders"]["pageInfo"]["hasNextPage"] is False


def test_webhook_subscription_create_list_delete() -> None:
    """Correction 13: ``uri`` (no callbackUrl), payload {webhookSubscription, userErrors}."""
    world, store, _ = make_world()
    created = _data(
        gql(
            world,
            store,
            'mutation { webhookSubscriptionCreate(topic: INVENTORY_LEVELS_UPDATE, webhookSubscription: {uri: "https://example.com/hooks", format: JSON}) { webhookSubscription { id topic uri } userErrors { field message } } }',
        )
    )["webhookSubscriptionCreate"]
    assert created["userErrors"] == []
    sub = created["webhookSubscription"]
    assert sub["topic"] == "INVENTORY_LEVELS_UPDATE"
    assert sub["uri"] == "https://example.com/hooks"
    listed = _data(gql(world, store, "{ webhookSubscriptions(first: 5) { nodes { id } } }"))
    assert listed["webhookSubscriptions"]["nodes"] == [{"id": sub["id"]}]
    deleted = _data(
        gql(
            world,
            store,
            'mutation {{ webhookSubscriptionDelete(id: "{}") {{ deletedWebhookSubscriptionId userErrors {{ field message }} }} }}'.format(
                sub["id"]
            ),
        )
    )["webhookSubscriptionDelete"]
    assert deleted == {"deletedWebhookSubscriptionId": sub["id"], "userErrors": []}
    listed = _data(gql(world, store, "{ webhookSubscriptions(first: 5) { nodes { id } } }"))
    assert listed["webhookSubscriptions"]["nodes"] == []
    old_field = gql(
        world,
        store,
        'mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {callbackUrl: "https://example.com"}) { userErrors { message } } }',
    )
    assert "errors" in old_field
    assert "data" not in old_field
