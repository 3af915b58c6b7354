"""The Admin API over HTTP: plain httpx and the real ShopifyAPI library, unmodified."""

# ruff: noqa: E501  (GraphQL documents are kept on one line, as clients send them)

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from shopify_odoo.sandbox.shopify import ShopifySandbox

INVENTORY_QUERY = """query($q: String!) { productVariants(first: 10, query: $q) { nodes { id sku
  inventoryItem { id inventoryLevels(first: 5) { nodes { location { id name } quantities(names: ["available", "committed", "on_hand"]) { name quantity } } } } } } }"""


SET_WITH_KEY = """mutation Push($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) { userErrors { code message } } }"""


async def test_httpx_reads_inventory_with_the_token(shopify_sandbox: ShopifySandbox) -> None:
    store = shopify_sandbox.info()["stores"][0]
    sku = (
        shopify_sandbox.store()
        .variants_by_sku(next(shopify_sandbox.store().iter_variants()).sku)[0]
        .sku
    )
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            store["graphql_url"],
            json={"query": INVENTORY_QUERY, "variables": {"q": f"sku:{sku}"}},
            headers={"X-Shopify-Access-Token": store["access_token"]},
        )
    assert resp.status_code == 200
    assert resp.headers["X-Shopify-API-Version"] == "2026-04"
    body = resp.json()
    node = body["data"]["productVariants"]["nodes"][0]
    assert node["sku"] == sku
    assert node["id"].startswith("gid://shopify/ProductVariant/")
    assert int(node["id"].rsplit("/", 1)[1]) > 2**53  # exact 64-bit ids
    assert [lv["location"]["name"] for lv in node["inventoryItem"]["inventoryLevels"]["nodes"]] == [
        "Main Warehouse",
        "3PL Fulfilment",
        "Retail Store",
    ]
    assert body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 2000.0


async def test_wrong_token_is_401_with_shopifys_body(shopify_sandbox: ShopifySandbox) -> None:
    store = shopify_sandbox.info()["stores"][0]
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            store["graphql_url"],
            json={"query": "{ shop { name } }"},
            headers={"X-Shopify-Access-Token": "shpat_wrong"},
        )
    assert resp.status_code == 401
    assert resp.json() == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }


async def test_unsupported_version_falls_forward_and_unknown_is_404(
    shopify_sandbox: ShopifySandbox,
) -> None:
    store = shopify_sandbox.info()["stores"][0]
    headers = {"X-Shopify-Access-Token": store["access_token"]}
    async with httpx.AsyncClient() as http:
        old = await http.post(
            f"{store['admin_url']}/admin/api/2023-01/graphql.json",
            json={"query": "{ shop { name } }"},
            headers=headers,
        )
        bad = await http.post(
            f"{store['admin_url']}/admin/api/latest-ish/graphql.json",
            json={"query": "{ shop { name } }"},
            headers=headers,
        )
    assert old.status_code == 200
    assert old.headers["X-Shopify-API-Version"] == "2025-10"
    assert bad.status_code == 404


async def test_stores_are_separate_and_throttled_independently(
    shopify_sandbox: ShopifySandbox, shopify_driver: Any
) -> None:
    a, b = shopify_sandbox.info()["stores"]
    assert a["admin_url"] != b["admin_url"]
    await shopify_driver.faults(a["handle"], drain_bucket=0)
    async with httpx.AsyncClient() as http:
        costly = "{ productVariants(first: 250) { nodes { inventoryItem { inventoryLevels(first: 10) { nodes { id } } } } } }"
        ra = await http.post(
            a["graphql_url"],
            json={"query": costly},
            headers={"X-Shopify-Access-Token": a["access_token"]},
        )
        rb = await http.post(
            b["graphql_url"],
            json={"query": "{ shop { name } }"},
            headers={"X-Shopify-Access-Token": b["access_token"]},
        )
        cross = await http.post(
            b["graphql_url"],
            json={"query": "{ shop { name } }"},
            headers={"X-Shopify-Access-Token": a["access_token"]},
        )
    assert ra.status_code == 200
    assert ra.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert "Retry-After" not in ra.headers
    assert rb.json()["data"]["shop"]["name"] == f"Sandbox {b['handle']}"
    assert cross.status_code == 401


async def test_injected_5xx_and_slow_answers(
    shopify_sandbox: ShopifySandbox, shopify_driver: Any
) -> None:
    store = shopify_sandbox.info()["stores"][0]
    await shopify_driver.faults(store["handle"], http_errors=1, http_status=503)
    async with httpx.AsyncClient() as http:
        first = await http.post(
            store["graphql_url"],
            json={"query": "{ shop { name } }"},
            headers={"X-Shopify-Access-Token": store["access_token"]},
        )
        second = await http.post(
            store["graphql_url"],
            json={"query": "{ shop { name } }"},
            headers={"X-Shopify-Access-Token": store["access_token"]},
        )
    assert first.status_code == 503
    assert second.status_code == 200


@pytest.mark.shopify_sandbox(stores=1, scenario="small")
async def test_real_shopifyapi_library_talks_to_the_sandbox(
    shopify_sandbox: ShopifySandbox,
) -> None:
    shopify = pytest.importorskip("shopify")
    info = shopify_sandbox.info()["stores"][0]
    port = int(info["admin_url"].rsplit(":", 1)[1])

    variant = next(shopify_sandbox.store().iter_variants())
    level = variant.levels[0]
    assert level is not None
    before = level.available

    def call() -> tuple[dict[str, Any], dict[str, Any]]:
        # the library is configured, not patched: protocol, domain suffix and port are its own
        # class settings; "127" + ".0.0.1" rebuilds the loopback host from the shop name.
        shopify.Session.setup(protocol="http", myshopify_domain="0.0.1", port=port)
        try:
            session = shopify.Session("127.0.0.1", "2026-04", info["access_token"])
            shopify.ShopifyResource.activate_session(session)
            raw = shopify.GraphQL().execute(
                "{ shop { name myshopifyDomain } locations(first: 5) { nodes { name } } }"
            )
            written = shopify.GraphQL().execute(
                SET_WITH_KEY,
                variables={
                    "key": "b6f1c7e2-5d1a-4c39-9a53-2f0e8d7c1a11",
                    "input": {
                        "name": "available",
                        "reason": "correction",
                        "quantities": [
                            {
                                "inventoryItemId": f"gid://shopify/InventoryItem/{variant.item_id}",
                                "locationId": info["locations"][0]["id"],
                                "quantity": before + 5,
                                "changeFromQuantity": before,
                            }
                        ],
                    },
                },
                operation_name="Push",
            )
            return json.loads(raw), json.loads(written)
        finally:
            shopify.ShopifyResource.clear_session()
            shopify.Session.setup(protocol="https", myshopify_domain="myshopify.com", port=None)

    body, written = await asyncio.to_thread(call)
    assert written["data"]["inventorySetQuantities"]["userErrors"] == []
    assert level.available == before + 5
    assert body["data"]["shop"]["myshopifyDomain"] == "shop1.myshopify.com"
    assert [n["name"] for n in body["data"]["locations"]["nodes"]] == [
        "Main Warehouse",
        "3PL Fulfilment",
        "Retail Store",
    ]
    assert body["extensions"]["cost"]["requestedQueryCost"] == 1 + (2 + 3 * 1)  # m(5) = 3


async def test_bulk_query_jsonl_with_parent_ids_and_finish_webhook(
    shopify_sandbox: ShopifySandbox, shopify_driver: Any, webhook_receiver: Any
) -> None:
    store = shopify_sandbox.info()["stores"][0]
    await shopify_driver.subscribe(
        store["handle"], ["bulk_operations/finish"], webhook_receiver.url
    )
    inner = '{ productVariants { edges { node { id sku inventoryItem { id inventoryLevels { edges { node { id quantities(names: [\\"available\\"]) { name quantity } } } } } } } } }'
    mutation = f'mutation {{ bulkOperationRunQuery(query: "{inner}") {{ bulkOperation {{ id status }} userErrors {{ field message }} }} }}'
    headers = {"X-Shopify-Access-Token": store["access_token"]}
    async with httpx.AsyncClient() as http:
        started = (
            await http.post(store["graphql_url"], json={"query": mutation}, headers=headers)
        ).json()
        op = started["data"]["bulkOperationRunQuery"]["bulkOperation"]
        assert op["status"] == "CREATED", started
        await shopify_sandbox.drain()
        node = (
            await http.post(
                store["graphql_url"],
                json={
                    "query": '{{ node(id: "{}") {{ ... on BulkOperation {{ status url objectCount rootObjectCount }} }} currentBulkOperation {{ id }} }}'.format(
                        op["id"]
                    )
                },
                headers=headers,
            )
        ).json()["data"]
        assert node["node"]["status"] == "COMPLETED"
        assert node["currentBulkOperation"]["id"] == op["id"]
        lines = [json.loads(x) for x in (await http.get(node["node"]["url"])).text.splitlines()]
    variants = [x for x in lines if "sku" in x]
    levels = [x for x in lines if "__parentId" in x]
    assert len(variants) == 32 == int(node["node"]["rootObjectCount"])
    assert len(levels) == sum(
        1 for v in shopify_sandbox.store().iter_variants() for lv in v.levels if lv
    )
    assert {lv["__parentId"] for lv in levels} == {v["id"] for v in variants}
    assert all(lv["id"].startswith("gid://shopify/InventoryLevel/") for lv in levels)
    assert webhook_receiver.topics() == ["bulk_operations/finish"]
    finish = json.loads(webhook_receiver.received[0].body)
    assert finish["admin_graphql_api_id"] == op["id"]
    assert finish["status"] == "completed"
