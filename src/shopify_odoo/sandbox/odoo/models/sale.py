"""sale.order / sale.order.line (§4.1, §4.2): confirmation creating the delivery, cancel,
lock, and totals computed like Odoo (round per line, currency rounding, Decimal)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from ..errors import UserError
from ..fields import (
    boolean,
    char,
    datetime,
    float_,
    integer,
    many2many,
    many2one,
    monetary,
    one2many,
    selection,
    text,
)
from ..orm import Model
from ..rpc import rpc
from ..taxes import line_amounts
from ..world import Env
from .sale_invoicing import SaleInvoicing
from .sale_stock import decrease, procure

_SALES = {
    "sales_team.group_sale_salesman": "rwc",
    "sales_team.group_sale_manager": "rwcu",
    "base.group_system": "rwcu",
}
_CENT = Decimal("0.01")
# §4.1: 16.0 has 'done'; from 16.4 a `locked` Boolean replaces it
_STATES_16 = (
    ("draft", "Quotation"),
    ("sent", "Quotation Sent"),
    ("sale", "Sales Order"),
    ("done", "Locked"),
    ("cancel", "Cancelled"),
)
_STATES = (
    ("draft", "Quotation"),
    ("sent", "Quotation Sent"),
    ("sale", "Sales Order"),
    ("cancel", "Cancelled"),
)
_TOTALS = ("amount_untaxed", "amount_tax", "amount_total")


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0))


class SaleOrderLine(Model):
    _name = "sale.order.line"
    _description = "Sales Order Line"
    _order = "order_id, sequence, id"
    _access: ClassVar[dict[str, str]] = _SALES
    _declared = (
        many2one("order_id", "Order Reference", "sale.order", required=True),
        integer("sequence", "Sequence", default=10),
        text("name", "Description", required=True),
        many2one("product_id", "Product", "product.product"),
        float_("product_uom_qty", "Quantity", default=1.0),
        # §4.2: product_uom → product_uom_id and tax_id → tax_ids in 19
        many2one("product_uom", "Unit of Measure", "uom.uom", default=1, until=(19, 0)),
        many2one("product_uom_id", "Unit", "uom.uom", default=1, since=(19, 0)),
        many2many("tax_id", "Taxes", "account.tax", until=(19, 0)),
        many2many("tax_ids", "Taxes", "account.tax", since=(19, 0)),
        float_("price_unit", "Unit Price", default=0.0),
        float_("discount", "Discount (%)", default=0.0),
        monetary("price_subtotal", "Subtotal", store=False, compute="_compute_amounts"),
        monetary("price_tax", "Total Tax", store=False, compute="_compute_amounts"),
        monetary("price_total", "Total", store=False, compute="_compute_amounts"),
        float_("qty_delivered", "Delivery Quantity", store=False, compute="_compute_delivered"),
        selection(
            "display_type", "Display Type", (("line_section", "Section"), ("line_note", "Note"))
        ),
        boolean("is_delivery", "Is a Delivery", default=False),
        many2one("company_id", "Company", "res.company"),
        many2one(
            "currency_id",
            "Currency",
            "res.currency",
            store=False,
            related=("order_id", "currency_id"),
        ),
        selection("state", "Order Status", _STATES_16, store=False, related=("order_id", "state")),
        one2many("move_ids", "Stock Moves", "stock.move", "sale_line_id"),
        float_("qty_invoiced", "Invoiced Quantity", store=False, compute="_compute_invoiced"),
    )

    def _compute_invoiced(self, env: Env, ids: list[int]) -> dict[int, Any]:
        """Invoice lines linked through ``sale_line_ids``; credit notes count negative."""
        lines = env["account.move.line"]
        moves = env["account.move"]
        out = {}
        for rid in ids:
            total = 0.0
            for lid in lines.table.ids_where("sale_line_ids", rid):
                line = lines.row(lid)
                move = moves.row(line["move_id"])
                if move["state"] == "cancel":
                    continue
                total += line["quantity"] * (-1 if move["move_type"] == "out_refund" else 1)
            out[rid] = total
        return out

    def prepare_create(self, env: Env, vals: dict[str, Any]) -> dict[str, Any]:
        order = env["sale.order"].row(vals["order_id"]) if vals.get("order_id") else None
        if order is not None:
            vals.setdefault("company_id", order["company_id"])
            if order["state"] in ("sale", "done") and order.get("locked"):
                raise UserError("You cannot modify the lines of a locked order.")
        product = vals.get("product_id")
        if product and not vals.get("display_type"):
            products = env["product.product"]
            if not vals.get("name"):
                vals["name"] = products.display_names(env.sudo(), [product]).get(product, "")
            tmpl = env["product.template"].row(products.row(product)["product_tmpl_id"])
            vals.setdefault("price_unit", tmpl["list_price"])
            tax_key = env.profile.so_line_tax_field
            if tax_key not in vals and tmpl["taxes_id"]:
                company = vals.get("company_id")
                taxes = env["account.tax"].table.rows
                vals[tax_key] = [
                    [6, 0, [t for t in tmpl["taxes_id"] if taxes[t]["company_id"] == company]]
                ]
        return vals

    def check_constraints(self, env: Env, ids: list[int]) -> None:
        """§1.7: ``check_company`` fields refuse links across companies (``_check_company``
        message shape of odoo/models.py)."""
        products = env["product.product"]
        companies = env["res.company"].table.rows
        for rid in ids:
            line = self.row(rid)
            product = line.get("product_id")
            if not product:
                continue
            owner = products.row(product).get("company_id")
            if owner and owner != line.get("company_id"):
                order = env["sale.order"].row(line["order_id"])
                name = products.display_names(env.sudo(), [product])[product]
                company = companies[line["company_id"]]["name"]
                raise UserError(
                    "Incompatible companies on records:\n"
                    f"- '{order['name']} - {name}' belongs to company '{company}' and 'Product' "
                    f"(product_id: '{name}') belongs to another company."
                )

    def prepare_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> dict[str, Any]:
        if "product_uom_qty" in vals:  # remember the quantities procured before the edit
            self._before = {i: self.row(i)["product_uom_qty"] for i in ids}
        return vals

    def after_create(self, env: Env, ids: list[int]) -> None:
        """A line added to a confirmed order is procured at once (sale_stock)."""
        orders = env["sale.order"]
        for rid in ids:
            line = self.row(rid)
            if orders.row(line["order_id"])["state"] in ("sale", "done"):
                procure(env, line["order_id"], [(line, line["product_uom_qty"])])

    def after_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> None:
        """Quantity edits on confirmed orders: more is procured, less shrinks the move."""
        before, self._before = getattr(self, "_before", {}), {}
        if "product_uom_qty" not in vals:
            return
        orders = env["sale.order"]
        for rid in ids:
            line = self.row(rid)
            if orders.row(line["order_id"])["state"] not in ("sale", "done"):
                continue
            old = before.get(rid, line["product_uom_qty"])
            if line["product_uom_qty"] > old:
                procure(env, line["order_id"], [(line, line["product_uom_qty"] - old)])
            elif line["product_uom_qty"] < old:
                delivered = self._compute_delivered(env, [rid])[rid]
                decrease(env, line, line["product_uom_qty"], delivered)

    def amounts(self, env: Env, rid: int) -> tuple[Decimal, Decimal, Decimal]:
        """Odoo's tax computation for percent taxes, price-included or not, rounded per line
        (company default ``round_per_line``) to the currency's 0.01."""
        row = self.row(rid)
        if row.get("display_type"):
            return Decimal(0), Decimal(0), Decimal(0)
        untaxed, per_tax = line_amounts(
            env,
            row["price_unit"],
            row["discount"],
            row["product_uom_qty"],
            tuple(row.get(env.profile.so_line_tax_field) or ()),
        )
        tax = sum(per_tax.values(), Decimal(0))
        return untaxed, tax, untaxed + tax

    def _compute_amounts(self, env: Env, ids: list[int]) -> dict[int, Any]:
        raise AssertionError("computed in compute()")

    def compute(self, env: Env, ids: list[int], name: str) -> dict[int, Any]:
        if name in ("price_subtotal", "price_tax", "price_total"):
            index = ("price_subtotal", "price_tax", "price_total").index(name)
            return {rid: self.amounts(env, rid)[index] for rid in ids}
        return super().compute(env, ids, name)

    def _compute_delivered(self, env: Env, ids: list[int]) -> dict[int, Any]:
        """Done moves to customers minus returns from them."""
        moves = env["stock.move"]
        locations = env["stock.location"]
        out = {}
        for rid in ids:
            total = 0.0
            for m in moves.table.ids_where("sale_line_id", rid):
                move = moves.row(m)
                if move["state"] != "done":
                    continue
                if locations.row(move["location_dest_id"])["usage"] == "customer":
                    total += move["product_uom_qty"]
                elif locations.row(move["location_id"])["usage"] == "customer":
                    total -= move["product_uom_qty"]
            out[rid] = total
        return out


class SaleOrder(SaleInvoicing, Model):
    _name = "sale.order"
    _description = "Sales Order"
    _order = "date_order desc, id desc"
    _access: ClassVar[dict[str, str]] = _SALES
    cascade = ("order_line",)
    _declared = (
        char("name", "Order Reference", index=True),
        char("client_order_ref", "Customer Reference", index=True),
        char("origin", "Source Document"),
        many2one("partner_id", "Customer", "res.partner", required=True),
        many2one("partner_invoice_id", "Invoice Address", "res.partner", required=True),
        many2one("partner_shipping_id", "Delivery Address", "res.partner", required=True),
        datetime("date_order", "Order Date"),
        many2one("pricelist_id", "Pricelist", "product.pricelist"),
        many2one("currency_id", "Currency", "res.currency"),
        many2one("user_id", "Salesperson", "res.users"),
        many2one("team_id", "Sales Team", "crm.team"),
        many2one("company_id", "Company", "res.company", required=True),
        many2one("warehouse_id", "Warehouse", "stock.warehouse"),
        many2one("carrier_id", "Delivery Method", "delivery.carrier"),
        one2many("order_line", "Order Lines", "sale.order.line", "order_id"),
        one2many("picking_ids", "Transfers", "stock.picking", "sale_id"),
        integer("delivery_count", "Delivery Orders", store=False, compute="_compute_deliveries"),
        many2many(
            "invoice_ids", "Invoices", "account.move", store=False, compute="_compute_invoices"
        ),
        selection(
            "invoice_status",
            "Invoice Status",
            (
                ("upselling", "Upselling Opportunity"),
                ("invoiced", "Fully Invoiced"),
                ("to invoice", "To Invoice"),
                ("no", "Nothing to Invoice"),
            ),
            store=False,
            compute="_compute_invoice_status",
        ),
        selection("state", "Status", _STATES_16, default="draft", until=(16, 4)),
        selection("state", "Status", _STATES, default="draft", since=(16, 4)),
        boolean("locked", "Locked", default=False, since=(16, 4)),
        text("note", "Terms and conditions"),
        *(
            monetary(n, s, store=False, compute="_compute_totals")
            for n, s in zip(_TOTALS, ("Untaxed Amount", "Taxes", "Total"), strict=True)
        ),
    )

    def prepare_create(self, env: Env, vals: dict[str, Any]) -> dict[str, Any]:
        partners = env["res.partner"]
        if vals.get("partner_id"):  # §5: addresses default from address_get
            addresses = partners.address_get(env, [vals["partner_id"]], ["invoice", "delivery"])
            vals.setdefault("partner_invoice_id", addresses["invoice"])
            vals.setdefault("partner_shipping_id", addresses["delivery"])
        company = vals.get("company_id") or env.company_id
        vals["company_id"] = company
        company_row = env["res.company"].row(company)
        if not vals.get("currency_id"):
            pricelist = vals.get("pricelist_id")
            vals["currency_id"] = (
                env["product.pricelist"].row(pricelist)["currency_id"]
                if pricelist
                else company_row["currency_id"]
            )
        if not vals.get("warehouse_id"):
            whs = sorted(
                w
                for w, row in env["stock.warehouse"].table.rows.items()
                if row["company_id"] == company
            )
            vals["warehouse_id"] = whs[0] if whs else False
        vals.setdefault("user_id", env.uid)
        vals.setdefault("date_order", env.now)
        if not vals.get("name"):
            vals["name"] = self.world.next_name("S")
        return vals

    def _compute_totals(self, env: Env, ids: list[int]) -> dict[int, Any]:
        raise AssertionError("computed in compute()")

    def compute(self, env: Env, ids: list[int], name: str) -> dict[int, Any]:
        if name in _TOTALS:
            lines = env["sale.order.line"]
            index = _TOTALS.index(name)
            return {
                rid: sum(
                    (
                        lines.amounts(env, lid)[index]
                        for lid in lines.table.ids_where("order_id", rid)
                    ),
                    Decimal(0),
                )
                for rid in ids
            }
        return super().compute(env, ids, name)

    def _compute_deliveries(self, env: Env, ids: list[int]) -> dict[int, Any]:
        pickings = env["stock.picking"].table
        return {rid: len(pickings.ids_where("sale_id", rid)) for rid in ids}

    def _is_locked(self, env: Env, row: dict[str, Any]) -> bool:
        return bool(row.get("locked")) if env.profile.so_locked else row["state"] == "done"

    @rpc(op="write")
    def action_confirm(self, env: Env, ids: list[int]) -> bool:
        """§4.1: → True; UserError unless draft/sent; the delivery is created and reserved in
        the same call (correction 14)."""
        ids = self.existing(env, ids)
        self.check_rule(env, ids, "write")
        lines = env["sale.order.line"]
        for rid in ids:
            row = self.row(rid)
            if row["state"] not in ("draft", "sent"):
                raise UserError(
                    f"The following orders are not in a state requiring confirmation: {row['name']}"
                )
            for lid in lines.table.ids_where("order_id", rid):
                line = lines.row(lid)
                if not line.get("display_type") and not line.get("product_id"):
                    raise UserError(
                        "A line on these orders missing a product, you cannot confirm it."
                    )
            self.write_rows(env, [rid], {"state": "sale", "date_order": env.now})
            procure(
                env,
                rid,
                [
                    (lines.row(lid), lines.row(lid)["product_uom_qty"])
                    for lid in sorted(lines.table.ids_where("order_id", rid))
                ],
            )
        return True

    @rpc(op="write")
    def action_cancel(self, env: Env, ids: list[int]) -> Any:
        """§4.1: locked → UserError; non-draft → the cancel wizard unless
        ``disable_cancel_warning``; cancels open deliveries."""
        ids = self.existing(env, ids)
        self.check_rule(env, ids, "write")
        for rid in ids:
            if self._is_locked(env, self.row(rid)):
                raise UserError("You cannot cancel a locked order. Please unlock it first.")
        if not env.context.get("disable_cancel_warning") and any(
            self.row(rid)["state"] != "draft" for rid in ids
        ):
            wid = env["sale.order.cancel"].create_rows(env, [{"order_id": ids[0]}])[0]
            return {
                "name": "Cancel Sales Order",
                "view_mode": "form",
                "res_model": "sale.order.cancel",
                "view_id": False,
                "res_id": wid,
                "type": "ir.actions.act_window",
                "target": "new",
                "context": {**env.context, "default_order_id": ids[0]},
            }
        pickings = env["stock.picking"]
        for rid in ids:
            open_pickings = [
                p
                for p in pickings.table.ids_where("sale_id", rid)
                if pickings.row(p)["state"] not in ("done", "cancel")
            ]
            pickings.action_cancel(env.sudo(), sorted(open_pickings))
            self.write_rows(env, [rid], {"state": "cancel"})
        return True

    @rpc(op="write")
    def action_draft(self, env: Env, ids: list[int]) -> bool:
        ids = self.existing(env, ids)
        self.write_rows(
            env, [i for i in ids if self.row(i)["state"] in ("cancel", "sent")], {"state": "draft"}
        )
        return True

    @rpc(op="write", since=(16, 4))
    def action_lock(self, env: Env, ids: list[int]) -> bool:
        self.write_rows(env, self.existing(env, ids), {"locked": True})
        return True

    @rpc(op="write")
    def action_unlock(self, env: Env, ids: list[int]) -> bool:
        """§4.1: ``locked`` False from 16.4; 16.0 goes back from ``done`` to ``sale``."""
        ids = self.existing(env, ids)
        if env.profile.so_locked:
            self.write_rows(env, ids, {"locked": False})
        else:
            self.write_rows(
                env, [i for i in ids if self.row(i)["state"] == "done"], {"state": "sale"}
            )
        return True

    @rpc(op="write", until=(16, 4))
    def action_done(self, env: Env, ids: list[int]) -> bool:
        """16.0: locking is the ``done`` state."""
        self.write_rows(env, self.existing(env, ids), {"state": "done"})
        return True
