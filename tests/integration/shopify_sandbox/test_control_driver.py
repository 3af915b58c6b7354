"""The control API through SandboxDriver: state, seed, merchant actions and their webhooks."""

from __future__ import annotations

import json
from typing import Any

import httpx

from shopify_odoo.sandbox.shopify import SandboxDriver, ShopifySandbox


async def test_state_seed_and_merchant_actions(
    shopify_sandbox: ShopifySandbox, shopify_driver: SandboxDriver, webhook_receiver: Any
) -> None:
    info = await shopify_driver.info()
    assert info == shopify_sandbox.info()
    handle = info["stores"][0]["handle"]
    topics = [
        "orders/edited",
        "refunds/create",
        "products/delete",
        "fulfillments/update",
        "app/uninstalled",
    ]
    await shopify_driver.subscribe(handle, topics, webhook_receiver.url)
    state = await shopify_driver.state(handle)
    assert state["stores"][0]["counts"]["variants"] == 32
    sku = next(
        v["sku"]
        for v in state["stores"][0]["variants"]
        if v["levels"]["Main Warehouse"]["available"] >= 3
    )
    order = await shopify_driver.place_order(handle, [(sku, 3)])
    line_id = order["order"]["line_items"][0]["id"]
    await shopify_driver.edit_order(handle, order["id"], line_id, remove=1)
    await shopify_driver.refund(handle, order["id"], [(line_id, 1)])
    await shopify_driver.fulfil(handle, order["id"])
    await shopify_driver.deliver(handle, order["id"])
    product_id = state["stores"][0]["variants"][0]["product_id"]
    await shopify_driver.delete_product(handle, product_id)
    await shopify_driver.drain()
    await shopify_driver.uninstall(handle)
    await shopify_driver.drain()
    assert sorted(webhook_receiver.topics()) == sorted(
        [
            "orders/edited",
            "refunds/create",
            "refunds/create",
            "products/delete",
            "fulfillments/update",
            "app/uninstalled",
        ]
    )
    edited = json.loads(
        next(
            r.body
            for r in webhook_receiver.received
            if r.headers["x-shopify-topic"] == "orders/edited"
        )
    )
    assert edited["order_edit"]["line_items"]["removals"] == [{"id": line_id, "delta": 1}]
    final = (await shopify_driver.state(handle, variants=False))["stores"][0]
    assert final["counts"]["variants"] == 32 - 8
    assert final["installed"] is False
    order_body = final["orders"][0]
    assert order_body["line_items"][0]["current_quantity"] == 1
    assert order_body["fulfillment_status"] == "fulfilled"
    async with httpx.AsyncClient() as http:  # uninstalled: the token no longer works
        resp = await http.post(
            info["stores"][0]["graphql_url"],
            json={"query": "{ shop { name } }"},
            headers={"X-Shopify-Access-Token": info["stores"][0]["access_token"]},
        )
    assert resp.status_code == 401
    await shopify_driver.seed("small")
    again = (await shopify_driver.state(info["stores"][1]["handle"], variants=False))["stores"][0]
    assert again["counts"]["variants"] == 32
    assert again["counts"]["orders"] == 0
