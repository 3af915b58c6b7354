"""The client against the Shopify sandbox: reads, CAS writes, idempotency, orders, webhooks.

Assertions are on the sandbox's state, not on calls (STYLE.md §8).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from shopify_odoo.shopify.admin import FulfillmentRequest
from shopify_odoo.shopify.client import ShopifyClient
from shopify_odoo.shopify.errors import UserErrorsError
from shopify_odoo.shopify.ids import gid
from shopify_odoo.shopify.models import QuantityChange, QuantityDelta

Shop = tuple[Any, Any, ShopifyClient]


def first_variant(store: Any) -> Any:
    return store.variants[store.variant_order[0]]


def main_location(store: Any) -> Any:
    return store.locations[0]


async def test_shop_and_locations_match_the_store(sandbox_shop: Shop) -> None:
    _, store, client = sandbox_shop
    shop = await client.shop()
    locations = await client.locations()
    assert shop.myshopify_domain == store.domain
    assert [loc.name for loc in locations] == [loc.name for loc in store.locations]
    assert [loc.legacy_id for loc in locations] == [loc.id for loc in store.locations]
    level = await client.budget.level()
    assert 0 < level <= 2000  # learned from the answers: Standard plan bucket


async def test_find_variants_by_sku_and_barcode(sandbox_shop: Shop) -> None:
    _, store, client = sandbox_shop
    v = first_variant(store)
    by_sku = [x async for x in client.find_variants(skus=[v.sku])]
    by_barcode = [x async for x in client.find_variants(barcodes=[v.barcode])]
    assert [x.id for x in by_sku] == [gid("ProductVariant", v.id)]
    assert [x.inventory_item_id for x in by_barcode] == [gid("InventoryItem", v.item_id)]
    main = by_sku[0].levels[0]
    assert main.available == store.level(v, main_location(store).id).available


async def test_set_available_applies_and_stale_is_reported_with_the_current_value(
    sandbox_shop: Shop,
) -> None:
    _, store, client = sandbox_shop
    v = first_variant(store)
    loc = main_location(store)
    before = store.level(v, loc.id).available
    item, location = gid("InventoryItem", v.item_id), gid("Location", loc.id)
    applied = await client.set_available([QuantityChange(item, location, before + 5, before)])
    assert applied[0].status == "applied"
    assert store.level(v, loc.id).available == before + 5
    stale = await client.set_available([QuantityChange(item, location, 0, before)])
    assert stale[0].status == "stale"
    assert stale[0].code == "CHANGE_FROM_QUANTITY_STALE"
    assert stale[0].current == before + 5
    assert store.level(v, loc.id).available == before + 5  # a stale write changes nothing


async def test_a_retried_batch_is_applied_once_even_after_a_sale(sandbox_shop: Shop) -> None:
    _, store, client = sandbox_shop
    v = first_variant(store)
    loc = main_location(store)
    before = store.level(v, loc.id).available
    change = [
        QuantityChange(
            gid("InventoryItem", v.item_id), gid("Location", loc.id), before + 10, before
        )
    ]
    await client.set_available(change, salt="plan-1")
    store.level(v, loc.id).available -= 1  # a sale lands between the attempt and its retry
    again = await client.set_available(change, salt="plan-1")  # same key: Shopify's cached answer
    assert again[0].status == "applied"
    assert store.level(v, loc.id).available == before + 9  # the retry did not set it back to +10


async def test_batches_of_250_over_many_items(sandbox_shop: Shop) -> None:
    _, store, client = sandbox_shop
    changes = []
    for vid in store.variant_order:
        v = store.variants[vid]
        for loc in store.locations:
            level = store.level(v, loc.id)
            if level is not None:
                changes.append(
                    QuantityChange(
                        gid("InventoryItem", v.item_id),
                        gid("Location", loc.id),
                        level.available + 2,
                        level.available,
                    )
                )
    assert len(changes) > 0
    expected = {(c.inventory_item_id, c.location_id): c.quantity for c in changes}
    outcomes = await client.set_available(changes)
    assert {o.status for o in outcomes} == {"applied"}
    for vid in store.variant_order:
        v = store.variants[vid]
        for loc in store.locations:
            key = (gid("InventoryItem", v.item_id), gid("Location", loc.id))
            if key in expected:
                assert store.level(v, loc.id).available == expected[key]


async def test_adjust_available_by_delta(sandbox_shop: Shop) -> None:
    _, store, client = sandbox_shop
    v = first_variant(store)
    loc = main_location(store)
    before = store.level(v, loc.id).available
    out = await client.adjust_available(
        [QuantityDelta(gid("InventoryItem", v.item_id), gid("Location", loc.id), -1, before)]
    )
    assert out[0].status == "applied"
    assert store.level(v, loc.id).available == before - 1


async def test_webhook_subscriptions_round_trip(sandbox_shop: Shop) -> None:
    _, _store, client = sandbox_shop
    created = await client.create_webhook_subscription(
        "INVENTORY_LEVELS_UPDATE", "https://connector.example/webhooks/shopify/eu"
    )
    assert [s.id for s in await client.webhook_subscriptions()] == [created.id]
    assert await client.delete_webhook_subscription(created.id) == created.id
    assert await client.webhook_subscriptions() == []
    with pytest.raises(UserErrorsError):
        await client.delete_webhook_subscription(created.id)


async def test_storefront_order_is_read_back_and_fulfilled_with_tracking(
    sandbox_shop: Shop,
) -> None:
    storefront = pytest.importorskip("shopify_odoo.sandbox.shopify.storefront")
    sandbox, store, client = sandbox_shop
    world = sandbox.world
    v = first_variant(store)
    since = datetime.fromtimestamp(world.now() - 5, tz=UTC)
    placed = storefront.place_order(world, store, storefront.Cart(lines=[(v.sku, 2)]))
    summaries = [o async for o in client.orders_updated_since(since)]
    assert gid("Order", placed.id) in [s.id for s in summaries]
    order = await client.order(gid("Order", placed.id))
    assert order is not None
    assert order.legacy_id == placed.id
    assert [(ln.sku, ln.quantity) for ln in order.lines] == [(v.sku, 2)]
    assert order.lines[0].unit_price.shop == Decimal(v.price_cents) / 100
    assert order.customer is not None
    assert order.customer.email == "buyer@example.com"
    assert order.shipping_address is not None
    assert order.shipping_address.city == "Paris"
    fo = order.fulfillment_orders[0]
    assert fo.location_id is not None
    assert fo.lines[0].remaining_quantity == 2
    fulfillment = await client.create_fulfillment(
        FulfillmentRequest(fo.id, tracking_company="UPS", tracking_numbers=("1Z999",))
    )
    assert fulfillment.tracking[0].number == "1Z999"
    again = await client.order(order.id)
    assert again is not None
    assert again.fulfillment_orders[0].lines[0].remaining_quantity == 0
