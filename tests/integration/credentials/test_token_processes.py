"""One token for every worker process: two OS processes with four tasks each call the Admin
API while client credentials tokens expire every 2 s; the state database row (SQLite
``BEGIN IMMEDIATE``, PostgreSQL ``FOR UPDATE``) makes each expiry cost one grant."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from shopify_odoo.config import settings_from_mapping
from shopify_odoo.engine.inbox import register_stores
from shopify_odoo.sandbox.shopify import ShopifySandbox
from shopify_odoo.store import migrate
from shopify_odoo.store.database import open_database

HERE = Path(__file__).parent
LIFETIME = 2.0  # whole seconds: expires_in is an integer (correction 20)
SECONDS = 5.0
PROCESSES = 2


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.sqlite3'}"
    server, schema = request.getfixturevalue("pg_schema")
    return f"{server}?schema={schema}"


def _config(db_url: str, sandbox: ShopifySandbox) -> dict[str, Any]:
    store = sandbox.stores[0]
    return {
        "database_url": db_url,
        "token_key": Fernet.generate_key().decode(),
        "odoo": {"url": "http://odoo.invalid", "database": "db", "login": "a", "api_key": "k"},
        "stores": [
            {
                "handle": store.handle,
                "shop_domain": store.domain,
                "admin_url": store.base_url,
                "client_id": store.client_id,
                "client_secret": store.client_secret,
            }
        ],
        "location_map": [
            {"store": store.handle, "shopify_location": "Main Warehouse", "odoo_locations": ["X"]}
        ],
    }


@pytest.mark.slow
@pytest.mark.shopify_sandbox(stores=1, token_lifetime=LIFETIME)
async def test_worker_processes_share_one_token_per_expiry(
    db_url: str, shopify_sandbox: ShopifySandbox
) -> None:
    config = _config(db_url, shopify_sandbox)
    await migrate.upgrade(db_url)
    db = await open_database(db_url)
    await register_stores(db, settings_from_mapping(config))
    await db.dispose()
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(HERE / "token_worker.py"),
            json.dumps(config),
            str(SECONDS),
            "4",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(PROCESSES)
    ]
    # generous: on a loaded machine the interpreter start-up alone can take tens of seconds
    outputs = [await asyncio.wait_for(p.communicate(), 240) for p in procs]
    reports = []
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
        reports.append(json.loads(out.decode().strip().splitlines()[-1]))
        store = shopify_sandbox.stores[0]
        for secret in (store.client_secret, *store.tokens):
            assert secret not in (out + err).decode()
    assert all(r["errors"] == [] for r in reports), reports
    assert all(r["calls"] > 0 for r in reports), reports
    grants = [t for t, kind in shopify_sandbox.stores[0].grants if kind == "client_credentials"]
    # the processes ran SECONDS each (more together when they started apart): an expiry or
    # more, and one grant per expiry, never one per process or task
    span = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    assert 2 <= len(grants) <= span / (LIFETIME * 0.9) + 2, (grants, span)
    gaps = [b - a for a, b in itertools.pairwise(grants)]
    assert min(gaps) >= LIFETIME * 0.8, gaps
