"""The merchant at work (issue 5 item 5): every action goes through the same business code an
Odoo user's click would run, in one transaction, so moves, quants and write dates (§3.6)
come out as Odoo records them."""

from __future__ import annotations

from typing import Any

from .errors import UserError
from .world import Env, World

ADMIN_UID = 2


class MerchantSimulator:
    def __init__(self, world: World) -> None:
        self.world = world

    def _env(self, company_ids: list[int] | None = None) -> Env:
        ctx = {"allowed_company_ids": company_ids} if company_ids else {}
        return self.world.env(ADMIN_UID, ctx)

    def product_id(self, sku: str) -> int:
        products = self.world.models["product.product"]
        ids = [i for i in products.table.ids_where("default_code", sku)]
        if not ids:
            raise UserError(
                f'No product with SKU "{sku}" in the Odoo sandbox: seed a scenario '
                "that contains it or create it first"
            )
        return int(min(ids))

    def location_id(self, name: str) -> int:
        locations = self.world.models["stock.location"]
        ids = locations.table.ids_where("complete_name", name)
        if not ids:
            known = sorted(
                r["complete_name"]
                for r in locations.table.rows.values()
                if r["usage"] == "internal"
            )
            raise UserError(
                f'No stock location "{name}" in the Odoo sandbox: use one of {", ".join(known)}'
            )
        return int(min(ids))

    def _warehouse_of(self, location: int) -> dict[str, Any]:
        env = self._env()
        wid = self.world.models["stock.location"]._compute_warehouse(env, [location])[location]
        if not wid:
            raise UserError("The location is not inside a warehouse")
        row: dict[str, Any] = self.world.models["stock.warehouse"].row(wid)
        return row

    def _transfer(self, kind: str, sku: str, qty: float, src: int, dst: int, origin: str) -> int:
        world = self.world
        env = self._env()
        warehouse = self._warehouse_of(dst if kind == "in_type_id" else src)
        pickings = world.models["stock.picking"]
        with world.transaction():
            pid = pickings.create_rows(
                env,
                [
                    {
                        "picking_type_id": warehouse[kind],
                        "origin": origin,
                        "location_id": src,
                        "location_dest_id": dst,
                        "move_ids": [
                            [
                                0,
                                0,
                                {"product_id": self.product_id(sku), "product_uom_qty": float(qty)},
                            ]
                        ],
                    }
                ],
            )[0]
            pickings.action_confirm(env, [pid])
            self._validate(env, pid)
        return int(pid)

    def _validate(
        self,
        env: Env,
        pid: int,
        quantities: dict[str, float] | None = None,
        backorder: bool = False,
    ) -> Any:
        """Set done = demand (what a warehouse worker scans) or the given quantities per SKU,
        then validate; the rest goes to a backorder when ``backorder`` (§3.7 recipe: 17+
        ``quantity`` + ``picked`` on the moves, 16 ``qty_done`` on the move lines)."""
        pickings = self.world.models["stock.picking"]
        moves = self.world.models["stock.move"]
        products = self.world.models["product.product"]
        for m in pickings._open_moves(env, pid):
            move = moves.row(m)
            qty = move["product_uom_qty"]
            if quantities is not None:
                qty = float(quantities.get(products.row(move["product_id"])["default_code"], 0))
            if env.profile.move_picked:
                moves.write_rows(env, [m], {"quantity": qty, "picked": qty > 0})
            else:
                self._done_on_move_lines(env, m, qty)
        ctx: dict[str, Any] = {
            "skip_backorder": True,
            "skip_immediate": True,
            "skip_sms": True,
            "skip_sanity_check": True,
        }
        if not backorder:
            ctx["picking_ids_not_to_backorder"] = [pid]
        return pickings.button_validate(env.with_context(**ctx), [pid])

    def _done_on_move_lines(self, env: Env, move_id: int, qty: float) -> None:
        """16: a move's ``quantity_done`` is refused on a move with several move lines (stock
        reserved from several quants, §3.7 recipe "16: set ``qty_done`` on move lines"), so the
        worker scans each line: up to what it reserved, the last line taking the rest.  A move
        without lines (nothing reserved) gets a line of its own, as 16's inverse makes one."""
        lines = self.world.models["stock.move.line"]
        own = sorted(lines.table.ids_where("move_id", move_id))
        if not own:
            move = self.world.models["stock.move"].row(move_id)
            lines.create_rows(
                env,
                [
                    {
                        "move_id": move_id,
                        "qty_done": qty,
                        "location_id": move["location_id"],
                        "location_dest_id": move["location_dest_id"],
                    }
                ],
            )
            self.world.models["stock.move"].sync_quantity(env, [move_id])
            return
        rest = qty
        for position, lid in enumerate(own):
            share = rest if position == len(own) - 1 else min(rest, max(lines.reserved(lid), 0.0))
            lines.write_rows(env, [lid], {"qty_done": share})
            rest -= share

    # -- actions ------------------------------------------------------------------------------
    def receive(self, sku: str, qty: float, location: str = "WH/Stock") -> int:
        """A purchase arrives: done receipt Vendors → location."""
        suppliers = self.world.models["ir.model.data"].xmlid_to_id("stock.stock_location_suppliers")
        return self._transfer(
            "in_type_id", sku, qty, suppliers, self.location_id(location), "Purchase"
        )

    def move(self, sku: str, qty: float, source: str, destination: str) -> int:
        """An internal transfer between two locations (done)."""
        return self._transfer(
            "int_type_id",
            sku,
            qty,
            self.location_id(source),
            self.location_id(destination),
            "Replenishment",
        )

    def deliver(
        self,
        picking: int | str,
        carrier: str | None = None,
        tracking: str | None = None,
        quantities: dict[str, float] | None = None,
    ) -> int:
        """Validate a delivery (done moves decrease quants), with carrier and tracking; with
        ``quantities`` (SKU → units) only those ship and the rest becomes a backorder."""
        world = self.world
        env = self._env()
        pickings = world.models["stock.picking"]
        if isinstance(picking, str):
            ids = pickings.table.ids_where("name", picking) or pickings.table.ids_where(
                "origin", picking
            )
            open_ids = [p for p in ids if pickings.row(p)["state"] not in ("done", "cancel")]
            if not open_ids:
                raise UserError(f'No open delivery "{picking}" in the Odoo sandbox')
            pid = min(open_ids)
        else:
            pid = picking
        with world.transaction():
            vals: dict[str, Any] = {}
            if carrier:
                carriers = world.models["delivery.carrier"]
                vals["carrier_id"] = carriers.search_ids(env, [("name", "=", carrier)])[0]
            if tracking:
                vals["carrier_tracking_ref"] = tracking
            if vals:
                pickings.write_rows(env, [pid], vals)
            self._validate(env, pid, quantities, backorder=quantities is not None)
        return int(pid)

    def count(self, sku: str, location: str, qty: float) -> None:
        """An inventory count applied (§3.3): the quant ends at ``qty``."""
        world = self.world
        env = self._env().with_context(inventory_mode=True)
        quants = world.models["stock.quant"]
        with world.transaction():
            qid = quants.create_rows(
                env,
                [
                    {
                        "product_id": self.product_id(sku),
                        "location_id": self.location_id(location),
                        "inventory_quantity": float(qty),
                    }
                ],
            )[0]
            world.models["stock.move"].apply_inventory(env, [qid])

    def archive(self, sku: str) -> None:
        world = self.world
        env = self._env()
        products = world.models["product.product"]
        with world.transaction():
            products.write_rows(env, [self.product_id(sku)], {"active": False})

    def change_sku(self, old: str, new: str) -> None:
        world = self.world
        env = self._env()
        with world.transaction():
            world.models["product.product"].write_rows(
                env, [self.product_id(old)], {"default_code": new}
            )

    def create_product(
        self,
        sku: str,
        name: str,
        price: float,
        barcode: str | None = None,
        company_id: int = 1,
    ) -> int:
        """A new storable product made by the merchant (§3.1 type per version)."""
        world = self.world
        env = self._env()
        vals: dict[str, Any] = {
            "name": name,
            "default_code": sku,
            "list_price": price,
            "company_id": company_id,
        }
        if barcode:
            vals["barcode"] = barcode
        if env.profile.is_storable:
            vals.update(type="consu", is_storable=True)
        else:
            vals.update(detailed_type="product")
        with world.transaction():
            return int(world.models["product.product"].create_rows(env, [vals])[0])

    def quant_tasks(self) -> int:
        """Odoo's housekeeping (§3.3 ``_unlink_zero_quants``): quants with no quantity, no
        reservation, no count and no assignee vanish without any write_date trace; returns
        how many went."""
        world = self.world
        quants = world.models["stock.quant"]
        with world.transaction():
            gone = [
                qid
                for qid, q in quants.table.rows.items()
                if not q["quantity"]
                and not q["reserved_quantity"]
                and not q["inventory_quantity"]
                and not q.get("user_id")
            ]
            for qid in gone:
                quants.table.delete(qid)
        return len(gone)

    def set_price(self, sku: str, price: float) -> None:
        world = self.world
        env = self._env()
        products = world.models["product.product"]
        with world.transaction():
            tmpl = products.row(self.product_id(sku))["product_tmpl_id"]
            world.models["product.template"].write_rows(env, [tmpl], {"list_price": price})

    def run(self, action: str, params: dict[str, Any]) -> Any:
        actions: dict[str, Any] = {
            "receive": self.receive,
            "move": self.move,
            "deliver": self.deliver,
            "count": self.count,
            "archive": self.archive,
            "change_sku": self.change_sku,
            "set_price": self.set_price,
            "create_product": self.create_product,
            "quant_tasks": self.quant_tasks,
        }
        if action not in actions:
            raise UserError(
                f"Unknown merchant action {action!r}: use one of {', '.join(sorted(actions))}"
            )
        result = actions[action](**params)
        self.world.data_version += 1
        return result
