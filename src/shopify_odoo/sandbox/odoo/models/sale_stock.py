"""sale_stock: deliveries for confirmed orders (correction 14: created and reserved inside
``action_confirm``), and order edits after confirmation."""

from __future__ import annotations

from typing import Any

from ..errors import UserError
from ..world import Env
from .product import storable


def is_goods(env: Env, line: dict[str, Any]) -> bool:
    """Lines that move stock: storable or consumable products, not services or notes."""
    if line.get("display_type") or not line.get("product_id"):
        return False
    products = env["product.product"]
    product = products.row(line["product_id"])
    tmpl = env["product.template"].row(product["product_tmpl_id"])
    return tmpl["type"] != "service" and (storable(env, product) or tmpl["type"] == "consu")


def procure(env: Env, order_id: int, demands: list[tuple[dict[str, Any], float]]) -> None:
    """Add ``qty`` per line to the order's open delivery (creating it when there is none),
    then reserve as the picking type says."""
    order = env["sale.order"].row(order_id)
    demands = [(line, qty) for line, qty in demands if qty > 0 and is_goods(env, line)]
    if not demands or not order.get("warehouse_id"):
        return
    su = env.sudo()
    pickings, moves = env["stock.picking"], env["stock.move"]
    open_pickings = sorted(
        p
        for p in pickings.table.ids_where("sale_id", order_id)
        if pickings.row(p)["state"] not in ("done", "cancel")
        and env["stock.picking.type"].row(pickings.row(p)["picking_type_id"])["code"] == "outgoing"
    )
    if open_pickings:
        pid = open_pickings[0]
    else:
        warehouse = env["stock.warehouse"].row(order["warehouse_id"])
        pid = pickings.create_rows(
            su,
            [
                {
                    "picking_type_id": warehouse["out_type_id"],
                    "origin": order["name"],
                    "partner_id": order["partner_shipping_id"],
                    "sale_id": order_id,
                    "carrier_id": order.get("carrier_id") or False,
                    "company_id": order["company_id"],
                }
            ],
        )[0]
    for line, qty in demands:
        existing = [
            m
            for m in moves.table.ids_where("sale_line_id", line["id"])
            if moves.row(m)["picking_id"] == pid and moves.row(m)["state"] not in ("done", "cancel")
        ]
        if existing:  # a new procurement merges into the open move
            move = moves.row(existing[0])
            vals: dict[str, Any] = {"product_uom_qty": move["product_uom_qty"] + qty}
            if move["state"] == "assigned":
                vals["state"] = "partially_available"
            moves.write_rows(su, [existing[0]], vals)
        else:
            moves.create_rows(
                su,
                [
                    {
                        "picking_id": pid,
                        "product_id": line["product_id"],
                        "product_uom_qty": qty,
                        "sale_line_id": line["id"],
                        "name": line["name"],
                        "state": "draft",
                    }
                ],
            )
    if pickings.row(pid)["state"] == "draft" or any(
        moves.row(m)["state"] == "draft" for m in pickings.moves(pid)
    ):
        pickings.action_confirm(su, [pid])
    else:
        moves.assign(su, pickings.moves(pid))
        pickings.recompute_state(su, [pid])


def decrease(env: Env, line: dict[str, Any], new_qty: float, delivered: float) -> None:
    """A lower ordered quantity on a confirmed line shrinks the open move (never below what
    was delivered: sale_stock refuses that)."""
    if new_qty < delivered:
        raise UserError(
            "The ordered quantity of a sale order line cannot be decreased below the amount "
            "already delivered. Instead, create a return in your inventory."
        )
    moves = env["stock.move"]
    su = env.sudo()
    excess = (
        sum(
            moves.row(m)["product_uom_qty"]
            for m in moves.table.ids_where("sale_line_id", line["id"])
            if moves.row(m)["state"] != "cancel"
        )
        - new_qty
    )
    for m in sorted(moves.table.ids_where("sale_line_id", line["id"]), reverse=True):
        move = moves.row(m)
        if excess <= 0 or move["state"] in ("done", "cancel"):
            continue
        cut = min(excess, move["product_uom_qty"])
        moves.unreserve(su, [m])
        left = move["product_uom_qty"] - cut
        moves.write_rows(
            su, [m], {"product_uom_qty": left, "state": "confirmed" if left else "cancel"}
        )
        if left:
            moves.assign(su, [m])
        env["stock.picking"].recompute_state(su, [move["picking_id"]])
        excess -= cut
