"""The merchant simulator validates deliveries the way each version allows (§3.7 recipe):
on 16 a move reserved from two locations has two move lines and refuses ``quantity_done``
("work directly with the move lines"), so the simulator sets ``qty_done`` line by line."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shopify_odoo.sandbox.odoo.simulator import MerchantSimulator
from tests.plugins.odoo_sandbox import InProcessOdoo


def _split(odoo: InProcessOdoo, product: int, here: float, shelf: float) -> int:
    """``here`` units in WH/Stock and ``shelf`` in a new shelf under it (inventory mode)."""
    [stock] = odoo("stock.location", "search", [("complete_name", "=", "WH/Stock")])
    shelf_id = odoo(
        "stock.location", "create", {"name": "Shelf B", "location_id": stock, "usage": "internal"}
    )
    quants = [
        odoo(
            "stock.quant",
            "create",
            {"product_id": product, "location_id": loc, "inventory_quantity": qty},
            context={"inventory_mode": True},
        )
        for loc, qty in ((stock, here), (shelf_id, shelf))
    ]
    odoo("stock.quant", "action_apply_inventory", quants, context={"inventory_mode": True})
    return int(shelf_id)


@pytest.mark.parametrize("version", ["16.0", "17.0"])
@pytest.mark.parametrize("partial", [False, True])
def test_deliver_a_move_reserved_from_two_locations(
    odoo_world: Callable[..., InProcessOdoo], version: str, partial: bool
) -> None:
    odoo = odoo_world(version)
    sim = MerchantSimulator(odoo.world)
    [row] = odoo(
        "product.product", "search_read", [("default_code", "!=", False)], ["default_code"], limit=1
    )
    product, sku = row["id"], row["default_code"]
    shelf = _split(odoo, product, here=1, shelf=5)
    partner = odoo("res.partner", "search", [("name", "=", "Azure Interior")])[0]
    so = odoo(
        "sale.order",
        "create",
        {
            "partner_id": partner,
            "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 3}]],
        },
    )
    odoo("sale.order", "action_confirm", [so])
    [picking] = odoo("stock.picking", "search", [("sale_id", "=", so)])
    reserved = "reserved_uom_qty" if version == "16.0" else "quantity"
    lines = odoo(
        "stock.move.line",
        "search_read",
        [("picking_id", "=", picking)],
        ["location_id", reserved],
        order="id",
    )
    # one move, two move lines: the precondition of 16's refusal
    assert [(ln["location_id"][0] == shelf, ln[reserved]) for ln in lines] == [
        (False, 1.0),
        (True, 2.0),
    ]

    sim.deliver(picking, quantities={sku: 2} if partial else None)

    state = odoo("stock.picking", "read", [picking], ["state"])[0]["state"]
    assert state == "done"
    done_field = "qty_done" if version == "16.0" else "quantity"
    done = odoo(
        "stock.move.line", "search_read", [("picking_id", "=", picking)], [done_field], order="id"
    )
    assert [ln[done_field] for ln in done] == ([1.0, 1.0] if partial else [1.0, 2.0])
    backorders = odoo("stock.picking", "search", [("backorder_id", "=", picking)])
    assert len(backorders) == (1 if partial else 0)
