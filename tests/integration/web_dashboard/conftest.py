"""Settings of two stores with every kind of secret set, and the state database backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

PASSWORD = "correct horse battery staple"
TOKEN = "dash-token-7f3a9c0e5b"
SESSION_SECRET = "session-signing-key-0b9d"
ODOO_KEY = "odoo-api-key-55aa"
EU_TOKEN = "shpat_eu_access_token_123"
US_TOKEN = "shpat_us_access_token_456"


def config(db_url: str, **dashboard: Any) -> dict[str, Any]:
    return {
        "database_url": db_url,
        "odoo": {
            "url": "http://odoo.invalid",
            "database": "db",
            "login": "bot",
            "api_key": ODOO_KEY,
        },
        "stores": [
            {
                "handle": "eu",
                "shop_domain": "acme-eu.myshopify.com",
                "admin_url": "http://eu.invalid",
                "access_token": EU_TOKEN,
            },
            {
                "handle": "us",
                "shop_domain": "acme-us.myshopify.com",
                "admin_url": "http://us.invalid",
                "access_token": US_TOKEN,
            },
        ],
        "location_map": [
            {"store": "eu", "shopify_location": "Online", "odoo_locations": ["WH/Stock"]},
            {"store": "us", "shopify_location": "Online", "odoo_locations": ["WH/Stock"]},
        ],
        "dashboard": dashboard,
    }


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
    server, schema = request.getfixturevalue("pg_schema")
    return f"{server}?schema={schema}"
