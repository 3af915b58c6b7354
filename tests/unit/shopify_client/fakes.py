"""A fake Shopify Admin GraphQL endpoint for httpx.MockTransport (shapes per the fact sheet)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from shopify_odoo.shopify.auth import StaticTokenProvider
from shopify_odoo.shopify.budget import StoreBudget
from shopify_odoo.shopify.client import ShopifyClient

Handler = Callable[[dict[str, Any]], Any]


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        import asyncio

        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def cost(
    requested: float = 10, actual: float | None = 10, available: float = 1990
) -> dict[str, Any]:
    """``extensions`` of a Standard-plan answer (correction 3: float max/rate, int current)."""
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": 2000.0,
                "currentlyAvailable": int(available),
                "restoreRate": 100.0,
            },
        }
    }


THROTTLED_BODY = {
    "errors": [
        {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
    ],
    "extensions": cost(requested=50, actual=None, available=20),
}


@dataclass
class FakeShopify:
    """Routes requests by operationName to handlers returning ``data`` or an httpx.Response."""

    handlers: dict[str, Handler] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[httpx.Headers] = field(default_factory=list)
    api_version: str = "2026-04"
    token: str = "shpat_test_token"

    def on(self, operation: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.handlers[operation] = fn
            return fn

        return register

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            handler = self.handlers.get("GET " + request.url.path)
            if handler is None:
                return httpx.Response(404)
            result = handler({"url": str(request.url)})
            return (
                result
                if isinstance(result, httpx.Response)
                else httpx.Response(200, content=result)
            )
        body = json.loads(request.content)
        self.requests.append(body)
        self.headers.append(request.headers)
        if request.headers.get("X-Shopify-Access-Token") != self.token:
            return httpx.Response(
                401,
                json={
                    "errors": "[API] Invalid API key or access token "
                    "(unrecognized login or wrong password)"
                },
            )
        handler = self.handlers[body["operationName"]]
        result = handler(body["variables"])
        if isinstance(result, httpx.Response):
            return result
        payload = (
            result
            if isinstance(result, dict) and ("data" in result or "errors" in result)
            else {
                "data": result,
                "extensions": cost(),
            }
        )
        return httpx.Response(
            200, json=payload, headers={"X-Shopify-API-Version": self.api_version}
        )

    def variables(self, operation: str) -> list[dict[str, Any]]:
        return [r["variables"] for r in self.requests if r["operationName"] == operation]


def make_client(
    fake: FakeShopify, clock: FakeClock | None = None, *, max_retries: int = 5
) -> ShopifyClient:
    clock = clock or FakeClock()
    return ShopifyClient(
        "eu",
        "eu-shop.myshopify.com",
        StaticTokenProvider("shpat_test_token"),
        transport=httpx.MockTransport(fake),
        budget=StoreBudget("eu", clock=clock, sleep=clock.sleep),
        max_retries=max_retries,
    )
