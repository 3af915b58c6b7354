"""Webhook deliveries: real headers and HMAC (§d.3, correction 14), self-echo (correction 15),
at-least-once with retries (§d.4) and the fault knobs."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
import uuid
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shopify_odoo.sandbox.shopify import SandboxDriver, ShopifySandbox
from shopify_odoo.sandbox.shopify.server import serve

SET = """mutation S($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) { userErrors { code message } } }"""


def _some_sku(sandbox: ShopifySandbox, at_least: int = 3) -> str:
    return next(
        v.sku
        for v in sandbox.store().iter_variants()
        if v.levels[0] and v.levels[0].available >= at_least
    )


async def test_every_delivery_is_signed_and_carries_the_real_headers(
    shopify_sandbox: ShopifySandbox, shopify_driver: SandboxDriver, webhook_receiver: Any
) -> None:
    store = shopify_sandbox.info()["stores"][0]
    topics = [
        "orders/create",
        "orders/paid",
        "customers/create",
        "inventory_levels/update",
        "orders/fulfilled",
        "fulfillments/create",
        "orders/updated",
    ]
    await shopify_driver.subscribe(store["handle"], topics, webhook_receiver.url)
    sku = _some_sku(shopify_sandbox)
    order = await shopify_driver.place_order(
        store["handle"], [(sku, 1)], discount_code={"code": "SAVE10", "percent": 10}
    )
    await shopify_driver.fulfil(store["handle"], order["id"], company="UPS", number="1Z999")
    await shopify_driver.drain()
    got = webhook_receiver.received
    assert {r.headers["x-shopify-topic"] for r in got} == set(topics)
    for r in got:
        h = r.headers
        assert webhook_receiver.verify(store["webhook_secret"], r.body, h["x-shopify-hmac-sha256"])
        assert not webhook_receiver.verify("other-secret", r.body, h["x-shopify-hmac-sha256"])
        assert h["x-shopify-shop-domain"] == "shop1.myshopify.com"
        assert h["x-shopify-api-version"] == "2026-04"
        uuid.UUID(h["x-shopify-webhook-id"])
        uuid.UUID(h["x-shopify-event-id"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", h["x-shopify-triggered-at"])
    create = next(
        json.loads(r.body) for r in got if r.headers["x-shopify-topic"] == "orders/create"
    )
    assert create["id"] == order["id"]
    assert isinstance(create["total_price"], str)
    assert create["line_items"][0]["sku"] == sku
    assert create["discount_codes"][0]["code"] == "SAVE10"
    assert len({r.headers["x-shopify-webhook-id"] for r in got}) == len(got)
    # one checkout = one event id shared by its deliveries (correction 14)
    checkout = [
        r
        for r in got
        if r.headers["x-shopify-topic"] in ("orders/create", "orders/paid", "customers/create")
    ]
    assert len({r.headers["x-shopify-event-id"] for r in checkout}) == 1
    level = next(
        json.loads(r.body) for r in got if r.headers["x-shopify-topic"] == "inventory_levels/update"
    )
    assert "?inventory_item_id=" in level["admin_graphql_api_id"]
    assert "available" in level


async def test_our_own_inventory_writes_echo_back(
    shopify_sandbox: ShopifySandbox, shopify_driver: SandboxDriver, webhook_receiver: Any
) -> None:
    store = shopify_sandbox.info()["stores"][0]
    await shopify_driver.subscribe(
        store["handle"], ["inventory_levels/update"], webhook_receiver.url
    )
    v = next(shopify_sandbox.store().iter_variants())
    loc = store["locations"][0]["id"]
    variables = {
        "key": str(uuid.uuid4()),
        "input": {
            "name": "available",
            "reason": "correction",
            "quantities": [
                {
                    "inventoryItemId": f"gid://shopify/InventoryItem/{v.item_id}",
                    "locationId": loc,
                    "quantity": 17,
                    "changeFromQuantity": v.levels[0].available,
                }
            ],
        },
    }
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            store["graphql_url"],
            json={"query": SET, "variables": variables},
            headers={"X-Shopify-Access-Token": store["access_token"]},
        )
    assert resp.json()["data"]["inventorySetQuantities"]["userErrors"] == []
    await shopify_driver.drain()
    bodies = [json.loads(r.body) for r in webhook_receiver.received]
    assert [(b["inventory_item_id"], b["available"]) for b in bodies] == [(v.item_id, 17)]


async def test_duplicates_and_reordering_when_the_knobs_ask(
    shopify_sandbox: ShopifySandbox, shopify_driver: SandboxDriver, webhook_receiver: Any
) -> None:
    store = shopify_sandbox.info()["stores"][0]
    await shopify_driver.subscribe(
        store["handle"], ["inventory_levels/update"], webhook_receiver.url
    )
    await shopify_driver.webhook_knobs(duplicate=1)
    skus = [v.sku for v in shopify_sandbox.store().iter_variants()][:3]
    await shopify_driver.set_stock(store["handle"], skus[0], 5)
    await shopify_driver.drain()
    ids = [r.headers["x-shopify-webhook-id"] for r in webhook_receiver.received]
    assert len(ids) == 2
    assert len(set(ids)) == 1
    webhook_receiver.received.clear()
    await shopify_driver.webhook_knobs(duplicate=0, reorder_window=12)
    for i in range(12):
        await shopify_driver.set_stock(store["handle"], skus[i % 3], 100 + i)
    await shopify_driver.drain()
    seen = [json.loads(r.body)["available"] for r in webhook_receiver.received]
    assert sorted(seen) == list(range(100, 112))
    assert seen != sorted(seen)


async def test_drop_then_retry_and_receiver_down_are_retried(
    shopify_sandbox: ShopifySandbox, shopify_driver: SandboxDriver, webhook_receiver: Any
) -> None:
    store = shopify_sandbox.info()["stores"][0]
    await shopify_driver.subscribe(
        store["handle"], ["inventory_levels/update"], webhook_receiver.url
    )
    await shopify_driver.webhook_knobs(drop_first=1, retry_delays=[0.05, 0.05, 0.05, 0.05])
    sku = _some_sku(shopify_sandbox, 0)
    await shopify_driver.set_stock(store["handle"], sku, 9)
    await shopify_driver.drain()
    assert len(webhook_receiver.received) == 1
    log = await shopify_driver.deliveries()
    assert log[-1]["responses"] == ["dropped", 200]
    assert log[-1]["status"] == "delivered"
    webhook_receiver.status = 500  # receiver answers errors: every retry fails, then gives up
    await shopify_driver.set_stock(store["handle"], sku, 10)
    await shopify_driver.drain()
    log = await shopify_driver.deliveries()
    assert log[-1]["status"] == "failed"
    assert log[-1]["attempts"] == 5
    assert log[-1]["responses"] == [500] * 5


async def test_delay_knob_holds_each_first_attempt(
    shopify_sandbox: ShopifySandbox, shopify_driver: SandboxDriver, webhook_receiver: Any
) -> None:
    store = shopify_sandbox.info()["stores"][0]
    await shopify_driver.subscribe(
        store["handle"], ["inventory_levels/update"], webhook_receiver.url
    )
    await shopify_driver.webhook_knobs(delay=0.6)
    started = time.monotonic()
    await shopify_driver.set_stock(store["handle"], _some_sku(shopify_sandbox, 0), 4)
    await asyncio.sleep(0.2)
    assert webhook_receiver.received == []  # still held by the delay
    await shopify_driver.drain()
    assert len(webhook_receiver.received) == 1
    assert time.monotonic() - started >= 0.6


async def test_receiver_down_then_back_gets_the_retry(
    shopify_sandbox: ShopifySandbox, shopify_driver: SandboxDriver, webhook_receiver: Any
) -> None:
    """§d.4 at-least-once: attempts against a receiver that is down (connection refused) are
    retried until it is back, with the original payload and signature."""
    store = shopify_sandbox.info()["stores"][0]
    with socket.socket() as probe:  # a free loopback port nobody listens on (yet)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    await shopify_driver.subscribe(
        store["handle"], ["inventory_levels/update"], f"http://127.0.0.1:{port}/hooks"
    )
    await shopify_driver.webhook_knobs(retry_delays=[0.3, 0.3, 0.3, 0.3, 0.3])
    await shopify_driver.set_stock(store["handle"], _some_sku(shopify_sandbox, 0), 6)
    await asyncio.sleep(0.15)  # the first attempt has failed: nothing listens
    got: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: Request) -> Response:
        got.append(({k.lower(): v for k, v in request.headers.items()}, await request.body()))
        return Response(status_code=200)

    server, task, _ = await serve(
        Starlette(routes=[Route("/hooks", hook, methods=["POST"])]), "127.0.0.1", port
    )
    try:
        await shopify_driver.drain()
    finally:
        server.should_exit = True
        await task
    assert len(got) == 1
    headers, raw = got[0]
    assert webhook_receiver.verify(store["webhook_secret"], raw, headers["x-shopify-hmac-sha256"])
    log = await shopify_driver.deliveries()
    assert log[-1]["status"] == "delivered"
    assert log[-1]["responses"][0] == "ConnectError"
    assert log[-1]["responses"][-1] == 200


async def test_slow_receiver_times_out_and_is_retried(
    shopify_sandbox: ShopifySandbox, shopify_driver: SandboxDriver
) -> None:
    """§d.4: an answer later than the timeout (5 s by default; shortened here by the knob)
    counts as a failure and the delivery is retried."""
    store = shopify_sandbox.info()["stores"][0]
    calls: list[float] = []

    async def hook(request: Request) -> Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            await asyncio.sleep(1.0)  # longer than the knob's timeout
        return Response(status_code=200)

    server, task, port = await serve(
        Starlette(routes=[Route("/hooks", hook, methods=["POST"])]), "127.0.0.1", 0
    )
    try:
        await shopify_driver.subscribe(
            store["handle"], ["inventory_levels/update"], f"http://127.0.0.1:{port}/hooks"
        )
        await shopify_driver.webhook_knobs(timeout=0.3, retry_delays=[0.05, 0.05])
        await shopify_driver.set_stock(store["handle"], _some_sku(shopify_sandbox, 0), 8)
        await shopify_driver.drain()
    finally:
        server.should_exit = True
        await task
    log = await shopify_driver.deliveries()
    assert log[-1]["responses"] == ["ReadTimeout", 200]
    assert log[-1]["status"] == "delivered"
    assert len(calls) == 2
