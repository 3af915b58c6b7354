"""Both sandboxes + a state database + a Runtime, over loopback or in-process (ASGI).

``loopback_engine(tmp_path, ...)`` starts the real servers on ephemeral ports;
``inprocess_engine(tmp_path, ...)`` drives the same sandbox apps through
``httpx.ASGITransport`` (no sockets), for the simulation's many scenarios.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from shopify_odoo.config import Settings, settings_from_mapping
from shopify_odoo.engine.inbox import register_stores
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.sandbox.odoo import build_world
from shopify_odoo.sandbox.odoo.server import OdooSandbox, build_app, run_odoo_sandbox
from shopify_odoo.sandbox.shopify import run_shopify_sandbox
from shopify_odoo.sandbox.shopify.server import store_app
from shopify_odoo.sandbox.shopify.world import Store, World
from shopify_odoo.store.database import open_database
from shopify_odoo.store.migrate import upgrade_database

ROLES = (
    ("main", "Main Warehouse", "WH/Stock"),
    ("3pl", "3PL Fulfilment", "3PL/Stock"),
    ("retail", "Retail Store", "SHOP/Stock"),
)


def location_rows(
    handles: Sequence[str],
    *,
    allocation: str = "shared",
    directions: dict[str, str] | None = None,
    split: dict[str, int] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every store's three locations → the same three Odoo locations (pools by role)."""
    rows: list[dict[str, Any]] = []
    for h in handles:
        for role, name, odoo in ROLES:
            rows.append(
                {
                    "store": h,
                    "shopify_location": name,
                    "odoo_locations": [odoo],
                    "pool": role,
                    "direction": (directions or {}).get(role, "odoo_to_shopify"),
                }
            )
    pools = [
        {
            "name": role,
            "allocation": allocation,
            **({"split": split} if split and allocation == "split" else {}),
        }
        for role, _n, _o in ROLES
    ]
    return rows, pools


def make_settings(
    tmp_path: Path,
    shop_stores: Sequence[Store],
    odoo_url: str,
    odoo_db: str,
    odoo_key: str,
    *,
    allocation: str = "shared",
    directions: dict[str, str] | None = None,
    split: dict[str, int] | None = None,
    barcode_fallback: bool = False,
) -> Settings:
    handles = [s.handle for s in shop_stores]
    rows, pools = location_rows(handles, allocation=allocation, directions=directions, split=split)
    return settings_from_mapping(
        {
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'state.db'}",
            "odoo": {"url": odoo_url, "database": odoo_db, "login": "admin", "api_key": odoo_key},
            "stores": [
                {
                    "handle": s.handle,
                    "shop_domain": s.domain,
                    "admin_url": s.base_url,
                    "access_token": s.access_token,
                }
                for s in shop_stores
            ],
            "location_map": rows,
            "pools": pools,
            "sync": {"barcode_fallback": barcode_fallback},
        }
    )


@dataclass
class Engine:
    rt: Runtime
    shopify: World
    odoo: Any  # the Odoo sandbox World

    def store(self, handle: str) -> Store:
        return self.shopify.stores[handle]


async def _runtime(settings: Settings, **kwargs: Any) -> Runtime:
    db = await open_database(settings.database_url)
    await upgrade_database(db)
    rt = await Runtime.open(settings, db=db, **kwargs)
    rt.owns_db = True
    await register_stores(rt.db, settings)
    return rt


@contextlib.asynccontextmanager
async def loopback_engine(
    tmp_path: Path, *, stores: int = 2, scenario: str = "small", **options: Any
) -> AsyncIterator[Engine]:
    async with (
        run_shopify_sandbox(stores=stores, scenario=scenario) as shop,  # type: ignore[arg-type]
        run_odoo_sandbox(version="17.0", scenario=scenario) as odoo,  # type: ignore[arg-type]
    ):
        settings = make_settings(
            tmp_path, shop.stores, odoo.url, odoo.world.db, odoo.api_key, **options
        )
        rt = await _runtime(settings)
        try:
            yield Engine(rt, shop.world, odoo.world)
        finally:
            await rt.aclose()


@contextlib.asynccontextmanager
async def inprocess_engine(
    tmp_path: Path,
    *,
    stores: int = 2,
    scenario: str = "small",
    seed: int = 0,
    clock: Any = None,
    odoo_version: str = "17.0",
    **options: Any,
) -> AsyncIterator[Engine]:
    world = World(clock=clock, seed=seed)
    transports: dict[str, httpx.AsyncBaseTransport] = {}
    for i in range(stores):
        store = world.add_store(f"shop{i + 1}")
        store.rate_limited = True
        world.seed_catalogue(store, scenario)  # type: ignore[arg-type]
        store.base_url = f"http://shop{i + 1}.sandbox.test"
        transports[store.handle] = httpx.ASGITransport(app=store_app(world, store))
    oworld = build_world(odoo_version, scenario, seed)  # type: ignore[arg-type]
    handle = OdooSandbox(world=oworld, seed=seed)
    handle.url = "http://odoo.sandbox.test"
    odoo_transport = httpx.ASGITransport(app=build_app(handle, scenario))  # type: ignore[arg-type]
    settings = make_settings(
        tmp_path, list(world.stores.values()), handle.url, oworld.db, handle.api_key, **options
    )
    rt = await _runtime(settings, shopify_transports=transports, odoo_transport=odoo_transport)
    try:
        yield Engine(rt, world, oworld)
    finally:
        await rt.aclose()
