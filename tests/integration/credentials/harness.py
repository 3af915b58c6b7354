"""Both sandboxes over loopback, stores configured for the client credentials grant, and
several Runtimes (one per simulated process) sharing one state database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from shopify_odoo.config import Settings, settings_from_mapping
from shopify_odoo.engine.inbox import register_stores
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.sandbox.odoo.server import OdooSandbox, run_odoo_sandbox
from shopify_odoo.sandbox.shopify import ShopifySandbox, run_shopify_sandbox
from shopify_odoo.sandbox.shopify.world import Store
from shopify_odoo.store.database import open_database
from shopify_odoo.store.migrate import upgrade_database

from ..engine_stock.harness import location_rows


def credentials_config(
    tmp_path: Path,
    shop_stores: list[Store],
    odoo: OdooSandbox,
    token_key: str,
    *,
    orders: dict[str, Any] | None = None,
) -> dict[str, Any]:
    handles = [s.handle for s in shop_stores]
    rows, pools = location_rows(handles)
    return {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'state.db'}",
        "token_key": token_key,
        "odoo": {
            "url": odoo.url,
            "database": odoo.world.db,
            "login": "admin",
            "api_key": odoo.api_key,
        },
        "stores": [
            {
                "handle": s.handle,
                "shop_domain": s.domain,
                "admin_url": s.base_url,
                "client_id": s.client_id,
                "client_secret": s.client_secret,
                **({"orders": orders} if orders else {}),
            }
            for s in shop_stores
        ],
        "location_map": rows,
        "pools": pools,
    }


@dataclass
class Rig:
    shop: ShopifySandbox
    odoo: OdooSandbox
    tmp_path: Path
    token_key: str
    runtimes: list[Runtime] = field(default_factory=list)

    def config(self, **kwargs: Any) -> dict[str, Any]:
        return credentials_config(
            self.tmp_path, self.shop.stores, self.odoo, self.token_key, **kwargs
        )

    async def runtime(self, settings: Settings) -> Runtime:
        """A Runtime with its own database engine: one simulated process."""
        db = await open_database(settings.database_url)
        await upgrade_database(db)
        await register_stores(db, settings)
        rt = await Runtime.open(settings, db=db)
        rt.owns_db = True
        self.runtimes.append(rt)
        return rt


@contextlib.asynccontextmanager
async def credentials_rig(
    tmp_path: Path, *, stores: int = 1, token_lifetime: float = 86399.0
) -> AsyncIterator[Rig]:
    async with (
        run_shopify_sandbox(stores=stores, scenario="small", token_lifetime=token_lifetime) as shop,
        run_odoo_sandbox(version="17.0", scenario="small") as odoo,  # type: ignore[arg-type]
    ):
        rig = Rig(shop, odoo, tmp_path, Fernet.generate_key().decode())
        try:
            yield rig
        finally:
            for rt in rig.runtimes:
                await rt.aclose()


def config_settings(data: dict[str, Any]) -> Settings:
    return settings_from_mapping(data)
