"""``orders import --since``: the backfill runs the worker's own pass, batch by batch; a dry
run writes nothing, an apply imports each order once, and a second apply changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, func, select

from shopify_odoo.engine.orders import backfill_orders
from shopify_odoo.sandbox.shopify.storefront import Cart
from shopify_odoo.store.tables import order_links, product_links

from .harness import order_engine, shopify_total

SKUS = ["TSHIRT-0001-BLA-M", "TSHIRT-0001-BLA-L"]
EXCL = {"tax_rate": Decimal("0.15"), "taxes_included": False}


async def test_backfill_dry_run_then_apply_once(tmp_path: Path) -> None:
    async with order_engine(tmp_path) as oe:
        async with oe.rt.db.begin() as conn:
            await conn.execute(delete(product_links).where(product_links.c.sku == SKUS[1]))
        orders = [
            oe.place(Cart(lines=[(SKUS[0], 1)], **EXCL)),
            oe.place(Cart(lines=[(SKUS[0], 2)], discount_code=("SAVE10", Decimal(10)), **EXCL)),
            oe.place(Cart(lines=[(SKUS[1], 1)], **EXCL)),  # unknown SKU: parked, listed
        ]
        since = oe.rt.clock() - timedelta(hours=1)
        seen: list[tuple[int, int]] = []
        dry = await backfill_orders(
            oe.rt, since, ["shop1"], apply=False, batch=2,
            progress=lambda done, total: seen.append((done, total)),
        )  # fmt: skip
        assert seen == [(2, 3), (3, 3)]
        assert sorted(r.action for r in dry) == ["create", "create", "parked"]
        parked = next(r for r in dry if r.action == "parked")
        assert SKUS[1] in parked.message
        assert parked.order_name == orders[2].name
        for o in orders:  # nothing written anywhere
            assert await oe.sale_orders(f"shop1#{o.number}") == []
        async with oe.rt.db.connect() as conn:
            count = select(func.count()).select_from(order_links)
            assert (await conn.execute(count)).scalar_one() == 0

        applied = await backfill_orders(oe.rt, since, ["shop1"], apply=True)
        assert sorted(r.action for r in applied) == ["create", "create", "parked"]
        for o in orders[:2]:
            [so] = await oe.sale_orders(f"shop1#{o.number}")
            total = Decimal(str(so["amount_total"])).quantize(Decimal("0.01"))
            assert total == shopify_total(o, oe.store())
        again = await backfill_orders(oe.rt, since, ["shop1"], apply=True)
        assert sorted(r.action for r in again) == ["parked", "unchanged", "unchanged"]
        for o in orders[:2]:
            assert len(await oe.sale_orders(f"shop1#{o.number}")) == 1
