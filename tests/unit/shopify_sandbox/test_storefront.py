"""Checkout and merchant actions on the world: inventory effects (§a.2), REST bodies
consistent with the samples (correction 18), events emitted (self-echo, correction 15)."""

# ruff: noqa: E501  (GraphQL documents are kept on one line, as clients send them)

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shopify_odoo.sandbox.shopify import Cart, CheckoutRefused
from shopify_odoo.sandbox.shopify.payloads import order_json
from shopify_odoo.sandbox.shopify.storefront import cancel_order, fulfil, place_order

from .helpers import gql, make_world

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "shopify" / "webhook-samples"


def _events(world: Any) -> list[tuple[str, dict[str, Any]]]:
    """Record every event, as if one subscription listened to every topic."""
    from shopify_odoo.sandbox.shopify.model import WebhookSubscription
    from shopify_odoo.sandbox.shopify.webhooks import TOPICS, topic_enum

    for store in world.stores.values():
        for t in TOPICS:
            sid = world.new_id()
            store.subscriptions[sid] = WebhookSubscription(
                sid, topic_enum(t), "https://example.test", 0.0, 0.0
            )
    seen: list[tuple[str, dict[str, Any]]] = []
    world.sink = lambda store, topic, body, event_id: seen.append((topic, body))
    return seen


def test_checkout_moves_available_to_committed_at_the_fulfilment_location() -> None:
    world, store, _ = make_world()
    events = _events(world)
    v = next(v for v in store.iter_variants() if v.levels[0].available >= 2)
    before = (v.levels[0].available, v.levels[0].committed, v.levels[0].on_hand)
    order = place_order(world, store, Cart(lines=[(v.sku, 2)]))
    assert (v.levels[0].available, v.levels[0].committed, v.levels[0].on_hand) == (
        before[0] - 2,
        before[1] + 2,
        before[2],
    )
    assert order.fulfillment_orders[0].location_id == store.locations[0].id
    topics = [t for t, _ in events]
    assert topics == ["orders/create", "orders/paid", "customers/create", "inventory_levels/update"]
    events.clear()
    w = next(x for x in store.iter_variants() if x.levels[0].available >= 1)
    place_order(world, store, Cart(lines=[(w.sku, 1)], email="BUYER@example.com"))  # returning
    assert "customers/update" in [t for t, _ in events]
    assert len(store.customers) == 1


def test_short_stock_is_refused_unless_the_variant_continues_selling() -> None:
    world, store, _ = make_world()
    v = next(store.iter_variants())
    total = sum(lv.available for lv in v.levels if lv)
    with pytest.raises(CheckoutRefused, match=v.sku):
        place_order(world, store, Cart(lines=[(v.sku, total + 100)]))
    v.policy_continue = True
    place_order(world, store, Cart(lines=[(v.sku, total + 100)]))
    assert v.levels[0].available < 0


def test_totals_are_consistent_with_discounts_taxes_shipping_and_presentment() -> None:
    world, store, _ = make_world()
    vs = [v for v in store.iter_variants() if v.levels[0].available >= 1][:2]
    cart = Cart(
        lines=[(vs[0].sku, 1), (vs[1].sku, 1)],
        discount_code=("SAVE10", Decimal("10")),
        automatic_discount=("Winter", Decimal("5")),
        taxes_included=False,
        presentment_currency="USD",
        rate=Decimal("1.10"),
        tip=Decimal("2.00"),
    )
    order = place_order(world, store, cart)
    body = order_json(store, order)
    lines = sum(Decimal(li["price"]) * li["quantity"] for li in body["line_items"])
    assert Decimal(body["total_line_items_price"]) == lines
    disc = sum(
        Decimal(a["amount"]) for li in body["line_items"] for a in li["discount_allocations"]
    )
    assert Decimal(body["total_discounts"]) == disc > 0
    ship = Decimal(body["total_shipping_price_set"]["shop_money"]["amount"])
    assert Decimal(body["subtotal_price"]) == lines - disc
    assert Decimal(body["total_price"]) == lines - disc + ship + Decimal(
        body["total_tax"]
    ) + Decimal("2.00")
    assert body["total_price_set"]["presentment_money"]["currency_code"] == "USD"
    assert [
        d["discount_application_index"] for d in body["line_items"][0]["discount_allocations"]
    ] == [0, 1]
    assert isinstance(body["id"], int)
    assert body["id"] > 2**53


def test_cancel_restocks_and_fulfil_decrements_committed() -> None:
    world, store, _ = make_world()
    events = _events(world)
    v = next(v for v in store.iter_variants() if v.levels[0].available >= 3)
    start = v.levels[0].available
    o1 = place_order(world, store, Cart(lines=[(v.sku, 1)]))
    o2 = place_order(world, store, Cart(lines=[(v.sku, 2)]))
    cancel_order(world, store, o1)
    assert (v.levels[0].available, v.levels[0].committed) == (start - 2, 2)
    assert o1.financial_status == "refunded"
    fulfil(world, store, o2, [(o2.fulfillment_orders[0], None)], company="UPS", numbers=["1Z"])
    assert (v.levels[0].available, v.levels[0].committed, v.levels[0].on_hand) == (
        start - 2,
        0,
        start - 2,
    )
    topics = [t for t, _ in events]
    assert "orders/cancelled" in topics
    assert "refunds/create" in topics
    assert "fulfillments/create" in topics
    assert "orders/fulfilled" in topics
    f_body = next(b for t, b in events if t == "fulfillments/create")
    assert f_body["tracking_company"] == "UPS"
    assert f_body["tracking_numbers"] == ["1Z"]


def test_graphql_order_query_matches_the_world() -> None:
    world, store, _ = make_world()
    v = next(v for v in store.iter_variants() if v.levels[0].available >= 1)
    order = place_order(world, store, Cart(lines=[(v.sku, 1)]))
    q = """{ orders(first: 5, query: "updated_at:>'2020-01-01T00:00:00Z'") { nodes { id name displayFulfillmentStatus
      totalPriceSet { shopMoney { amount currencyCode } }
      lineItems(first: 5) { nodes { sku quantity } }
      fulfillmentOrders(first: 5) { nodes { status assignedLocation { name } lineItems(first: 5) { nodes { remainingQuantity } } } } } } }"""
    node = gql(world, store, q)["data"]["orders"]["nodes"][0]
    assert node["name"] == order.name
    assert node["displayFulfillmentStatus"] == "UNFULFILLED"
    assert node["totalPriceSet"]["shopMoney"]["amount"] == order_json(store, order)["total_price"]
    assert node["fulfillmentOrders"]["nodes"][0]["assignedLocation"]["name"] == "Main Warehouse"


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/shopify/webhook-samples is not present")
def test_order_body_carries_the_sample_keys() -> None:
    world, store, _ = make_world()
    v = next(v for v in store.iter_variants() if v.levels[0].available >= 1)
    body = order_json(store, place_order(world, store, Cart(lines=[(v.sku, 1)])))
    sample = json.loads((SAMPLES / "orders_create.json").read_text())
    wanted = {
        "admin_graphql_api_id",
        "line_items",
        "total_price_set",
        "financial_status",
        "fulfillment_status",
        "currency",
        "presentment_currency",
        "shipping_lines",
        "discount_applications",
        "tax_lines",
        "customer",
        "current_total_price",
    }
    assert wanted <= set(sample)
    assert wanted <= set(body)
    li_keys = {
        "id",
        "variant_id",
        "product_id",
        "sku",
        "quantity",
        "current_quantity",
        "fulfillable_quantity",
        "price",
        "price_set",
        "total_discount",
        "discount_allocations",
        "tax_lines",
        "requires_shipping",
        "fulfillment_status",
    }
    assert li_keys <= set(body["line_items"][0])
