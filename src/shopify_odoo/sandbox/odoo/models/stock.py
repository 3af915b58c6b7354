"""Warehouses, locations (§3.2), quants (§3.3) and picking types."""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import UserError, ValidationError
from ..fields import boolean, char, datetime, float_, integer, many2one, one2many, selection
from ..orm import Model
from ..rpc import rpc
from ..world import Env

STOCK_ACCESS = {
    "stock.group_stock_user": "rwc",
    "stock.group_stock_manager": "rwcu",
    "base.group_system": "rwcu",
}
READ_STOCK = {"base.group_user": "r", **STOCK_ACCESS}
# §3.2: stock.location.usage values
USAGES = (
    ("supplier", "Vendor Location"),
    ("view", "View"),
    ("internal", "Internal Location"),
    ("customer", "Customer Location"),
    ("inventory", "Inventory Loss"),
    ("production", "Production"),
    ("transit", "Transit Location"),
)


class StockLocation(Model):
    _name = "stock.location"
    _description = "Inventory Locations"
    _order = "complete_name, id"
    _rec_name = "complete_name"
    _parent_name = "location_id"
    _access: ClassVar[dict[str, str]] = READ_STOCK
    _default_company = False
    _declared = (
        char("name", "Location Name", required=True),
        char("complete_name", "Full Location Name", index=True),
        many2one("location_id", "Parent Location", "stock.location"),
        one2many("child_ids", "Contains", "stock.location", "location_id"),
        selection("usage", "Location Type", USAGES, default="internal", required=True),
        many2one("company_id", "Company", "res.company"),
        boolean("active", "Active", default=True),
        char("barcode", "Barcode"),
        many2one(
            "warehouse_id",
            "Warehouse",
            "stock.warehouse",
            store=False,
            compute="_compute_warehouse",
        ),
    )

    def after_create(self, env: Env, ids: list[int]) -> None:
        self._names(ids)

    def after_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> None:
        if "name" in vals or "location_id" in vals:
            self._names(ids)

    def _names(self, ids: list[int]) -> None:
        """``complete_name`` is stored and recursive (§3.2)."""
        for rid in ids:
            row = self.row(rid)
            parent = row.get("location_id")
            name = row["name"]
            if parent and row.get("usage") != "view":  # Odoo's _compute_complete_name
                name = f"{self.row(parent)['complete_name']}/{name}"
            self.table.update(rid, {"complete_name": name})
            self._names(sorted(self.table.ids_where("location_id", rid)))

    def _compute_warehouse(self, env: Env, ids: list[int]) -> dict[int, Any]:
        views = {w["view_location_id"]: wid for wid, w in env["stock.warehouse"].table.rows.items()}
        out = {}
        for rid in ids:
            found: Any = False
            for anc in self._chain(rid):
                if anc in views:
                    found = views[anc]
                    break
            out[rid] = found
        return out

    def _chain(self, rid: int) -> list[int]:
        chain = []
        while rid:
            chain.append(rid)
            rid = self.row(rid).get("location_id") or 0
        return chain

    def check_constraints(self, env: Env, ids: list[int]) -> None:
        for rid in ids:
            if rid in self._chain(self.row(rid).get("location_id") or 0):
                raise ValidationError("Recursion Detected.")

    def context_locations(self, env: Env) -> set[int]:
        """§3.4 ``_get_domain_locations``: ``location`` (ids or names, children included),
        the warehouse key of the version (no fallback), else every warehouse of the active
        companies."""
        ctx = env.context
        key = env.profile.warehouse_context_key
        warehouses = env["stock.warehouse"]
        wh_views: set[int] | None = None
        if ctx.get(key):
            wh_ids = warehouses.resolve_ids(env, ctx[key])
            wh_views = {
                warehouses.row(w)["view_location_id"] for w in wh_ids if w in warehouses.table.rows
            }
        loc: set[int] | None = None
        if ctx.get("location"):
            loc_ids = self.resolve_ids(env, ctx["location"])
            loc = self.descendants(loc_ids) if ctx.get("compute_child", True) else set(loc_ids)
        if loc is not None and wh_views is not None:
            inside = loc & self.descendants(wh_views)
            if inside or env.profile.at_least(17, 0):
                return inside
            loc = None  # 16.0 before odoo/odoo#134680: empty intersection → all locations
            wh_views = None
        if loc is not None:
            return loc
        if wh_views is None:
            wh_views = {
                w["view_location_id"]
                for w in warehouses.table.rows.values()
                if w.get("company_id") in env.companies
            }
        return self.descendants(wh_views)


class StockWarehouse(Model):
    _name = "stock.warehouse"
    _description = "Warehouse"
    _order = "sequence,id"
    _access: ClassVar[dict[str, str]] = READ_STOCK
    _declared = (
        char("name", "Warehouse", required=True),
        # §3.2: short name (size 5)
        char("code", "Short Name", required=True),
        integer("sequence", "Sequence", default=10),
        boolean("active", "Active", default=True),
        many2one("company_id", "Company", "res.company", required=True),
        many2one("partner_id", "Address", "res.partner"),
        many2one("view_location_id", "View Location", "stock.location"),
        many2one("lot_stock_id", "Location Stock", "stock.location"),
        many2one("in_type_id", "In Type", "stock.picking.type"),
        many2one("out_type_id", "Out Type", "stock.picking.type"),
        many2one("int_type_id", "Internal Type", "stock.picking.type"),
        selection(
            "reception_steps",
            "Incoming Shipments",
            (
                ("one_step", "Receive goods directly"),
                ("two_steps", "2 steps"),
                ("three_steps", "3 steps"),
            ),
            default="one_step",
        ),
        selection(
            "delivery_steps",
            "Outgoing Shipments",
            (
                ("ship_only", "Deliver goods directly"),
                ("pick_ship", "2 steps"),
                ("pick_pack_ship", "3 steps"),
            ),
            default="ship_only",
        ),
    )

    def after_create(self, env: Env, ids: list[int]) -> None:
        for rid in ids:
            if not self.row(rid).get("view_location_id"):
                self.setup(env, rid)

    def setup(self, env: Env, rid: int) -> None:
        """Create the warehouse's view and stock locations and its three picking types."""
        wh = self.row(rid)
        locations, types = env["stock.location"], env["stock.picking.type"]
        company = wh["company_id"]
        view = locations.create_rows(
            env,
            [
                {
                    "name": wh["code"],
                    "usage": "view",
                    "location_id": env["ir.model.data"].xmlid_to_id(
                        "stock.stock_location_locations"
                    ),
                    "company_id": company,
                }
            ],
        )[0]
        stock = locations.create_rows(
            env,
            [{"name": "Stock", "usage": "internal", "location_id": view, "company_id": company}],
        )[0]
        customers = env["ir.model.data"].xmlid_to_id("stock.stock_location_customers")
        suppliers = env["ir.model.data"].xmlid_to_id("stock.stock_location_suppliers")
        common = {"warehouse_id": rid, "company_id": company}
        in_t, out_t, int_t = types.create_rows(
            env,
            [
                {
                    "name": "Receipts",
                    "code": "incoming",
                    "sequence_code": "IN",
                    "default_location_src_id": suppliers,
                    "default_location_dest_id": stock,
                    **common,
                },
                {
                    "name": "Delivery Orders",
                    "code": "outgoing",
                    "sequence_code": "OUT",
                    "default_location_src_id": stock,
                    "default_location_dest_id": customers,
                    **common,
                },
                {
                    "name": "Internal Transfers",
                    "code": "internal",
                    "sequence_code": "INT",
                    "default_location_src_id": stock,
                    "default_location_dest_id": stock,
                    **common,
                },
            ],
        )
        self.table.update(
            rid,
            {
                "view_location_id": view,
                "lot_stock_id": stock,
                "in_type_id": in_t,
                "out_type_id": out_t,
                "int_type_id": int_t,
            },
        )


class StockPickingType(Model):
    _name = "stock.picking.type"
    _description = "Picking Type"
    _order = "sequence, id"
    _access: ClassVar[dict[str, str]] = READ_STOCK
    _declared = (
        char("name", "Operation Type", required=True),
        selection(
            "code",
            "Type of Operation",
            (("incoming", "Receipt"), ("outgoing", "Delivery"), ("internal", "Internal Transfer")),
            required=True,
        ),
        char("sequence_code", "Sequence Prefix", required=True),
        integer("sequence", "Sequence", default=1),
        many2one("warehouse_id", "Warehouse", "stock.warehouse"),
        many2one("default_location_src_id", "Default Source Location", "stock.location"),
        many2one("default_location_dest_id", "Default Destination Location", "stock.location"),
        # correction 14: default reservation at confirmation
        selection(
            "reservation_method",
            "Reservation Method",
            (
                ("at_confirm", "At Confirmation"),
                ("manual", "Manually"),
                ("by_date", "Before scheduled date"),
            ),
            default="at_confirm",
        ),
        # §3.7: 'ask' returns the backorder wizard
        selection(
            "create_backorder",
            "Create Backorder",
            (("ask", "Ask"), ("always", "Always"), ("never", "Never")),
            default="ask",
        ),
        boolean("active", "Active", default=True),
        many2one("company_id", "Company", "res.company", required=True),
    )

    def _compute_display_name(self, env: Env, ids: list[int]) -> dict[int, Any]:
        whs = env["stock.warehouse"].table.rows
        out = {}
        for rid in ids:
            row = self.row(rid)
            wh = whs.get(row.get("warehouse_id") or 0)
            out[rid] = f"{wh['name']}: {row['name']}" if wh else row["name"]
        return out


_INVENTORY_FIELDS = {
    "inventory_quantity",
    "inventory_date",
    "user_id",
    "inventory_quantity_set",
    "inventory_quantity_auto_apply",
    "product_id",
    "location_id",
    "lot_id",
    "package_id",
    "owner_id",
}


class StockQuant(Model):
    _name = "stock.quant"
    _description = "Quants"
    _order = "id"
    _rec_name = "product_id"
    _access: ClassVar[dict[str, str]] = READ_STOCK
    _default_company = False
    _virtual_aggregates: ClassVar[dict[str, tuple[str, str]]] = {
        "available_quantity": ("quantity", "reserved_quantity")
    }  # §3.3
    _declared = (
        many2one("product_id", "Product", "product.product", required=True),
        many2one("location_id", "Location", "stock.location", required=True),
        many2one("company_id", "Company", "res.company"),  # related stored (location)
        float_("quantity", "Quantity", readonly=True),
        float_("reserved_quantity", "Reserved Quantity", readonly=True),
        float_(
            "available_quantity", "Available Quantity", store=False, compute="_compute_available"
        ),
        float_("inventory_quantity", "Counted Quantity"),
        float_("inventory_diff_quantity", "Difference", store=False, compute="_compute_diff"),
        boolean("inventory_quantity_set", "Inventory Quantity Set", default=False),
        char("inventory_date", "Scheduled Date"),
        datetime("in_date", "Incoming Date"),
        many2one("user_id", "Assigned To", "res.users", index=False),
        many2one(
            "warehouse_id",
            "Warehouse",
            "stock.warehouse",
            store=False,
            related=("location_id", "warehouse_id"),
        ),
    )

    def _compute_available(self, env: Env, ids: list[int]) -> dict[int, Any]:
        rows = self.table.rows
        return {i: rows[i]["quantity"] - rows[i]["reserved_quantity"] for i in ids}

    def _compute_diff(self, env: Env, ids: list[int]) -> dict[int, Any]:
        rows = self.table.rows
        return {
            i: (rows[i]["inventory_quantity"] - rows[i]["quantity"])
            if rows[i]["inventory_quantity_set"]
            else 0.0
            for i in ids
        }

    def _compute_display_name(self, env: Env, ids: list[int]) -> dict[int, Any]:
        names = env["product.product"].display_names(env, {self.row(i)["product_id"] for i in ids})
        return {i: names.get(self.row(i)["product_id"], "") for i in ids}

    def inventory_mode(self, env: Env) -> bool:
        """§3.3: context ``inventory_mode`` and the user in stock.group_stock_user."""
        return bool(env.context.get("inventory_mode")) and env.has_group("stock.group_stock_user")

    def find(self, product_id: int, location_id: int) -> int | None:
        common = self.table.ids_where("product_id", product_id) & self.table.ids_where(
            "location_id", location_id
        )
        return min(common) if common else None

    def update_available(
        self, env: Env, product_id: int, location_id: int, delta: float, reserved: float = 0.0
    ) -> int:
        """§3.6 ``_update_available_quantity``: ORM write (write_date bump) or a new quant."""
        location = env["stock.location"].row(location_id)
        if location["usage"] == "view":
            raise ValidationError(  # §3.3: quants cannot live in view locations
                f"You cannot take products from or deliver products to a location of type "
                f'"view" ({location["complete_name"]}).'
            )
        qid = self.find(product_id, location_id)
        if qid is None:
            return self.create_rows(
                env.sudo(),
                [
                    {
                        "product_id": product_id,
                        "location_id": location_id,
                        "quantity": delta,
                        "reserved_quantity": reserved,
                        "in_date": env.now,
                        "company_id": location.get("company_id") or False,
                    }
                ],
            )[0]
        row = self.row(qid)
        vals: dict[str, Any] = {"quantity": row["quantity"] + delta}
        if reserved:
            vals["reserved_quantity"] = row["reserved_quantity"] + reserved
        if delta > 0:
            vals["in_date"] = env.now
        self.write_rows(env.sudo(), [qid], vals)
        return qid

    def reserve(
        self, env: Env, product_id: int, root_location: int, qty: float
    ) -> list[tuple[int, float]]:
        """Reserve up to ``qty`` under ``root_location`` (children included), oldest first;
        returns (location, reserved) pairs."""
        locations = env["stock.location"]
        inside = locations.descendants([root_location])
        candidates = sorted(
            (
                q
                for q in self.table.ids_where("product_id", product_id)
                if self.row(q)["location_id"] in inside
                and locations.row(self.row(q)["location_id"])["usage"] in ("internal", "transit")
            ),
            key=lambda q: (self.row(q).get("in_date") or "", q),
        )
        out = []
        for qid in candidates:
            if qty <= 0:
                break
            row = self.row(qid)
            free = row["quantity"] - row["reserved_quantity"]
            if free <= 0:
                continue
            take = min(free, qty)
            self.write_rows(
                env.sudo(), [qid], {"reserved_quantity": row["reserved_quantity"] + take}
            )
            out.append((row["location_id"], take))
            qty -= take
        return out

    def unreserve(self, env: Env, product_id: int, location_id: int, qty: float) -> None:
        qid = self.find(product_id, location_id)
        if qid is not None and qty:
            row = self.row(qid)
            self.write_rows(
                env.sudo(), [qid], {"reserved_quantity": max(0.0, row["reserved_quantity"] - qty)}
            )

    # -- RPC ---------------------------------------------------------------------------------
    def create_rows(self, env: Env, vals_list: list[dict[str, Any]]) -> list[int]:
        if env.su:
            return super().create_rows(env, vals_list)
        if not self.inventory_mode(env) or not all(
            "inventory_quantity" in v or "inventory_quantity_auto_apply" in v for v in vals_list
        ):
            raise UserError("Quant's creation is restricted, you can't do this operation.")
        ids = []
        for vals in vals_list:
            if set(vals) - _INVENTORY_FIELDS:
                raise UserError("Quant's creation is restricted, you can't do this operation.")
            qid = self.find(int(vals["product_id"]), int(vals["location_id"]))
            if qid is None:
                qid = self.update_available(
                    env, int(vals["product_id"]), int(vals["location_id"]), 0.0
                )
            counted = vals.get("inventory_quantity", vals.get("inventory_quantity_auto_apply"))
            self.write_rows(
                env.sudo(), [qid], {"inventory_quantity": counted, "inventory_quantity_set": True}
            )
            ids.append(qid)
        return ids

    @rpc(op="write")
    def write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> bool:
        """§3.3: only the counting fields may be written (inventory mode)."""
        ids = self.existing(env, ids)
        if set(vals) - (
            _INVENTORY_FIELDS - {"product_id", "location_id", "lot_id", "package_id", "owner_id"}
        ):
            raise UserError("Quant's editing is restricted, you can't do this operation.")
        if "inventory_quantity" in vals:
            vals = {**vals, "inventory_quantity_set": True}
        self.check_rule(env, ids, "write")
        self.write_rows(env, ids, vals)
        return True

    @rpc(op="write", returns_none=True)
    def action_apply_inventory(self, env: Env, ids: list[int]) -> None:
        """§3.3: validated ``is_inventory`` moves to/from the inventory-loss location.  The
        method has no return statement in 16-19 source, hence None (XML-RPC fault, §1.2)."""
        ids = self.existing(env, ids)
        self.check_rule(env, ids, "write")
        env["stock.move"].apply_inventory(env, ids)
        return None
