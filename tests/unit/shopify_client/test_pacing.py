"""The client against a fake leaky bucket on a fake clock: full speed, no THROTTLED (§b.1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shopify_odoo.shopify.auth import StaticTokenProvider
from shopify_odoo.shopify.budget import StoreBudget
from shopify_odoo.shopify.client import ShopifyClient
from shopify_odoo.shopify.limiter import Priority
from shopify_odoo.shopify.models import QuantityChange

from .fakes import FakeClock

LOC = "gid://shopify/Location/1"


class BucketShopify:
    """Shopify's bucket (requested cost must fit, refund to actual) on the fake clock."""

    def __init__(
        self, clock: FakeClock, level: float, maximum: float = 2000.0, rate: float = 100.0
    ) -> None:
        self.clock, self.level, self.maximum, self.rate = clock, level, maximum, rate
        self.at = clock.now
        self.calls: list[tuple[float, str]] = []
        self.throttled = 0
        self.requests = 0
        self.throttled_at: list[int] = []  # request numbers answered THROTTLED

    def _refill(self) -> None:
        self.level = min(self.maximum, self.level + (self.clock.now - self.at) * self.rate)
        self.at = self.clock.now

    def status(self) -> dict[str, Any]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": int(self.level),
            "restoreRate": self.rate,
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        import json

        body = json.loads(request.content)
        op = body["operationName"]
        requested, actual = (11, 11) if op == "InventorySetQuantities" else (3, 1)
        self._refill()
        self.requests += 1
        if self.level < requested:
            self.throttled += 1
            self.throttled_at.append(self.requests)
            return httpx.Response(
                200,
                json={
                    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                    "extensions": {
                        "cost": {
                            "requestedQueryCost": requested,
                            "actualQueryCost": None,
                            "throttleStatus": self.status(),
                        }
                    },
                },
            )
        self.level -= actual
        self.calls.append((self.clock.now, op))
        if op == "InventorySetQuantities":
            data: dict[str, Any] = {
                "inventorySetQuantities": {
                    "inventoryAdjustmentGroup": {"id": "gid://shopify/InventoryAdjustmentGroup/1"},
                    "userErrors": [],
                }
            }
        else:
            data = {
                "shop": {
                    "id": "gid://shopify/Shop/1",
                    "name": "EU",
                    "myshopifyDomain": "eu.myshopify.com",
                    "currencyCode": "EUR",
                    "ianaTimezone": "UTC",
                    "plan": {},
                }
            }
        return httpx.Response(
            200,
            json={
                "data": data,
                "extensions": {
                    "cost": {
                        "requestedQueryCost": requested,
                        "actualQueryCost": actual,
                        "throttleStatus": self.status(),
                    }
                },
            },
        )


def client_for(fake: BucketShopify, clock: FakeClock) -> ShopifyClient:
    return ShopifyClient(
        "eu",
        "eu.myshopify.com",
        StaticTokenProvider("shpat_x"),
        transport=httpx.MockTransport(fake),
        budget=StoreBudget("eu", clock=clock, sleep=clock.sleep),
    )


async def test_push_from_an_empty_bucket_runs_at_the_restore_rate_without_throttling() -> None:
    clock = FakeClock()
    fake = BucketShopify(clock, level=20)
    changes = [QuantityChange(f"gid://shopify/InventoryItem/{n}", LOC, 1, 0) for n in range(10_000)]
    async with client_for(fake, clock) as client:
        start = clock.now
        outcomes = await client.set_available(changes, concurrency=4)
        elapsed = clock.now - start
    assert all(o.status == "applied" for o in outcomes)
    assert fake.throttled == 0
    # 40 calls x 11 points at 100 points/s, the first paid by the 20 points in the bucket
    bound = (40 * 11 - 20) / 100
    assert bound * 0.97 <= elapsed <= bound * 1.05


async def test_someone_else_draining_the_bucket_costs_one_throttle_then_we_adapt() -> None:
    clock = FakeClock()
    fake = BucketShopify(clock, level=2000)
    async with client_for(fake, clock) as client:
        await client.shop()  # learn the bucket
        fake.level = 0  # another app of the same shop? no: the same app in another process
        changes = [
            QuantityChange(f"gid://shopify/InventoryItem/{n}", LOC, 1, 0) for n in range(2500)
        ]
        outcomes = await client.set_available(changes, concurrency=4)
    assert all(o.status == "applied" for o in outcomes)
    assert fake.throttled <= 4  # at most one per task in flight when the drop happened
    assert (await client.budget.state()).throttled_count == fake.throttled


async def test_real_time_call_overtakes_a_running_sweep() -> None:
    clock = FakeClock()
    fake = BucketShopify(clock, level=0)
    async with client_for(fake, clock) as client:
        import asyncio

        await client.shop()  # the probe: empty bucket, so THROTTLED once, and the bucket is known
        changes = [
            QuantityChange(f"gid://shopify/InventoryItem/{n}", LOC, 1, 0) for n in range(5000)
        ]
        sweep = asyncio.create_task(
            client.set_available(changes, concurrency=4, priority=Priority.SWEEP)
        )
        await asyncio.sleep(0)
        for _ in range(3):
            await asyncio.sleep(0)
        await client.shop()
        urgent_done = clock.now
        await sweep
    sets = [t for t, op in fake.calls if op == "InventorySetQuantities"]
    # the real-time call did not wait for the 20 queued sweep calls (2.2 s of budget)
    assert urgent_done < sets[-1] - 1.0
    assert fake.throttled_at == [1]


@pytest.mark.parametrize("level", [0, 2000])
async def test_no_throttled_answer_in_a_long_push(level: float) -> None:
    clock = FakeClock()
    fake = BucketShopify(clock, level=level)
    changes = [QuantityChange(f"gid://shopify/InventoryItem/{n}", LOC, 1, 0) for n in range(25_000)]
    async with client_for(fake, clock) as client:
        await client.set_available(changes, concurrency=8)
    # only the very first request can meet an empty bucket we know nothing of (the probe)
    assert fake.throttled_at == ([1] if level == 0 else [])
