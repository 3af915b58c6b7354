"""product.template / product.product (§3.1) with the quantity fields of §3.4."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from ..errors import ValidationError
from ..fields import (
    boolean,
    char,
    float_,
    integer,
    many2many,
    many2one,
    one2many,
    selection,
    text,
)
from ..orm import Model
from ..world import Env

_ACCESS = {
    "base.group_user": "r",
    "sales_team.group_sale_manager": "rwcu",
    "stock.group_stock_manager": "rwcu",
    "base.group_system": "rwcu",
}
# §3.1 / correction 15: 16/17 `detailed_type` drives `type` and stock adds 'product';
# from 17.3 (→ 18) `type` is consu/service/combo and `is_storable` tracks inventory.
_OLD_TYPES = (("consu", "Consumable"), ("service", "Service"), ("product", "Storable Product"))
_NEW_TYPES = (("consu", "Goods"), ("service", "Service"), ("combo", "Combo"))
_STORABLE = (17, 3)
_QTY_FIELDS = ("qty_available", "free_qty", "virtual_available", "incoming_qty", "outgoing_qty")


def _qty(name: str, string: str) -> Any:
    return float_(name, string, store=False, compute="_compute_quantities", readonly=True)


_TEMPLATE_FIELDS = (
    char("name", "Name", required=True, index=True),
    integer("sequence", "Sequence", default=1),
    text("description_sale", "Sales Description"),
    selection("type", "Product Type", _OLD_TYPES, default="consu", until=_STORABLE),
    selection("detailed_type", "Product Type", _OLD_TYPES, default="consu", until=_STORABLE),
    selection("type", "Product Type", _NEW_TYPES, default="consu", since=_STORABLE),
    boolean("is_storable", "Track Inventory", default=False, since=_STORABLE),
    float_("list_price", "Sales Price", default=1.0),
    float_("standard_price", "Cost", default=0.0),
    float_("weight", "Weight", default=0.0),
    boolean("sale_ok", "Can be Sold", default=True),
    boolean("purchase_ok", "Can be Purchased", default=True),
    boolean("active", "Active", default=True),
    many2one("categ_id", "Product Category", "product.category", default=1),
    many2one("uom_id", "Unit of Measure", "uom.uom", default=1, required=True),
    many2one("company_id", "Company", "res.company"),
    many2many("taxes_id", "Customer Taxes", "account.tax"),
)


def storable(env: Env, product_row: dict[str, Any]) -> bool:
    """§3.1: storable = ``is_storable`` (18+) or ``type == 'product'`` (16/17)."""
    tmpl = env["product.template"].row(product_row["product_tmpl_id"])
    if env.profile.is_storable:
        return bool(tmpl.get("is_storable")) and tmpl.get("type") == "consu"
    return bool(tmpl.get("type") == "product")


class ProductTemplate(Model):
    _name = "product.template"
    _description = "Product"
    _order = "priority desc, name"
    _access: ClassVar[dict[str, str]] = _ACCESS
    _default_company = False
    _declared = (
        *_TEMPLATE_FIELDS,
        selection("priority", "Favorite", (("0", "Normal"), ("1", "Favorite")), default="0"),
        char(
            "default_code",
            "Internal Reference",
            store=False,
            compute="_compute_single",
            related=None,
        ),
        char("barcode", "Barcode", store=False, compute="_compute_single"),
        one2many("product_variant_ids", "Products", "product.product", "product_tmpl_id"),
        many2one(
            "product_variant_id",
            "Product",
            "product.product",
            store=False,
            compute="_compute_variant",
        ),
        integer(
            "product_variant_count",
            "# Product Variants",
            store=False,
            compute="_compute_variant_count",
        ),
        *(
            _qty(n, s)
            for n, s in zip(
                _QTY_FIELDS,
                (
                    "Quantity On Hand",
                    "Free To Use Quantity",
                    "Forecasted Quantity",
                    "Incoming",
                    "Outgoing",
                ),
                strict=True,
            )
        ),
    )

    def _variants(self, rid: int) -> list[int]:
        return sorted(self.world.table("product.product").ids_where("product_tmpl_id", rid))

    def _compute_single(self, env: Env, ids: list[int]) -> dict[int, Any]:
        raise AssertionError("default_code/barcode are computed in compute()")

    def compute(self, env: Env, ids: list[int], name: str) -> dict[int, Any]:
        if name in _QTY_FIELDS:
            return self.compute_quantities(env, ids, name)
        if name in ("default_code", "barcode"):
            products = env["product.product"].table.rows
            out = {}
            for rid in ids:
                variants = self._variants(rid)
                out[rid] = products[variants[0]].get(name) if len(variants) == 1 else False
            return out
        return super().compute(env, ids, name)

    def _compute_variant(self, env: Env, ids: list[int]) -> dict[int, Any]:
        return {rid: (self._variants(rid) or [False])[0] for rid in ids}

    def _compute_variant_count(self, env: Env, ids: list[int]) -> dict[int, Any]:
        return {rid: len(self._variants(rid)) for rid in ids}

    def _compute_quantities(self, env: Env, ids: list[int]) -> dict[int, Any]:
        raise AssertionError("quantities are computed in compute()")

    def _sync_type(self, vals: dict[str, Any]) -> None:
        if not self.world.profile.is_storable:
            if "detailed_type" in vals and "type" not in vals:
                vals["type"] = vals["detailed_type"]
            elif "type" in vals and "detailed_type" not in vals:
                vals["detailed_type"] = vals["type"]

    def prepare_create(self, env: Env, vals: dict[str, Any]) -> dict[str, Any]:
        self._sync_type(vals)
        self._pending.append({k: vals.pop(k) for k in ("default_code", "barcode") if k in vals})
        return vals

    def prepare_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> dict[str, Any]:
        self._sync_type(vals)
        single = {k: vals.pop(k) for k in ("default_code", "barcode") if k in vals}
        if single:
            variants = [
                v for rid in ids for v in self._variants(rid) if len(self._variants(rid)) == 1
            ]
            env["product.product"].write_rows(env, variants, single)
        return vals

    def __init__(self, world: Any) -> None:
        super().__init__(world)
        self._pending: list[dict[str, Any]] = []

    def after_create(self, env: Env, ids: list[int]) -> None:
        pending = self._pending[-len(ids) :]
        del self._pending[-len(ids) :]
        if env.context.get("create_product_product") is False:
            return
        products = env["product.product"]
        for rid, extra in zip(ids, pending, strict=True):  # no attributes: exactly one variant
            products.create_rows(
                env.with_context(create_product_product=False), [{"product_tmpl_id": rid, **extra}]
            )

    def after_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> None:
        shared = {k: vals[k] for k in ("active", "company_id") if k in vals}
        if shared:  # variants follow their template (archiving, company)
            products = env["product.product"]
            variants = [v for rid in ids for v in self._variants(rid)]
            products.write_rows(env, variants, shared)

    def compute_quantities(self, env: Env, ids: list[int], name: str) -> dict[int, Any]:
        products = env["product.product"]
        out = {}
        for rid in ids:
            variants = self._variants(rid)
            values = products.quantities(env, variants)
            out[rid] = sum(values[v][name] for v in variants)
        return out


class ProductProduct(Model):
    _name = "product.product"
    _description = "Product Variant"
    _order = "default_code, id"
    _access: ClassVar[dict[str, str]] = _ACCESS
    _default_company = False
    _declared = (
        many2one("product_tmpl_id", "Product Template", "product.template", required=True),
        char("default_code", "Internal Reference", index=True),
        char("barcode", "Barcode", index=True),
        boolean("active", "Active", default=True),
        many2one("company_id", "Company", "res.company"),  # stored copy of the template's
        # _inherits: template fields read and written through product_tmpl_id
        *(
            replace(
                f, related=("product_tmpl_id", f.name), store=False, default=None, required=False
            )
            for f in _TEMPLATE_FIELDS
            if f.name not in ("active", "company_id")
        ),
        float_("lst_price", "Sales Price", store=False, compute="_compute_lst_price"),
        *(
            _qty(n, s)
            for n, s in zip(
                _QTY_FIELDS,
                (
                    "Quantity On Hand",
                    "Free To Use Quantity",
                    "Forecasted Quantity",
                    "Incoming",
                    "Outgoing",
                ),
                strict=True,
            )
        ),
        one2many("stock_quant_ids", "Stock Quants", "stock.quant", "product_id"),
    )

    def _compute_display_name(self, env: Env, ids: list[int]) -> dict[int, Any]:
        """``[SKU] Template (Colour, Size)`` as Odoo shows variants."""
        templates = env["product.template"].table.rows
        out = {}
        for rid in ids:
            row = self.row(rid)
            name = templates[row["product_tmpl_id"]]["name"]
            label = row.get("variant_label")
            if label:
                name = f"{name} ({label})"
            code = row.get("default_code")
            out[rid] = f"[{code}] {name}" if code else name
        return out

    def _compute_lst_price(self, env: Env, ids: list[int]) -> dict[int, Any]:
        return self._related(env, ids, ("product_tmpl_id", "list_price"))

    def _compute_quantities(self, env: Env, ids: list[int]) -> dict[int, Any]:
        raise AssertionError("computed per field in compute()")

    def compute(self, env: Env, ids: list[int], name: str) -> dict[int, Any]:
        if name in _QTY_FIELDS:
            values = self.quantities(env, ids)
            return {rid: values[rid][name] for rid in ids}
        return super().compute(env, ids, name)

    def quantities(self, env: Env, ids: list[int]) -> dict[int, dict[str, float]]:
        """§3.4 and the step table after correction 14."""
        locations = env["stock.location"].context_locations(env)
        quants = env["stock.quant"]
        moves = env["stock.move"]
        out: dict[int, dict[str, float]] = {}
        open_states = {"waiting", "confirmed", "partially_available", "assigned"}
        for rid in ids:
            row = self.row(rid)
            on_hand = free = incoming = outgoing = 0.0
            if storable(env, row):
                for qid in quants.table.ids_where("product_id", rid):
                    q = quants.row(qid)
                    if q["location_id"] in locations and quants.visible(env, q):
                        on_hand += q["quantity"]
                        free += q["quantity"] - q["reserved_quantity"]
                for mid in moves.table.ids_where("product_id", rid):
                    m = moves.row(mid)
                    if m["state"] not in open_states:
                        continue
                    src_in = m["location_id"] in locations
                    dst_in = m["location_dest_id"] in locations
                    if dst_in and not src_in:
                        incoming += m["product_uom_qty"]
                    elif src_in and not dst_in:
                        outgoing += m["product_uom_qty"]
            out[rid] = {
                "qty_available": on_hand,
                "free_qty": free,
                "incoming_qty": incoming,
                "outgoing_qty": outgoing,
                "virtual_available": on_hand + incoming - outgoing,
            }
        return out

    def prepare_create(self, env: Env, vals: dict[str, Any]) -> dict[str, Any]:
        if not vals.get("product_tmpl_id"):  # _inherits: create the template first
            tmpl_keys = {f.name for f in _TEMPLATE_FIELDS} - {"active", "company_id"}
            tmpl_vals = {k: vals.pop(k) for k in list(vals) if k in tmpl_keys}
            if "company_id" in vals:
                tmpl_vals["company_id"] = vals["company_id"]
            tmpl_env = env.with_context(create_product_product=False)
            vals["product_tmpl_id"] = env["product.template"].create_rows(tmpl_env, [tmpl_vals])[0]
        tmpl = env["product.template"].row(vals["product_tmpl_id"])
        vals.setdefault("company_id", tmpl.get("company_id") or False)
        return vals

    def check_constraints(self, env: Env, ids: list[int]) -> None:
        """§3.1: barcode unique per company (``_check_barcode_uniqueness``; wording ours)."""
        for rid in ids:
            row = self.row(rid)
            barcode = row.get("barcode")
            if not barcode:
                continue
            clash = [
                o
                for o in self.table.ids_where("barcode", barcode)
                if o != rid
                and (
                    not row.get("company_id")
                    or not self.row(o).get("company_id")
                    or self.row(o).get("company_id") == row.get("company_id")
                )
            ]
            if clash:
                names = ", ".join(self.display_names(env.sudo(), clash).values())
                raise ValidationError(
                    f'Barcode(s) already assigned:\n\n- Barcode "{barcode}" already assigned to '
                    f"product(s): {names}"
                )
