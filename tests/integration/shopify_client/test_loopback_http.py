"""The client over real loopback HTTP (uvicorn on an ephemeral port): network failures,
timeouts and streaming of a large bulk result without holding it in memory."""

from __future__ import annotations

import asyncio
import json
import socket
import tracemalloc
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from shopify_odoo.errors import TransientError
from shopify_odoo.shopify.auth import StaticTokenProvider
from shopify_odoo.shopify.client import ShopifyClient

TOKEN = "shpat_loopback"
LINES = 15_000


async def graphql(request: Request) -> Response:
    if request.headers.get("X-Shopify-Access-Token") != TOKEN:
        return JSONResponse({"errors": "[API] Invalid API key or access token"}, status_code=401)
    body = await request.json()
    if body["operationName"] == "Shop" and request.query_params.get("slow"):
        await asyncio.sleep(1)
    return JSONResponse(
        {
            "data": {
                "shop": {
                    "id": "gid://shopify/Shop/1",
                    "name": "Loopback",
                    "myshopifyDomain": "loop.myshopify.com",
                    "currencyCode": "EUR",
                    "ianaTimezone": "UTC",
                    "plan": {"publicDisplayName": "Basic"},
                }
            },
            "extensions": {
                "cost": {
                    "requestedQueryCost": 2,
                    "actualQueryCost": 1,
                    "throttleStatus": {
                        "maximumAvailable": 2000.0,
                        "currentlyAvailable": 1999,
                        "restoreRate": 100.0,
                    },
                }
            },
        },
        headers={"X-Shopify-API-Version": "2026-04"},
    )


async def big_file() -> AsyncIterator[bytes]:
    for chunk in _chunks():
        yield chunk


def _chunks() -> Iterator[bytes]:
    chunk: list[str] = []
    for n in range(LINES):
        parent = {"id": f"gid://shopify/ProductVariant/{n}", "sku": f"SKU-{n:06d}", "pad": "x" * 40}
        child = {
            "id": f"gid://shopify/InventoryLevel/{n}?inventory_item_id={n}",
            "available": n % 17,
            "__parentId": parent["id"],
        }
        chunk.append(json.dumps(parent) + "\n" + json.dumps(child) + "\n")
        if len(chunk) == 500:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


async def bulk_file(request: Request) -> Response:
    return StreamingResponse(big_file(), media_type="application/jsonl")


APP = Starlette(
    routes=[
        Route("/admin/api/2026-04/graphql.json", graphql, methods=["POST"]),
        Route("/bulk/result.jsonl", bulk_file),
    ]
)


@pytest.fixture
async def server() -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(APP, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve(sockets=[sock]))
    for _ in range(200):
        if srv.started:
            break
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    await task
    sock.close()


def client(url: str, **kw: object) -> ShopifyClient:
    return ShopifyClient(
        "loop", "loop.myshopify.com", StaticTokenProvider(TOKEN), admin_url=url, **kw
    )  # type: ignore[arg-type]


async def test_a_real_round_trip(server: str) -> None:
    async with client(server) as shop_client:
        shop = await shop_client.shop()
        level = await shop_client.budget.level()
    assert shop.name == "Loopback"
    assert 1990 < level <= 2000


async def test_connection_refused_is_transient() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    async with client(f"http://127.0.0.1:{port}") as shop_client:
        with pytest.raises(TransientError) as info:
            await shop_client.shop()
    assert info.value.cause == "network"
    assert f"127.0.0.1:{port}" in str(info.value)


async def test_slow_answer_times_out_as_transient(server: str) -> None:
    timeout = httpx.Timeout(connect=1.0, read=0.2, write=1.0, pool=1.0)
    async with client(server + "/?slow=1", timeout=timeout) as shop_client:
        shop_client.endpoint = f"{server}/admin/api/2026-04/graphql.json?slow=1"
        with pytest.raises(TransientError) as info:
            await shop_client.shop()
    assert info.value.cause == "timeout"
    assert (await shop_client.budget.state()).in_flight == 0


@pytest.mark.slow
async def test_large_bulk_file_streams_in_bounded_memory(server: str) -> None:
    """~3 MB of JSONL read record by record; the peak of Python allocations stays small."""
    seen = 0
    total = 0
    size = sum(len(chunk) for chunk in _chunks())
    tracemalloc.start()
    try:
        async with client(server) as shop_client:
            async for record in shop_client.bulk_records(f"{server}/bulk/result.jsonl"):
                assert record.node["sku"] == f"SKU-{seen:06d}"
                total += record.children[0].node["available"]
                seen += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == LINES
    assert total == sum(n % 17 for n in range(LINES))
    assert peak < size / 4, f"peak {peak / 2**20:.2f} MB for {size / 2**20:.1f} MB: file held?"
