"""Fixtures that run the Shopify sandbox over loopback.

- ``shopify_sandbox``: a running :class:`ShopifySandbox` (2 stores, scenario ``small`` by default;
  ``@pytest.mark.shopify_sandbox(stores=3, scenario="demo", plan="advanced", token_lifetime=2)``
  changes it).  ``sandbox.info()`` gives URLs and credentials; ``sandbox.world`` the records.
- ``shopify_driver``: a :class:`SandboxDriver` on that sandbox's control API.
- ``webhook_receiver``: a loopback HTTP receiver recording every delivery (raw body, headers),
  with ``.url``, ``.received``, ``.status`` (answer code) and ``.verify(secret, raw, header)``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shopify_odoo.sandbox.shopify import SandboxDriver, ShopifySandbox, run_shopify_sandbox
from shopify_odoo.sandbox.shopify.server import serve


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "shopify_sandbox(**options): options for the shopify_sandbox fixture"
    )


@pytest.fixture
async def shopify_sandbox(request: pytest.FixtureRequest) -> AsyncIterator[ShopifySandbox]:
    marker = request.node.get_closest_marker("shopify_sandbox")
    options: dict[str, Any] = {"stores": 2, "scenario": "small"}
    if marker is not None:
        options.update(marker.kwargs)
    async with run_shopify_sandbox(**options) as sandbox:
        yield sandbox


@pytest.fixture
async def shopify_driver(shopify_sandbox: ShopifySandbox) -> AsyncIterator[SandboxDriver]:
    async with SandboxDriver(shopify_sandbox.control_url) as driver:
        yield driver


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    status: int = 200

    @staticmethod
    def verify(secret: str, raw: bytes, header: str) -> bool:
        """Our own HMAC check (§d.3): base64 HMAC-SHA256 of the raw body."""
        digest = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest())
        return hmac.compare_digest(digest, header.encode())

    def topics(self) -> list[str]:
        return [r.headers["x-shopify-topic"] for r in self.received]


@pytest.fixture
async def webhook_receiver() -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver()

    async def hook(request: Request) -> Response:
        raw = await request.body()
        if receiver.status < 300:
            receiver.received.append(
                Received({k.lower(): v for k, v in request.headers.items()}, raw)
            )
        return Response(status_code=receiver.status)

    app = Starlette(routes=[Route("/hooks", hook, methods=["POST"])])
    server, task, port = await serve(app, "127.0.0.1", 0)
    receiver.url = f"http://127.0.0.1:{port}/hooks"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
