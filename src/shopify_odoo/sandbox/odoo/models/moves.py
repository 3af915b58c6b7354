"""stock.move and stock.move.line (§3.5): reservation, done moves updating quants (§3.6),
inventory adjustments (§3.3)."""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import UserError
from ..fields import boolean, char, datetime, float_, many2one, one2many, selection
from ..orm import Model
from ..world import Env
from .product import storable
from .stock import STOCK_ACCESS

READ = {"base.group_user": "r", **STOCK_ACCESS}
# §3.5: move states used in code
MOVE_STATES = (
    ("draft", "New"),
    ("waiting", "Waiting Another Move"),
    ("confirmed", "Waiting Availability"),
    ("partially_available", "Partially Available"),
    ("assigned", "Available"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
)
OPEN = ("waiting", "confirmed", "partially_available", "assigned")
V17 = (17, 0)


class StockMove(Model):
    _name = "stock.move"
    _description = "Stock Move"
    _order = "sequence, id"
    _access: ClassVar[dict[str, str]] = READ
    #: correction 14 sums ``product_qty`` per move: in Odoo it is a *stored* compute
    #: (``store=True``), so read_group can aggregate it; no UoM conversion here
    _virtual_aggregates: ClassVar[dict[str, tuple[str, str]]] = {
        "product_qty": ("product_uom_qty", "")
    }
    _declared = (
        char("name", "Description", required=True),
        char("reference", "Reference"),
        char("origin", "Source Document"),
        float_("sequence", "Sequence", default=10.0),
        many2one("product_id", "Product", "product.product", required=True),
        float_("product_uom_qty", "Demand", default=0.0),
        float_("product_qty", "Real Quantity", store=False, compute="_compute_product_qty"),
        many2one("product_uom", "UoM", "uom.uom", default=1),
        # §3.5: 17.0 replaces quantity_done by quantity + picked (odoo/odoo#137864)
        float_("quantity", "Quantity", since=V17),
        boolean("picked", "Picked", default=False, since=V17),
        float_("quantity_done", "Quantity Done", until=V17),
        float_("reserved_availability", "Quantity Reserved", until=V17, readonly=True),
        selection("state", "Status", MOVE_STATES, default="draft", index=True),
        many2one("location_id", "Source Location", "stock.location", required=True),
        many2one("location_dest_id", "Destination Location", "stock.location", required=True),
        many2one("picking_id", "Transfer", "stock.picking"),
        many2one("picking_type_id", "Operation Type", "stock.picking.type"),
        many2one("partner_id", "Destination Address", "res.partner"),
        many2one("sale_line_id", "Sale Line", "sale.order.line"),
        many2one("origin_returned_move_id", "Origin return move", "stock.move"),
        datetime("date", "Date Scheduled"),
        many2one("company_id", "Company", "res.company", required=True),
        boolean("is_inventory", "Inventory", default=False),
        one2many("move_line_ids", "Move Lines", "stock.move.line", "move_id"),
    )

    def _compute_product_qty(self, env: Env, ids: list[int]) -> dict[int, Any]:
        return {i: self.row(i)["product_uom_qty"] for i in ids}

    def prepare_create(self, env: Env, vals: dict[str, Any]) -> dict[str, Any]:
        picking_id = vals.get("picking_id")
        if picking_id:
            picking = env["stock.picking"].row(picking_id)
            for key in (
                "location_id",
                "location_dest_id",
                "picking_type_id",
                "company_id",
                "partner_id",
                "origin",
            ):
                vals.setdefault(key, picking.get(key) or False)
            vals.setdefault("reference", picking["name"])
            if picking["state"] not in ("draft",) and "state" not in vals:
                vals["state"] = "draft"
        if not vals.get("name") and vals.get("product_id"):
            vals["name"] = (
                env["product.product"]
                .display_names(env.sudo(), [vals["product_id"]])
                .get(vals["product_id"], "")
            )
        vals.setdefault("date", env.now)
        return vals

    def prepare_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> dict[str, Any]:
        qty_key = "quantity" if env.profile.move_picked else "quantity_done"
        if qty_key in vals:  # inverse: distribute over the move lines
            total = float(vals.pop(qty_key) or 0.0)
            if not env.profile.move_picked:
                self._check_quantity_done_set(env, ids, total)
            for rid in ids:
                self._set_line_qty(env, rid, total)
        return vals

    def _check_quantity_done_set(self, env: Env, ids: list[int], total: float) -> None:
        """16's ``_quantity_done_set`` (stock/models/stock_move.py): a move with one move line
        passes the value on, one with none gets a line, one with several refuses any other
        value than their sum; hence the §3.7 recipe "16: set ``qty_done`` on move lines"."""
        lines = env["stock.move.line"]
        for rid in ids:
            if len(lines.table.ids_where("move_id", rid)) > 1 and (
                abs(self.done_quantity(env, rid) - total) > 1e-9
            ):
                raise UserError(
                    "Cannot set the done quantity from this stock move, work directly with the "
                    "move lines."
                )

    def _line_qty_key(self, env: Env) -> str:
        return "quantity" if env.profile.move_picked else "qty_done"

    def _set_line_qty(self, env: Env, rid: int, total: float) -> None:
        lines_model = env["stock.move.line"]
        key = self._line_qty_key(env)
        lines = sorted(lines_model.table.ids_where("move_id", rid))
        if not lines:
            move = self.row(rid)
            lines_model.create_rows(
                env,
                [
                    {
                        "move_id": rid,
                        key: total,
                        "location_id": move["location_id"],
                        "location_dest_id": move["location_dest_id"],
                    }
                ],
            )
        else:
            rest = total
            for i, lid in enumerate(lines):
                share = (
                    rest if i == len(lines) - 1 else min(rest, lines_model.reserved(lid) or rest)
                )
                lines_model.write_rows(env, [lid], {key: share})
                rest -= share
        self.sync_quantity(env, [rid])

    def sync_quantity(self, env: Env, ids: list[int]) -> None:
        """Stored move totals follow their lines (17+ quantity, 16 quantity_done/reserved)."""
        lines_model = env["stock.move.line"]
        key = self._line_qty_key(env)
        for rid in ids:
            lines = [lines_model.row(lid) for lid in lines_model.table.ids_where("move_id", rid)]
            done = sum(line.get(key) or 0.0 for line in lines)
            if env.profile.move_picked:
                self.table.update(rid, {"quantity": done})
            else:
                reserved = sum(line.get("reserved_uom_qty") or 0.0 for line in lines)
                self.table.update(rid, {"quantity_done": done, "reserved_availability": reserved})

    # -- reservation ----------------------------------------------------------------------
    def assign(self, env: Env, ids: list[int]) -> None:
        quants = env["stock.quant"]
        lines = env["stock.move.line"]
        products = env["product.product"]
        for rid in ids:
            move = self.row(rid)
            if move["state"] not in ("confirmed", "partially_available", "waiting"):
                continue
            demand = move["product_uom_qty"]
            if not storable(env, products.row(move["product_id"])):
                # correction 15: untracked goods bypass reservation
                lines.create_reserved(env, rid, move["location_id"], demand)
                self.table.update(rid, {"state": "assigned"})
                continue
            have = sum(lines.reserved(lid) for lid in lines.table.ids_where("move_id", rid))
            for location, qty in quants.reserve(
                env, move["product_id"], move["location_id"], demand - have
            ):
                lines.create_reserved(env, rid, location, qty)
                have += qty
            state = (
                "assigned" if have >= demand else "partially_available" if have > 0 else "confirmed"
            )
            self.table.update(rid, {"state": state})
        self.sync_quantity(env, ids)

    def unreserve(self, env: Env, ids: list[int]) -> None:
        lines = env["stock.move.line"]
        quants = env["stock.quant"]
        for rid in ids:
            for lid in sorted(lines.table.ids_where("move_id", rid)):
                line = lines.row(lid)
                if storable(env, env["product.product"].row(line["product_id"])):
                    quants.unreserve(
                        env, line["product_id"], line["location_id"], lines.reserved(lid)
                    )
                lines.table.delete(lid)

    # -- done ---------------------------------------------------------------------------------
    def done_quantity(self, env: Env, rid: int) -> float:
        lines = env["stock.move.line"]
        key = self._line_qty_key(env)
        return sum(lines.row(lid).get(key) or 0.0 for lid in lines.table.ids_where("move_id", rid))

    def action_done(self, env: Env, ids: list[int]) -> None:
        """§3.5/§3.6: quants move for storable products; moves get state done, date now."""
        lines = env["stock.move.line"]
        quants = env["stock.quant"]
        key = self._line_qty_key(env)
        for rid in ids:
            move = self.row(rid)
            is_storable = storable(env, env["product.product"].row(move["product_id"]))
            for lid in sorted(lines.table.ids_where("move_id", rid)):
                line = lines.row(lid)
                qty = line.get(key) or 0.0
                if is_storable:
                    reserved = lines.reserved(lid)
                    quants.update_available(
                        env,
                        line["product_id"],
                        line["location_id"],
                        -qty,
                        reserved=-min(reserved, self._reserved_on(quants, line)),
                    )
                    quants.update_available(env, line["product_id"], line["location_dest_id"], qty)
                if qty <= 0:
                    lines.table.delete(lid)
                    continue
                vals: dict[str, Any] = {"date": env.now, "state": "done"}
                if env.profile.move_picked:
                    vals["picked"] = True
                else:
                    vals["reserved_uom_qty"] = 0.0
                lines.write_rows(env.sudo(), [lid], vals)
            self.write_rows(
                env.sudo(),
                [rid],
                {
                    "state": "done",
                    "date": env.now,
                    **({"picked": True} if env.profile.move_picked else {}),
                },
            )
            self.sync_quantity(env, [rid])

    @staticmethod
    def _reserved_on(quants: Any, line: dict[str, Any]) -> float:
        qid = quants.find(line["product_id"], line["location_id"])
        return float(quants.row(qid)["reserved_quantity"]) if qid else 0.0

    def apply_inventory(self, env: Env, quant_ids: list[int]) -> None:
        """§3.3 ``action_apply_inventory``: an ``is_inventory`` move per counted quant."""
        quants = env["stock.quant"]
        loss = env["ir.model.data"].xmlid_to_id("stock.stock_location_inventory")
        for qid in quant_ids:
            quant = quants.row(qid)
            if not quant["inventory_quantity_set"]:
                continue
            diff = quant["inventory_quantity"] - quant["quantity"]
            if diff:
                src, dst = (
                    (loss, quant["location_id"]) if diff > 0 else (quant["location_id"], loss)
                )
                self.record_done(
                    env,
                    quant["product_id"],
                    src,
                    dst,
                    abs(diff),
                    name=env.context.get("inventory_name") or "Product Quantity Updated",
                    is_inventory=True,
                )
            quants.write_rows(
                env.sudo(),
                [qid],
                {
                    "inventory_quantity": 0.0,
                    "inventory_quantity_set": False,
                    "inventory_date": env.now[:10],
                    "user_id": False,
                },
            )

    def record_done(
        self,
        env: Env,
        product_id: int,
        src: int,
        dst: int,
        qty: float,
        *,
        name: str,
        is_inventory: bool = False,
        picking_id: int | None = None,
    ) -> int:
        """A move created and validated in one go (inventory, simulator transfers)."""
        company = (
            env["stock.location"].row(dst).get("company_id")
            or env["stock.location"].row(src).get("company_id")
            or env.company_id
        )
        vals: dict[str, Any] = {
            "name": name,
            "product_id": product_id,
            "product_uom_qty": qty,
            "location_id": src,
            "location_dest_id": dst,
            "company_id": company,
            "is_inventory": is_inventory,
            "state": "confirmed",
        }
        if picking_id:
            vals["picking_id"] = picking_id
        mid = self.create_rows(env.sudo(), [vals])[0]
        key = self._line_qty_key(env)
        env["stock.move.line"].create_rows(
            env.sudo(),
            [
                {
                    "move_id": mid,
                    key: qty,
                    "location_id": src,
                    "location_dest_id": dst,
                    **({"picked": True} if env.profile.move_picked else {}),
                }
            ],
        )
        self.action_done(env, [mid])
        return mid


class StockMoveLine(Model):
    _name = "stock.move.line"
    _description = "Product Moves (Stock Move Line)"
    _order = "id"
    _rec_name = "reference"
    _access: ClassVar[dict[str, str]] = READ
    _declared = (
        many2one("move_id", "Stock Operation", "stock.move"),
        many2one("picking_id", "Transfer", "stock.picking"),
        many2one("product_id", "Product", "product.product"),
        many2one("location_id", "From", "stock.location", required=True),
        many2one("location_dest_id", "To", "stock.location", required=True),
        many2one("company_id", "Company", "res.company", required=True),
        selection("state", "Status", MOVE_STATES, default="draft"),
        char("reference", "Reference"),
        datetime("date", "Date"),
        boolean("is_inventory", "Is Inventory", default=False),
        # §3.5: 16 qty_done + reserved_uom_qty; 17+ quantity + picked
        float_("quantity", "Quantity", since=V17),
        boolean("picked", "Picked", default=False, since=V17),
        float_("qty_done", "Done", until=V17),
        float_("reserved_uom_qty", "Reserved", until=V17, readonly=True),
        char("picking_code", "Picking Code", store=False, compute="_compute_picking_code"),
    )

    def _compute_picking_code(self, env: Env, ids: list[int]) -> dict[int, Any]:
        pickings = env["stock.picking"].table.rows
        types = env["stock.picking.type"].table.rows
        out: dict[int, Any] = {}
        for i in ids:
            picking = pickings.get(self.row(i).get("picking_id") or 0)
            ptype = types.get(picking["picking_type_id"]) if picking else None
            out[i] = ptype["code"] if ptype else False
        return out

    def prepare_create(self, env: Env, vals: dict[str, Any]) -> dict[str, Any]:
        move = env["stock.move"].row(vals["move_id"]) if vals.get("move_id") else None
        if move is not None:
            for key in (
                "product_id",
                "picking_id",
                "company_id",
                "location_id",
                "location_dest_id",
                "reference",
                "is_inventory",
            ):
                vals.setdefault(key, move.get(key) or False)
            vals.setdefault("state", move["state"])
        vals.setdefault("date", env.now)
        return vals

    def after_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> None:
        if {"quantity", "qty_done"} & set(vals):
            moves = {self.row(i)["move_id"] for i in ids if self.row(i).get("move_id")}
            env["stock.move"].sync_quantity(env, sorted(moves))

    def reserved(self, lid: int) -> float:
        """What this line holds on quants (hidden in 17+, ``reserved_uom_qty`` in 16)."""
        row = self.row(lid)
        value: Any = row.get("_reserved", row.get("reserved_uom_qty") or 0.0)
        return float(value or 0.0)

    def create_reserved(self, env: Env, move_id: int, location_id: int, qty: float) -> None:
        move = env["stock.move"].row(move_id)
        existing = [
            lid
            for lid in self.table.ids_where("move_id", move_id)
            if self.row(lid)["location_id"] == location_id
        ]
        if env.profile.move_picked:
            if existing:
                row = self.row(existing[0])
                self.table.update(
                    existing[0],
                    {
                        "quantity": row["quantity"] + qty,
                        "_reserved": self.reserved(existing[0]) + qty,
                    },
                )
                return
            lid = self.create_rows(
                env.sudo(),
                [
                    {
                        "move_id": move_id,
                        "location_id": location_id,
                        "location_dest_id": move["location_dest_id"],
                        "quantity": qty,
                    }
                ],
            )[0]
            self.table.update(lid, {"_reserved": qty})
        else:
            if existing:
                row = self.row(existing[0])
                self.table.update(existing[0], {"reserved_uom_qty": row["reserved_uom_qty"] + qty})
                return
            self.create_rows(
                env.sudo(),
                [
                    {
                        "move_id": move_id,
                        "location_id": location_id,
                        "location_dest_id": move["location_dest_id"],
                    }
                ],
            )
            lid = max(self.table.ids_where("move_id", move_id))
            self.table.update(lid, {"reserved_uom_qty": qty})
