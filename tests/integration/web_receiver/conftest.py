"""A migrated state database, settings with two stores, and the web app over ASGI."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shopify_odoo.config import Settings, settings_from_mapping
from shopify_odoo.engine.inbox import register_stores
from shopify_odoo.store import migrate
from shopify_odoo.store.database import Database, open_database
from shopify_odoo.web.app import create_app

EU_SECRET = "shpss_eu_client_secret"
US_CLIENT_SECRET = "shpss_us_old_secret"
US_WEBHOOK_SECRET = "us-new-webhook-key"
ODOO_SECRET = "odoo-shared-secret"

CONFIG: dict[str, Any] = {
    "odoo": {"url": "http://127.0.0.1:1", "database": "db", "login": "bot", "api_key": "k"},
    "stores": [
        {
            "handle": "eu",
            "shop_domain": "acme-eu.myshopify.com",
            "client_id": "cid-eu",
            "client_secret": EU_SECRET,
        },
        {
            "handle": "us",
            "shop_domain": "acme-us.myshopify.com",
            "client_id": "cid-us",
            "client_secret": US_CLIENT_SECRET,
            "webhook_secret": US_WEBHOOK_SECRET,
        },
    ],
    "location_map": [
        {"store": "eu", "shopify_location": "Online", "odoo_locations": ["WH/Stock"]},
        {"store": "us", "shopify_location": "Online", "odoo_locations": ["WH/Stock"]},
    ],
    "sync": {
        "webhook_base_url": "https://connector.example.com",
        "odoo_webhook_secret": ODOO_SECRET,
    },
}


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_headers(
    body: bytes,
    *,
    topic: str,
    secret: str = EU_SECRET,
    shop: str = "acme-eu.myshopify.com",
    webhook_id: str | None = None,
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": "2026-11-23T10:00:00.123456789Z",
        "X-Shopify-API-Version": "2026-04",
    }


def order_body(order_id: int = 820982911946154500, variant_id: int = 808950810) -> bytes:
    return json.dumps(
        {
            "id": order_id,
            "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
            "name": "#1001",
            "currency": "EUR",
            "updated_at": "2026-11-23T10:00:00+00:00",
            "line_items": [
                {
                    "id": 866550311766439000,
                    "admin_graphql_api_id": "gid://shopify/LineItem/866550311766439000",
                    "variant_id": variant_id,
                    "product_id": 632910392,
                    "sku": "TSHIRT-M",
                    "quantity": 2,
                    "price": "19.90",
                }
            ],
        }
    ).encode()


def level_body(item_id: int = 39072856, location_id: int = 487838322) -> bytes:
    return json.dumps(
        {
            "inventory_item_id": item_id,
            "location_id": location_id,
            "available": 5,
            "updated_at": "2026-11-23T10:00:00+00:00",
            "admin_graphql_api_id": (
                f"gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item_id}"
            ),
        }
    ).encode()


@pytest.fixture
def settings() -> Settings:
    return settings_from_mapping(CONFIG)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.sqlite3'}"
    server, schema = request.getfixturevalue("pg_schema")
    return f"{server}?schema={schema}"


@pytest.fixture
async def db(db_url: str, settings: Settings) -> AsyncIterator[Database]:
    await migrate.upgrade(db_url)
    database = await open_database(db_url, pool_size=10)
    await register_stores(database, settings)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, db, max_body=64 * 1024)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as c:
        yield c
    await app.state.web.writer.close()
