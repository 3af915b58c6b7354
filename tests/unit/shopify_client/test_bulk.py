"""Bulk operations: run, follow, stream the JSONL and reassemble parents and children (§c)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from shopify_odoo.errors import TerminalError, TransientError
from shopify_odoo.shopify.errors import UserErrorsError

from .fakes import FakeShopify, make_client

URL = "https://storage.example/bulk/result.jsonl?signature=abc"
OP = "gid://shopify/BulkOperation/42"


def jsonl(*rows: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def grouped_file() -> bytes:
    return jsonl(
        {"id": "gid://shopify/ProductVariant/1", "sku": "A"},
        {
            "id": "gid://shopify/InventoryLevel/11?inventory_item_id=1",
            "available": 3,
            "__parentId": "gid://shopify/ProductVariant/1",
        },
        {
            "id": "gid://shopify/InventoryLevel/12?inventory_item_id=1",
            "available": 4,
            "__parentId": "gid://shopify/ProductVariant/1",
        },
        {"id": "gid://shopify/ProductVariant/2", "sku": "B"},
        {
            "id": "gid://shopify/InventoryLevel/21?inventory_item_id=2",
            "available": 0,
            "__parentId": "gid://shopify/ProductVariant/2",
        },
        {"id": "gid://shopify/ProductVariant/3", "sku": "C"},
    )


class ChunkedStream(httpx.AsyncByteStream):
    """Serves the file in 7-byte chunks, so lines straddle chunk boundaries."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.served = 0

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for i in range(0, len(self.data), 7):
            self.served += 1
            yield self.data[i : i + 7]


def serve(fake: FakeShopify, data: bytes, status: int = 200) -> None:
    fake.handlers["GET /bulk/result.jsonl"] = lambda v: httpx.Response(
        status, stream=ChunkedStream(data)
    )


def operation(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "node": {
            "id": OP,
            "status": status,
            "errorCode": None,
            "type": "QUERY",
            "objectCount": "6",
            "rootObjectCount": "3",
            "fileSize": "512",
            "url": URL if status == "COMPLETED" else None,
            "partialDataUrl": None,
            "createdAt": "2026-11-23T09:00:00Z",
            "completedAt": None,
            **extra,
        }
    }


async def test_run_then_poll_until_completed_then_stream_records() -> None:
    fake = FakeShopify()
    states = iter(["CREATED", "RUNNING", "COMPLETED"])
    fake.handlers["BulkOperationRunQuery"] = lambda v: {
        "bulkOperationRunQuery": {
            "bulkOperation": {"id": OP, "status": "CREATED", "createdAt": "2026-11-23T09:00:00Z"},
            "userErrors": [],
        }
    }
    fake.handlers["BulkOperation"] = lambda v: operation(next(states))
    serve(fake, grouped_file())
    async with make_client(fake) as client:
        started = await client.run_bulk_query("{ productVariants { edges { node { id sku } } } }")
        done = await client.wait_bulk_operation(started.id, poll_interval=0.001)
        records = [r async for r in client.bulk_records(done.url or "")]
    assert fake.variables("BulkOperationRunQuery")[0]["groupObjects"] is True
    assert [r.node["sku"] for r in records] == ["A", "B", "C"]
    assert [c.node["available"] for c in records[0].children_of("InventoryLevel")] == [3, 4]
    assert "__parentId" not in records[0].children[0].node
    assert records[2].children == ()


async def test_webhook_signal_wakes_the_follower() -> None:
    fake = FakeShopify()
    states = iter(["RUNNING", "COMPLETED"])
    fake.handlers["BulkOperation"] = lambda v: operation(next(states))
    finished = asyncio.Event()
    async with make_client(fake) as client:
        follower = asyncio.create_task(
            client.wait_bulk_operation(OP, finished=finished, poll_interval=60)
        )
        await asyncio.sleep(0.01)
        finished.set()  # what the bulk_operations/finish webhook handler does
        done = await asyncio.wait_for(follower, 2)
    assert done.status == "COMPLETED"


async def test_lines_stream_without_holding_the_file() -> None:
    fake = FakeShopify()
    rows = [{"id": f"gid://shopify/ProductVariant/{n}", "n": n} for n in range(2000)]
    stream = ChunkedStream(jsonl(*rows))
    fake.handlers["GET /bulk/result.jsonl"] = lambda v: httpx.Response(200, stream=stream)
    seen = 0
    async with make_client(fake) as client:
        async for row in client.bulk_lines(URL):
            if seen == 0:
                # the first line arrived after a handful of chunks, not after the whole file
                assert stream.served < 10
            assert row["n"] == seen
            seen += 1
    assert seen == 2000


async def test_ungrouped_file_is_refused_with_a_clear_error() -> None:
    fake = FakeShopify()
    serve(
        fake,
        jsonl(
            {"id": "gid://shopify/ProductVariant/1"},
            {"id": "gid://shopify/ProductVariant/2"},
            {
                "id": "gid://shopify/InventoryLevel/11",
                "__parentId": "gid://shopify/ProductVariant/1",
            },
        ),
    )
    async with make_client(fake) as client:
        with pytest.raises(TerminalError) as info:
            _ = [r async for r in client.bulk_records(URL)]
    assert "not grouped" in str(info.value)
    assert "line 3" in str(info.value)


@pytest.mark.parametrize(
    ("status", "error_code", "kind", "cause"),
    [
        ("FAILED", "ACCESS_DENIED", TerminalError, "missing_scope"),
        ("FAILED", "TIMEOUT", TransientError, "bulk_failed"),
        ("FAILED", "INTERNAL_SERVER_ERROR", TransientError, "bulk_failed"),
        ("CANCELED", None, TerminalError, "bulk_canceled"),
        ("EXPIRED", None, TransientError, "bulk_expired"),
    ],
)
async def test_failed_expired_canceled_raise_clear_errors(
    status: str, error_code: str | None, kind: type[Exception], cause: str
) -> None:
    fake = FakeShopify()
    fake.handlers["BulkOperation"] = lambda v: operation(status, errorCode=error_code)
    async with make_client(fake) as client:
        with pytest.raises(kind) as info:
            await client.wait_bulk_operation(OP, poll_interval=0.001)
    assert info.value.cause == cause  # type: ignore[attr-defined]
    assert OP in str(info.value)
    assert "store eu" in str(info.value)


async def test_expired_download_link_is_reported() -> None:
    fake = FakeShopify()
    serve(fake, b"", status=403)
    async with make_client(fake) as client:
        with pytest.raises(TerminalError) as info:
            _ = [r async for r in client.bulk_lines(URL)]
    assert info.value.cause == "bulk_file_expired"


async def test_run_query_user_errors_are_raised() -> None:
    fake = FakeShopify()
    fake.handlers["BulkOperationRunQuery"] = lambda v: {
        "bulkOperationRunQuery": {
            "bulkOperation": None,
            "userErrors": [
                {
                    "code": "OPERATION_IN_PROGRESS",
                    "field": None,
                    "message": "A bulk query operation is already in progress",
                }
            ],
        }
    }
    async with make_client(fake) as client:
        with pytest.raises(UserErrorsError) as info:
            await client.run_bulk_query("{ products { edges { node { id } } } }")
    assert "OPERATION_IN_PROGRESS" in str(info.value)


async def test_token_is_not_sent_to_the_storage_host() -> None:
    fake = FakeShopify()

    def handler(v: dict[str, Any]) -> httpx.Response:
        return httpx.Response(200, content=jsonl({"id": "gid://shopify/Product/1"}))

    fake.handlers["GET /bulk/result.jsonl"] = handler
    transport_calls: list[httpx.Request] = []
    original = fake.__call__

    def spy(request: httpx.Request) -> httpx.Response:
        transport_calls.append(request)
        return original(request)

    from shopify_odoo.shopify.auth import StaticTokenProvider
    from shopify_odoo.shopify.client import ShopifyClient

    client = ShopifyClient(
        "eu",
        "eu-shop.myshopify.com",
        StaticTokenProvider("shpat_test_token"),
        transport=httpx.MockTransport(spy),
    )
    async with client:
        _ = [r async for r in client.bulk_lines(URL)]
    assert "X-Shopify-Access-Token" not in transport_calls[0].headers
