"""Longer flows against the Shopify sandbox over loopback: pacing on a drained bucket, bulk
export streamed back, webhooks delivered by the sandbox verified and parsed by our code."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from shopify_odoo.shopify.client import ShopifyClient
from shopify_odoo.shopify.ids import gid
from shopify_odoo.shopify.models import QuantityChange
from shopify_odoo.shopify.webhook_events import InventoryLevelEvent
from shopify_odoo.shopify.webhooks import parse_webhook, verify_webhook

Shop = tuple[Any, Any, ShopifyClient]


def all_levels(store: Any) -> list[tuple[Any, Any, Any]]:
    out = []
    for vid in store.variant_order:
        v = store.variants[vid]
        for loc in store.locations:
            level = store.level(v, loc.id)
            if level is not None:
                out.append((v, loc, level))
    return out


async def test_push_on_a_drained_bucket_is_paced_without_throttling(sandbox_shop: Shop) -> None:
    _, store, client = sandbox_shop
    await client.shop()  # learn the bucket
    store.bucket.drain(to=0)  # e.g. another worker just used it all
    levels = all_levels(store)
    changes = [
        QuantityChange(
            gid("InventoryItem", v.item_id), gid("Location", loc.id), lv.available + 1, lv.available
        )
        for v, loc, lv in levels
    ] * 1
    # one call per item/location pair would be 96 calls; batches of 250 make it one call;
    # push it five times over (fresh values each time) to need the restore rate
    throttled_before = (await client.budget.state()).throttled_count
    start = time.perf_counter()
    for round_ in range(5):
        outcomes = await client.set_available(changes, salt=f"round-{round_}")
        assert {o.status for o in outcomes} == {"applied"}
        changes = [
            QuantityChange(c.inventory_item_id, c.location_id, c.quantity + 1, c.quantity)
            for c in changes
        ]
    elapsed = time.perf_counter() - start
    state = await client.budget.state()
    # the first call meets the drained bucket the limiter did not know of: at most one THROTTLED
    assert state.throttled_count - throttled_before <= 1
    cost = client.budget.costs.actual["InventorySetQuantities"]
    assert elapsed >= (5 * cost - 1) / 100 * 0.9  # paid for at the restore rate of 100 points/s


async def test_bulk_export_streams_every_variant_with_its_levels(sandbox_shop: Shop) -> None:
    _, store, client = sandbox_shop
    query = """
    {
      productVariants {
        edges {
          node {
            id
            sku
            inventoryItem {
              id
              inventoryLevels {
                edges {
                  node { id location { id } quantities(names: ["available"]) { name quantity } }
                }
              }
            }
          }
        }
      }
    }
    """
    operation = await client.run_bulk_query(query)
    done = await client.wait_bulk_operation(operation.id, poll_interval=0.05, give_up_after=30)
    assert done.url is not None
    skus: dict[str, int] = {}
    async for record in client.bulk_records(done.url):
        levels = record.children_of("InventoryLevel")
        skus[record.node["sku"]] = sum(
            q["quantity"]
            for lv in levels
            for q in lv.node["quantities"]
            if q["name"] == "available"
        )
    expected = {
        store.variants[vid].sku: sum(
            lv.available
            for loc in store.locations
            if (lv := store.level(store.variants[vid], loc.id)) is not None
        )
        for vid in store.variant_order
    }
    assert skus == expected


async def test_webhooks_from_the_sandbox_verify_and_parse(
    sandbox_shop: Shop, webhook_receiver: Any
) -> None:
    _sandbox, store, client = sandbox_shop
    await client.create_webhook_subscription("INVENTORY_LEVELS_UPDATE", webhook_receiver.url)
    v, loc, lv = all_levels(store)[0]
    item, location = gid("InventoryItem", v.item_id), gid("Location", loc.id)
    await client.set_available([QuantityChange(item, location, lv.available + 7, lv.available)])
    for _ in range(200):
        if webhook_receiver.received:
            break
        await asyncio.sleep(0.02)
    assert webhook_receiver.received, "the sandbox delivered no inventory_levels/update"
    delivery = webhook_receiver.received[0]
    header = delivery.headers["x-shopify-hmac-sha256"]
    assert verify_webhook(delivery.body, header, ["rotated-new-secret", store.client_secret])
    assert not verify_webhook(delivery.body + b" ", header, [store.client_secret])
    event = parse_webhook(None, delivery.body, delivery.headers)
    assert isinstance(event, InventoryLevelEvent)
    assert event.inventory_item_gid == item
    assert event.location_gid == location
    assert event.available == lv.available  # our own write comes back (correction 15)
    assert event.meta.shop_domain == store.domain
    assert event.meta.webhook_id
