"""Deliveries both ways on every Odoo profile the connector supports (fact sheet §10): on 16
done quantities live in ``qty_done`` (move lines) / ``quantity_done`` (moves) and
``button_validate`` may answer with the immediate-transfer or backorder wizard (§3.7,
corrections 12-13); on 17+ in ``quantity`` + ``picked``.

* Odoo -> Shopify: a person ships a delivery in Odoo (partly, then the backorder) the way their
  version works; the picking poll and the order pass send each as one Shopify fulfillment with
  its tracking, never twice.
* Shopify -> Odoo: a 3PL fulfils in Shopify; the order pass sets the done quantities the
  version's way and validates the Odoo delivery, keeping a backorder for the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shopify_odoo.engine.order_poller import poll_pickings
from shopify_odoo.sandbox.shopify.storefront import Cart, fulfil

from .harness import OrderEngine, order_engine
from .test_lifecycle import CARRIERS, EXCL, SKUS, import_one

VERSIONS = ["16.0", "17.0", "18.0", "19.0"]
#: test_lifecycle.py runs the first two flows on 17.0 already
OTHER_VERSIONS = ["16.0", "18.0", "19.0"]


async def pickings_of(oe: OrderEngine, so_id: int) -> list[dict[str, Any]]:
    return list(
        await oe.rt.odoo.search_read(
            "stock.picking", [("sale_id", "=", so_id)], ["id", "state"], order="id"
        )
    )


async def ship_as_a_person(
    oe: OrderEngine, picking_id: int, done: dict[int, int], tracking: str
) -> None:
    """What a person does in Odoo, in their version's terms (§3.5, §3.7): carrier and tracking,
    the done quantities (16: ``qty_done`` on the move lines; 17+: ``quantity`` + ``picked`` on
    the moves), Validate, and the backorder wizard's "Create Backorder" when short."""
    odoo = oe.rt.odoo
    caps = await odoo.connect()
    carrier = await odoo.search("delivery.carrier", [("name", "=", "Express Delivery")])
    await odoo.write(
        "stock.picking", [picking_id], {"carrier_id": carrier[0], "carrier_tracking_ref": tracking}
    )
    moves = await odoo.search_read(
        "stock.move", [("picking_id", "=", picking_id)], ["id", "product_id", "product_uom_qty"]
    )
    for m in moves:
        qty = float(done.get(m["product_id"][0], int(m["product_uom_qty"])))
        if caps.move_picked_flag:
            await odoo.write("stock.move", [m["id"]], {"quantity": qty, "picked": True})
            continue
        lines = await odoo.search("stock.move.line", [("move_id", "=", m["id"])], order="id")
        assert lines, "the delivery is reserved: one move line per move"
        await odoo.write("stock.move.line", lines[:1], {"qty_done": qty})
        if lines[1:]:
            await odoo.write("stock.move.line", lines[1:], {"qty_done": 0.0})
    result = await odoo.call("stock.picking", "button_validate", ids=[picking_id], readonly=False)
    if isinstance(result, dict) and result.get("res_model") == "stock.backorder.confirmation":
        ctx = dict(result.get("context") or {})  # correction 12: the action's context
        wizard = await odoo.create("stock.backorder.confirmation", [{}], context=ctx)
        result = await odoo.call(
            "stock.backorder.confirmation", "process", ids=wizard, context=ctx, readonly=False
        )
    assert not (isinstance(result, dict) and result.get("type") == "ir.actions.act_window"), result
    [state] = await odoo.read("stock.picking", [picking_id], ["state"])
    assert state["state"] == "done"


@pytest.mark.parametrize("version", OTHER_VERSIONS)
async def test_done_deliveries_go_back_to_shopify_with_tracking(
    tmp_path: Path, version: str
) -> None:
    async with order_engine(tmp_path, carriers=CARRIERS, odoo_version=version) as oe:
        assert (await oe.rt.odoo.connect()).move_picked_flag is (version != "16.0")
        order = oe.place(Cart(lines=[(SKUS[0], 2), (SKUS[1], 1)], **EXCL))
        so_id = await import_one(oe, order)
        [picking] = await pickings_of(oe, so_id)
        product = (await oe.rt.odoo.search("product.product", [("default_code", "=", SKUS[0])]))[0]
        # partly: one of the two units of SKUS[0], the rest on a backorder
        await ship_as_a_person(oe, picking["id"], {product: 1}, "TRACK-1")
        assert await poll_pickings(oe.rt) == 1
        for _ in range(2):  # a duplicate pass fulfils nothing more
            [result] = await oe.import_orders(order)
            result.raise_for_problem()
        fulfilled = oe.store().orders[order.id].fulfillments
        assert len(fulfilled) == 1
        assert fulfilled[0].tracking_numbers == ["TRACK-1"]
        assert fulfilled[0].tracking_company == "DHL Express"
        assert fulfilled[0].tracking_urls == ["https://track.example/TRACK-1"]
        assert sum(q for _i, _li, q in fulfilled[0].lines) == 2  # 1 of 2 + 1 of 1
        [backorder] = [p for p in await pickings_of(oe, so_id) if p["state"] != "done"]
        await ship_as_a_person(oe, backorder["id"], {}, "TRACK-2")
        assert await poll_pickings(oe.rt) == 1
        for _ in range(2):
            [result] = await oe.import_orders(order)
            result.raise_for_problem()
        shopify = oe.store().orders[order.id]
        assert [f.tracking_numbers for f in shopify.fulfillments] == [["TRACK-1"], ["TRACK-2"]]
        assert sum(q for f in shopify.fulfillments for _i, _li, q in f.lines) == 3
        assert all(fo.status == "CLOSED" for fo in shopify.fulfillment_orders)


@pytest.mark.parametrize("version", OTHER_VERSIONS)
async def test_a_3pl_fulfilment_validates_the_odoo_delivery(tmp_path: Path, version: str) -> None:
    async with order_engine(
        tmp_path, fulfilled_by={"3PL Fulfilment": "shopify"}, odoo_version=version
    ) as oe:
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
        fo = oe.store().orders[order.id].fulfillment_orders[0]
        fulfil(oe.engine.shopify, store, order, [(fo, [(fo.lines[0].id, 1)])])  # the 3PL app
        for _ in range(2):  # fulfillments/create webhook, then a duplicate
            [result] = await oe.import_orders(order)
            result.raise_for_problem()
        pickings = await pickings_of(oe, so_id)
        assert [p["state"] for p in pickings] == ["done", "assigned"]  # 1 done, 1 backordered
        done_field = "quantity" if version != "16.0" else "quantity_done"
        moves = await oe.rt.odoo.search_read(
            "stock.move", [("picking_id", "=", pickings[0]["id"])], [done_field]
        )
        assert [m[done_field] for m in moves] == [1.0]
        fulfil(oe.engine.shopify, store, order, [(fo, None)])
        [result] = await oe.import_orders(order)
        result.raise_for_problem()
        assert [p["state"] for p in await pickings_of(oe, so_id)] == ["done", "done"]
        assert len(oe.store().orders[order.id].fulfillments) == 2  # nothing sent back


async def _split_stock(oe: OrderEngine, sku: str, location: str, here: int, shelf: int) -> int:
    """Put ``here`` units of ``sku`` in ``location`` and ``shelf`` units in a new shelf under
    it (inventory mode, §3.3), so a delivery of more than ``here`` is reserved from two quants:
    two move lines on one move.  Returns the shelf's location id."""
    odoo = oe.rt.odoo
    [product] = await odoo.search("product.product", [("default_code", "=", sku)])
    [parent] = await odoo.search("stock.location", [("complete_name", "=", location)])
    [shelf_id] = await odoo.create(
        "stock.location", [{"name": "Shelf B", "location_id": parent, "usage": "internal"}]
    )
    quants = await odoo.create(
        "stock.quant",
        [
            {"product_id": product, "location_id": parent, "inventory_quantity": here},
            {"product_id": product, "location_id": shelf_id, "inventory_quantity": shelf},
        ],
        context={"inventory_mode": True},
    )
    await odoo.call(
        "stock.quant",
        "action_apply_inventory",
        ids=quants,
        context={"inventory_mode": True},
        readonly=False,
    )
    return int(shelf_id)


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_3pl_fulfilment_of_a_move_reserved_from_two_shelves(
    tmp_path: Path, version: str
) -> None:
    """16 refuses ``quantity_done`` on a move with several move lines (its inverse says "work
    directly with the move lines"): the done quantities go on the lines, shelf by shelf."""
    async with order_engine(
        tmp_path, fulfilled_by={"3PL Fulfilment": "shopify"}, odoo_version=version
    ) as oe:
        store = oe.store()
        main = store.location_by_name("Main Warehouse")
        assert main is not None
        level = store.variants_by_sku(SKUS[0])[0].levels[main.index]
        assert level is not None
        level.available = 0  # the checkout routes the line to the 3PL
        tpl = store.location_by_name("3PL Fulfilment")
        assert tpl is not None
        tpl_level = store.variants_by_sku(SKUS[0])[0].levels[tpl.index]
        assert tpl_level is not None
        tpl_level.available = 6
        shelf = await _split_stock(oe, SKUS[0], "3PL/Stock", here=1, shelf=5)
        order = oe.place(Cart(lines=[(SKUS[0], 3)], **EXCL))
        so_id = await import_one(oe, order)
        [picking] = await pickings_of(oe, so_id)
        reserved_field = "quantity" if version != "16.0" else "reserved_uom_qty"
        lines = await oe.rt.odoo.search_read(
            "stock.move.line",
            [("picking_id", "=", picking["id"])],
            ["location_id", reserved_field],
            order="id",
        )
        assert [(line["location_id"][0] == shelf, line[reserved_field]) for line in lines] == [
            (False, 1.0),
            (True, 2.0),
        ]
        fo = oe.store().orders[order.id].fulfillment_orders[0]
        fulfil(oe.engine.shopify, store, order, [(fo, [(fo.lines[0].id, 2)])])  # the 3PL app
        for _ in range(2):
            [result] = await oe.import_orders(order)
            result.raise_for_problem()
        pickings = await pickings_of(oe, so_id)
        assert [p["state"] for p in pickings] == ["done", "assigned"]  # 2 done, 1 backordered
        done_field = "quantity" if version != "16.0" else "qty_done"
        done = await oe.rt.odoo.search_read(
            "stock.move.line",
            [("picking_id", "=", pickings[0]["id"])],
            ["location_id", done_field],
            order="id",
        )
        assert sorted((line["location_id"][0] == shelf, line[done_field]) for line in done) == [
            (False, 1.0),
            (True, 1.0),
        ]
        fulfil(oe.engine.shopify, store, order, [(fo, None)])
        [result] = await oe.import_orders(order)
        result.raise_for_problem()
        assert [p["state"] for p in await pickings_of(oe, so_id)] == ["done", "done"]
        [product] = await oe.rt.odoo.search("product.product", [("default_code", "=", SKUS[0])])
        [left] = await oe.rt.odoo.read("product.product", [product], ["qty_available"])
        quants = await oe.rt.odoo.search_read(
            "stock.quant", [("product_id", "=", product), ("location_id", "=", shelf)], ["quantity"]
        )
        assert [q["quantity"] for q in quants] == [3.0]  # 5 on the shelf, 2 of them shipped
        assert left["qty_available"] >= 0
