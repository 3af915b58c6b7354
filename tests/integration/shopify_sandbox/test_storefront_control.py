"""Storefront and merchant actions through the control API, checked through the Admin API."""

# ruff: noqa: E501  (GraphQL documents are kept on one line, as clients send them)

from __future__ import annotations

import json
from typing import Any

import httpx

from shopify_odoo.sandbox.shopify import SandboxDriver, ShopifySandbox


async def _gql(
    store: dict[str, Any], query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            store["graphql_url"],
            json={"query": query, "variables": variables},
            headers={"X-Shopify-Access-Token": store["access_token"]},
        )
    body: dict[str, Any] = resp.json()
    return body


async def test_checkout_cancel_and_refused_cart(
    shopify_sandbox: ShopifySandbox, shopify_driver: SandboxDriver, webhook_receiver: Any
) -> None:
    store = (await shopify_driver.info())["stores"][1]
    await shopify_driver.subscribe(
        store["handle"], ["orders/cancelled", "refunds/create"], webhook_receiver.url
    )
    sku = next(
        v.sku
        for v in shopify_sandbox.store(store["handle"]).iter_variants()
        if v.levels[0] and v.levels[0].available >= 2
    )
    before = {x["location"]: x for x in await shopify_driver.levels(store["handle"], sku)}
    order = await shopify_driver.place_order(
        store["handle"], [(sku, 2)], presentment_currency="USD", rate="1.1", taxes_included=False
    )
    after = {x["location"]: x for x in await shopify_driver.levels(store["handle"], sku)}
    assert after["Main Warehouse"]["available"] == before["Main Warehouse"]["available"] - 2
    assert after["Main Warehouse"]["committed"] == before["Main Warehouse"]["committed"] + 2
    q = '{{ order(id: "{}") {{ name presentmentCurrencyCode totalPriceSet {{ presentmentMoney {{ currencyCode }} }} fulfillmentOrders(first: 2) {{ nodes {{ assignedLocation {{ name }} }} }} }} }}'.format(
        order["admin_graphql_api_id"]
    )
    data = (await _gql(store, q))["data"]["order"]
    assert data["presentmentCurrencyCode"] == "USD"
    assert data["fulfillmentOrders"]["nodes"][0]["assignedLocation"]["name"] == "Main Warehouse"
    await shopify_driver.cancel_order(store["handle"], order["id"])
    again = {x["location"]: x for x in await shopify_driver.levels(store["handle"], sku)}
    assert again["Main Warehouse"]["available"] == before["Main Warehouse"]["available"]
    await shopify_driver.drain()
    assert sorted(webhook_receiver.topics()) == ["orders/cancelled", "refunds/create"]
    refund = json.loads(
        next(
            r.body
            for r in webhook_receiver.received
            if r.headers["x-shopify-topic"] == "refunds/create"
        )
    )
    assert refund["refund_line_items"][0]["restock_type"] == "cancel"
    import pytest

    from shopify_odoo.errors import TerminalError

    with pytest.raises(TerminalError, match="409"):
        await shopify_driver.place_order(store["handle"], [(sku, 10_000)])


async def test_fulfillment_create_over_graphql_with_tracking(
    shopify_sandbox: ShopifySandbox, shopify_driver: SandboxDriver
) -> None:
    store = (await shopify_driver.info())["stores"][0]
    sku = next(
        v.sku
        for v in shopify_sandbox.store().iter_variants()
        if v.levels[0] and v.levels[0].available >= 1
    )
    order = await shopify_driver.place_order(store["handle"], [(sku, 1)])
    fos = (
        await _gql(
            store,
            '{{ order(id: "{}") {{ fulfillmentOrders(first: 5) {{ nodes {{ id lineItems(first: 5) {{ nodes {{ id remainingQuantity }} }} }} }} }} }}'.format(
                order["admin_graphql_api_id"]
            ),
        )
    )["data"]["order"]["fulfillmentOrders"]["nodes"]
    m = """mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id status trackingInfo { company number url } } userErrors { field message } } }"""
    f = {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fos[0]["id"]}],
        "trackingInfo": {"company": "UPS", "number": "1Z1", "url": "https://ups.example/1Z1"},
    }
    body = await _gql(store, m, {"f": f})
    out = body["data"]["fulfillmentCreate"]
    assert out["userErrors"] == []
    assert out["fulfillment"]["trackingInfo"] == [
        {"company": "UPS", "number": "1Z1", "url": "https://ups.example/1Z1"}
    ]
    assert body["extensions"]["cost"]["requestedQueryCost"] == 11
    status = (
        await _gql(
            store,
            '{{ order(id: "{}") {{ displayFulfillmentStatus }} }}'.format(
                order["admin_graphql_api_id"]
            ),
        )
    )["data"]["order"]
    assert status["displayFulfillmentStatus"] == "FULFILLED"


async def test_webhook_subscription_create_uses_uri(shopify_sandbox: ShopifySandbox) -> None:
    store = shopify_sandbox.info()["stores"][0]
    m = 'mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {uri: "https://example.test/hooks", format: JSON}) { webhookSubscription { id uri topic } userErrors { field message } } }'
    out = (await _gql(store, m))["data"]["webhookSubscriptionCreate"]
    assert out["userErrors"] == []
    assert out["webhookSubscription"]["uri"] == "https://example.test/hooks"
    old = 'mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {callbackUrl: "https://x"}) { userErrors { message } } }'
    assert "callbackUrl" in (await _gql(store, old))["errors"][0]["message"]  # correction 13
    listed = (await _gql(store, "{ webhookSubscriptions(first: 10) { nodes { id } } }"))["data"][
        "webhookSubscriptions"
    ]["nodes"]
    assert [n["id"] for n in listed] == [out["webhookSubscription"]["id"]]
    state = await SandboxDriver(shopify_sandbox.control_url).state(store["handle"], variants=False)
    assert state["stores"][0]["subscriptions"][0]["uri"] == "https://example.test/hooks"
