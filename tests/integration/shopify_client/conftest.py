"""The Shopify sandbox for the client's integration tests, over loopback HTTP.

``sandbox_shop`` yields (sandbox, store, client): the running sandbox (its world for assertions on
state), the first store's record, and a ``ShopifyClient`` on that store's Admin API URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from shopify_odoo.shopify.auth import StaticTokenProvider
from shopify_odoo.shopify.client import ShopifyClient


@pytest.fixture
async def sandbox_shop(shopify_sandbox: Any) -> AsyncIterator[tuple[Any, Any, ShopifyClient]]:
    store = shopify_sandbox.store()
    client = ShopifyClient(
        store.handle,
        store.domain,
        StaticTokenProvider(store.access_token),
        admin_url=store.base_url,
    )
    async with client:
        yield shopify_sandbox, store, client
