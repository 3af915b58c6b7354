"""The connector with its dashboard on both sandboxes, set up as a merchant would.

Like the demo's set-up (``sandbox/demo_setup.py``) with the ``small`` catalogue, plus:

* the dashboard's login comes from the configuration (a scrypt hash of ``PASSWORD``);
* store 1's "Retail Store" is left out of the location map, for the test to map it;
* the app is :func:`web.dashboard.create_site` (receiver + dashboard on one port).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from shopify_odoo.config import Settings, settings_from_mapping
from shopify_odoo.engine.assembly import engine_parts
from shopify_odoo.engine.inbox import register_stores
from shopify_odoo.engine.links import apply_links, plan_links_now, stored_links
from shopify_odoo.engine.runner import RunOptions, run_process
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.engine.stock import sync_products
from shopify_odoo.sandbox.connector_config import odoo_settings, store_settings
from shopify_odoo.sandbox.demo_config import free_port
from shopify_odoo.sandbox.launcher import Sandboxes, run_sandboxes
from shopify_odoo.sandbox.odoo.driver import OdooSandboxDriver
from shopify_odoo.sandbox.shopify.driver import SandboxDriver
from shopify_odoo.sandbox.shopify.model import Level, Product, Variant
from shopify_odoo.store import migrate
from shopify_odoo.store.database import Database, open_database
from shopify_odoo.web.dashboard import create_site
from shopify_odoo.web.passwords import hash_password

PASSWORD = "sandbox dashboard password"
TOPICS = ("ORDERS_CREATE", "ORDERS_UPDATED", "INVENTORY_LEVELS_UPDATE", "PRODUCTS_UPDATE")


@dataclass
class Env:
    sandboxes: Sandboxes
    settings: Settings
    db: Database
    rt: Runtime
    base_url: str
    odoo: OdooSandboxDriver
    shopify: SandboxDriver
    stores: list[str]

    @property
    def dashboard(self) -> str:
        return f"{self.base_url}/dashboard"


def add_variant(sandboxes: Sandboxes, store: str, sku: str, available: int) -> None:
    """A new product with one variant, stocked at Main Warehouse only (in-process, as a
    merchant creating it in Shopify admin would)."""
    world = sandboxes.shopify.world
    shop = sandboxes.shopify.store(store)
    now = world.now()
    pid = world.new_id()
    levels: list[Level | None] = [None] * len(shop.locations)
    for loc in shop.locations:
        levels[loc.index] = Level(
            loc.id, now, now, available=available if loc.name == "Main Warehouse" else 0
        )
    v = Variant(
        id=world.new_id(),
        item_id=world.new_id(),
        product_id=pid,
        sku=sku,
        barcode=None,
        options=(),
        price_cents=1200,
        compare_at_cents=None,
        position=1,
        created_at=now,
        updated_at=now,
        levels=levels,
    )
    shop.variants[v.id] = v
    shop.items[v.item_id] = v
    shop.variant_order.append(v.id)
    shop.index_variant(v)
    shop.products[pid] = Product(pid, f"New {sku}", sku.lower(), (), [v.id], now, now)
    shop.product_order.append(pid)


def config(
    info: dict[str, Any], database_url: str, port: int, orders: dict[str, Any]
) -> dict[str, Any]:
    """Both stores sell Main Warehouse (pool ``main``) and 3PL Fulfilment (split 60/40);
    store 2's Retail Store is excluded; store 1's Retail Store is not mapped (yet)."""
    handles = [s["handle"] for s in info["shopify"]["stores"]]
    rows: list[dict[str, Any]] = []
    for h in handles:
        rows.append(
            {"store": h, "shopify_location": "Main Warehouse", "type": "online",
             "odoo_locations": ["WH/Stock"], "pool": "main"}
        )  # fmt: skip
        rows.append(
            {"store": h, "shopify_location": "3PL Fulfilment", "type": "3pl",
             "odoo_locations": ["3PL/Stock"], "pool": "3pl"}
        )  # fmt: skip
    rows.append(
        {"store": handles[1], "shopify_location": "Retail Store", "type": "retail",
         "odoo_locations": ["SHOP/Stock"], "pool": "retail", "excluded": True}
    )  # fmt: skip
    odoo = info["odoo"]
    return {
        "database_url": database_url,
        "odoo": odoo_settings(odoo),
        "stores": [
            store_settings(s, plan="plus", orders=orders) for s in info["shopify"]["stores"]
        ],
        "location_map": rows,
        "pools": [
            {"name": "3pl", "allocation": "split", "split": {handles[0]: 60, handles[1]: 40}}
        ],
        "sync": {
            "odoo_poll_interval": 1.0,
            # webhooks carry the orders; a poll would re-run the parked order by itself
            "order_poll_interval": 300.0,
            "reconcile_interval": 600.0,
            "webhook_base_url": f"http://127.0.0.1:{port}",
            "receiver_host": "127.0.0.1",
            "receiver_port": port,
        },
        "dashboard": {
            "password_hash": hash_password(PASSWORD),
            "session_secret": secrets.token_urlsafe(24),
        },
    }


@contextlib.asynccontextmanager
async def connector_with_dashboard(workdir: Path) -> AsyncIterator[Env]:
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "state.db"
    async with run_sandboxes(
        stores=2, scenario="small", odoo_version="17", seed=3, plan="plus"
    ) as sb:
        info = sb.info()
        stores = [s["handle"] for s in info["shopify"]["stores"]]
        port = free_port()
        odoo = OdooSandboxDriver(sb.odoo.url)
        data = config(info, f"sqlite+aiosqlite:///{db_path}", port, await _orders(odoo))
        settings = settings_from_mapping(data, source=workdir / "shopify-odoo.toml")
        await migrate.upgrade(settings.database_url)
        db = await open_database(settings.database_url, pool_size=10)
        shopify = SandboxDriver(info["shopify"]["control_url"])
        try:
            await register_stores(db, settings)
            rt = await Runtime.open(settings, db=db, connect_odoo=True)
            base = f"http://127.0.0.1:{port}"
            run = await plan_links_now(rt)
            await apply_links(rt, run)
            async with db.connect() as conn:
                pids = sorted({lk.product_id for lk in await stored_links(conn)})
            await sync_products(rt, pids)
            for handle in stores:
                for topic in TOPICS:
                    await rt.shop(handle).create_webhook_subscription(
                        topic, f"{base}/webhooks/shopify/{handle}"
                    )
            stop = asyncio.Event()
            options = RunOptions(host="127.0.0.1", port=port, concurrency=8, grace=3.0)
            runner = asyncio.create_task(
                run_process(db, engine_parts(rt), options, stop, app=create_site(rt))
            )
            try:
                await _wait_listening(runner, base)
                yield Env(sb, rt.settings, db, rt, base, odoo, shopify, stores)
            finally:
                stop.set()
                with contextlib.suppress(Exception):
                    await runner
        finally:
            await shopify.aclose()
            await odoo.aclose()
            await db.dispose()


async def _orders(odoo: OdooSandboxDriver) -> dict[str, Any]:
    """Orders become confirmed sale orders: the storefront charges 21 % VAT included (the
    sandbox Odoo's "21% incl." tax) and standard shipping (its SHIP-STD product)."""
    taxes = await odoo.read("account.tax", [("name", "=", "21% incl.")], ["id"])
    ship = await odoo.read("product.product", [("default_code", "=", "SHIP-STD")], ["id"])
    return {
        "confirmation": "confirm_paid",
        "shipping_product_id": ship[0]["id"],
        "tax_rules": [{"rate": "0.21", "taxes_included": True, "odoo_tax_ids": [taxes[0]["id"]]}],
    }


async def _wait_listening(runner: asyncio.Task[Any], base: str) -> None:
    deadline = time.monotonic() + 20
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if runner.done():
                runner.result()
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise RuntimeError(f"the connector did not start listening on {base}")
