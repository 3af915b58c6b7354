"""Links and stock sync against both sandboxes over loopback."""

from __future__ import annotations

import math
from pathlib import Path

from sqlalchemy import func, select

from shopify_odoo.engine.links import apply_links, plan_links_now
from shopify_odoo.engine.stock import sync_products
from shopify_odoo.engine.stock_world import load_links
from shopify_odoo.store.tables import product_links

from .harness import ROLES, Engine, loopback_engine


async def expected_target(engine: Engine, product_id: int, odoo_location: str) -> int:
    """Odoo's own per-location figures (product.product with the location context, §3.4)."""
    odoo = engine.rt.odoo
    [loc] = await odoo.search("stock.location", [("complete_name", "=", odoo_location)])
    [row] = await odoo.read(
        "product.product",
        [product_id],
        ["qty_available", "free_qty", "outgoing_qty"],
        context={"location": loc},
    )
    sellable = min(row["free_qty"], row["qty_available"] - row["outgoing_qty"])
    return max(0, math.floor(sellable))


async def link_all(engine: Engine) -> None:
    run = await plan_links_now(engine.rt)
    await apply_links(engine.rt, run)


async def test_link_then_sync_every_level_matches_odoo(tmp_path: Path) -> None:
    async with loopback_engine(tmp_path) as engine:
        run = await plan_links_now(engine.rt)
        totals = run.plan.totals()
        assert totals["new"] == 64  # 32 SKUs x 2 stores
        assert totals["blocked"] == 0
        await apply_links(engine.rt, run)
        async with engine.rt.db.connect() as conn:
            count = (await conn.execute(select(func.count()).select_from(product_links))).scalar()
            links = await load_links(conn, None)
        assert count == 64
        pids = sorted({lk.product_id for lk in links})
        result = await sync_products(engine.rt, pids)
        print("RESULT", result.writes_applied, result.writes_stale, result.mismatches)
        assert result.writes_failed == 0
        # a second pass finds nothing to do (level-triggered, no echo)
        again = await sync_products(engine.rt, pids, apply=False)
        assert again.plan is not None
        assert not again.plan.writes
        for lk in links[:10]:
            store = engine.store(lk.store)
            variant = store.items[int(lk.inventory_item_gid.rsplit("/", 1)[1])]
            for role, name, odoo_loc in ROLES:
                loc = store.location_by_name(name)
                assert loc is not None
                level = variant.levels[loc.index]
                want = await expected_target(engine, lk.product_id, odoo_loc)
                shown = level.available if level is not None else None
                assert shown == want, (lk.sku, lk.store, role, shown, want)
