"""After the import: deliveries back to Shopify (with tracking, partial, never twice), Shopify
fulfilments validating Odoo deliveries at 3PL locations, cancellations and edits, exactly once
under duplicate passes and a crash between Odoo's create and our commit."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from shopify_odoo.engine.order_poller import poll_pickings
from shopify_odoo.engine.orders import OrderSync
from shopify_odoo.odoo.sales import validate_pickings
from shopify_odoo.sandbox.shopify.model import Order
from shopify_odoo.sandbox.shopify.storefront import Cart, cancel_order, edit_order, fulfil
from shopify_odoo.store.tables import order_links
from shopify_odoo.sync.orders import CancelSaleOrder, NoChange, Parked, SaleOrderUpdate

from .harness import OrderEngine, order_engine, shopify_total

SKUS = ["TSHIRT-0001-BLA-M", "TSHIRT-0001-BLA-L"]
EXCL = {"tax_rate": Decimal("0.15"), "taxes_included": False}
CARRIERS = [
    {
        "odoo_carrier": "Express Delivery",
        "company": "DHL Express",
        "tracking_url": "https://track.example/{number}",
    }
]


async def import_one(oe: OrderEngine, order: Order) -> int:
    [result] = await oe.import_orders(order)
    result.raise_for_problem()
    assert result.outcome is not None
    assert result.outcome.sale_order_id
    return result.outcome.sale_order_id


async def pickings_of(oe: OrderEngine, so_id: int) -> list[dict[str, Any]]:
    return list(
        await oe.rt.odoo.search_read(
            "stock.picking",
            [("sale_id", "=", so_id)],
            ["id", "state", "backorder_id", "move_ids"],
            order="id",
        )
    )


async def ship(oe: OrderEngine, picking_id: int, done: dict[int, int], tracking: str) -> None:
    """What a person does in Odoo: carrier, tracking, done quantities, validate (§3.7)."""
    odoo = oe.rt.odoo
    carrier = await odoo.search("delivery.carrier", [("name", "=", "Express Delivery")])
    await odoo.write(
        "stock.picking", [picking_id], {"carrier_id": carrier[0], "carrier_tracking_ref": tracking}
    )
    moves = await odoo.search_read(
        "stock.move", [("picking_id", "=", picking_id)], ["id", "product_id", "product_uom_qty"]
    )
    short = False
    for m in moves:
        qty = done.get(m["product_id"][0], int(m["product_uom_qty"]))
        short = short or qty < m["product_uom_qty"]
        await odoo.write("stock.move", [m["id"]], {"quantity": float(qty), "picked": True})
    await validate_pickings(odoo, [picking_id], backorder=short)


def shopify_order(oe: OrderEngine, order: Order) -> Order:
    return oe.store().orders[order.id]


async def test_done_deliveries_become_fulfillments_with_tracking_once(tmp_path: Path) -> None:
    async with order_engine(tmp_path, carriers=CARRIERS) as oe:
        order = oe.place(Cart(lines=[(SKUS[0], 2), (SKUS[1], 1)], **EXCL))
        so_id = await import_one(oe, order)
        [picking] = await pickings_of(oe, so_id)
        product = (await oe.rt.odoo.search("product.product", [("default_code", "=", SKUS[0])]))[0]
        # a partial delivery: one of the two units of SKUS[0], the rest on a backorder
        await ship(oe, picking["id"], {product: 1}, "TRACK-1")
        assert await poll_pickings(oe.rt) == 1
        for _ in range(2):  # a duplicate pass (poll overlap, webhook) fulfils nothing more
            [result] = await oe.import_orders(order)
            result.raise_for_problem()
        fulfilled = shopify_order(oe, order).fulfillments
        assert len(fulfilled) == 1
        assert fulfilled[0].tracking_numbers == ["TRACK-1"]
        assert fulfilled[0].tracking_company == "DHL Express"
        assert fulfilled[0].tracking_urls == ["https://track.example/TRACK-1"]
        assert sum(q for _i, _li, q in fulfilled[0].lines) == 2  # 1 of 2 + 1 of 1
        # the backorder, when done, fulfils the rest
        backorder = [p for p in await pickings_of(oe, so_id) if p["state"] != "done"]
        assert len(backorder) == 1
        await ship(oe, backorder[0]["id"], {}, "TRACK-2")
        assert await poll_pickings(oe.rt) == 1
        for _ in range(2):
            [result] = await oe.import_orders(order)
            result.raise_for_problem()
        fulfilled = shopify_order(oe, order).fulfillments
        assert [f.tracking_numbers for f in fulfilled] == [["TRACK-1"], ["TRACK-2"]]
        assert sum(q for f in fulfilled for _i, _li, q in f.lines) == 3
        assert all(fo.status == "CLOSED" for fo in shopify_order(oe, order).fulfillment_orders)
        async with oe.rt.db.connect() as conn:
            recorded = (
                await conn.execute(
                    select(order_links.c.pickings).where(
                        order_links.c.shopify_order_gid == f"gid://shopify/Order/{order.id}"
                    )
                )
            ).scalar_one()
        assert sorted(recorded["sent"]) == sorted(p["id"] for p in await pickings_of(oe, so_id))


async def test_shopify_fulfilment_at_3pl_validates_the_odoo_delivery(tmp_path: Path) -> None:
    async with order_engine(tmp_path, fulfilled_by={"3PL Fulfilment": "shopify"}) as oe:
        store = oe.store()
        main = store.location_by_name("Main Warehouse")
        assert main is not None
        level = store.variants_by_sku(SKUS[0])[0].levels[main.index]
        assert level is not None
        level.available = 0  # the checkout routes the line to the 3PL
        order = oe.place(Cart(lines=[(SKUS[0], 2)], **EXCL))
        so_id = await import_one(oe, order)
        [picking] = await pickings_of(oe, so_id)
        assert picking["state"] != "done"
        fo = shopify_order(oe, order).fulfillment_orders[0]
        fulfil(oe.engine.shopify, store, order, [(fo, [(fo.lines[0].id, 1)])])  # the 3PL app
        for _ in range(2):  # fulfillments/create webhook, then a duplicate
            [result] = await oe.import_orders(order)
            result.raise_for_problem()
        pickings = await pickings_of(oe, so_id)
        assert [p["state"] for p in pickings] == ["done", "assigned"]  # 1 done, 1 backordered
        fulfil(oe.engine.shopify, store, order, [(fo, None)])
        [result] = await oe.import_orders(order)
        result.raise_for_problem()
        assert [p["state"] for p in await pickings_of(oe, so_id)] == ["done", "done"]
        assert len(shopify_order(oe, order).fulfillments) == 2  # nothing sent back to Shopify


async def test_cancel_in_shopify_cancels_sale_order_and_delivery(tmp_path: Path) -> None:
    async with order_engine(tmp_path) as oe:
        order = oe.place(Cart(lines=[(SKUS[0], 1)], **EXCL))
        so_id = await import_one(oe, order)
        cancel_order(oe.engine.shopify, oe.store(), order)
        [result] = await oe.import_orders(order)
        assert isinstance(result.decision, CancelSaleOrder)
        assert (await oe.sale_order(so_id))["state"] == "cancel"
        assert [p["state"] for p in await pickings_of(oe, so_id)] == ["cancel"]
        [again] = await oe.import_orders(order)  # orders/cancelled delivered twice
        assert isinstance(again.decision, NoChange)


async def test_cancel_after_shipping_is_for_a_person(tmp_path: Path) -> None:
    async with order_engine(tmp_path) as oe:
        order = oe.place(Cart(lines=[(SKUS[0], 1)], **EXCL))
        so_id = await import_one(oe, order)
        [picking] = await pickings_of(oe, so_id)
        await ship(oe, picking["id"], {}, "T-9")
        cancel_order(oe.engine.shopify, oe.store(), order)
        [result] = await oe.import_orders(order)
        assert isinstance(result.decision, Parked)
        assert "shop1" in result.decision.message
        assert order.name in result.decision.message
        assert "return" in result.decision.message
        with pytest.raises(Exception, match="delivered"):
            result.raise_for_problem()
        assert (await oe.sale_order(so_id))["state"] == "sale"


async def test_sale_order_cancelled_in_odoo_is_parked_not_recreated(tmp_path: Path) -> None:
    async with order_engine(tmp_path) as oe:
        order = oe.place(Cart(lines=[(SKUS[0], 1)], **EXCL))
        so_id = await import_one(oe, order)
        await oe.rt.odoo.call(
            "sale.order", "action_cancel", ids=[so_id], context={"disable_cancel_warning": True}
        )
        [result] = await oe.import_orders(order)
        assert isinstance(result.decision, Parked)
        assert "cancelled in Odoo" in result.decision.message
        assert len(await oe.sale_orders(f"shop1#{order.number}")) == 1


async def test_edit_before_delivery_updates_the_sale_order(tmp_path: Path) -> None:
    async with order_engine(tmp_path) as oe:
        order = oe.place(Cart(lines=[(SKUS[0], 3), (SKUS[1], 1)], **EXCL))
        so_id = await import_one(oe, order)
        edit_order(oe.engine.shopify, oe.store(), order, order.line_items[0].id, 2)
        [result] = await oe.import_orders(order)
        result.raise_for_problem()
        assert isinstance(result.decision, SaleOrderUpdate)
        so = await oe.sale_order(so_id)
        total = Decimal(str(so["amount_total"])).quantize(Decimal("0.01"))
        assert total == shopify_total(order, oe.store())
        moves = await oe.rt.odoo.search_read(
            "stock.move", [("picking_id.sale_id", "=", so_id), ("state", "!=", "cancel")],
            ["product_uom_qty"],
        )  # fmt: skip
        assert sum(m["product_uom_qty"] for m in moves) == 2  # 1 + 1 left to deliver
        [again] = await oe.import_orders(order)
        assert isinstance(again.decision, NoChange)


async def test_duplicates_and_a_lost_commit_make_one_sale_order(tmp_path: Path) -> None:
    async with order_engine(tmp_path) as oe:
        order = oe.place(Cart(lines=[(SKUS[0], 1)], **EXCL))
        ref = f"shop1#{order.number}"
        so_id = await import_one(oe, order)
        # a crash after Odoo's create and before our commit: the link row never existed
        async with oe.rt.db.begin() as conn:
            await conn.execute(delete(order_links))
        [after_crash] = await oe.import_orders(order)
        assert isinstance(after_crash.decision, NoChange), after_crash.decision
        assert [r["id"] for r in await oe.sale_orders(ref)] == [so_id]
        # duplicate deliveries of a new order in one batch, then passes of two processes (the
        # queue leases a key to one worker at a time; each pass searches before creating)
        second = oe.place(Cart(lines=[(SKUS[1], 2)], **EXCL))
        key = f"shop1:gid://shopify/Order/{second.id}"
        other = OrderSync(oe.rt)
        first_pass = await oe.sync.process([key, key])
        await asyncio.gather(oe.sync.process([key]), other.process([key]))
        assert len(await oe.sale_orders(f"shop1#{second.number}")) == 1
        assert first_pass[key].outcome is not None
