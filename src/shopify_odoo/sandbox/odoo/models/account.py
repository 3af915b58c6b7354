"""Sales configuration: taxes (§4.2), sales teams, carriers (§3.7), units, categories,
pricelists."""

from __future__ import annotations

from typing import Any, ClassVar

from ..fields import boolean, char, float_, integer, many2one, selection
from ..orm import Model
from ..world import Env

_SALES = {
    "sales_team.group_sale_salesman": "r",
    "sales_team.group_sale_manager": "rwcu",
    "base.group_user": "r",
    "base.group_system": "rwcu",
}


class AccountTax(Model):
    _name = "account.tax"
    _description = "Tax"
    _order = "sequence, id"
    _access: ClassVar[dict[str, str]] = {"base.group_user": "r", "base.group_system": "rwcu"}
    _declared = (
        char("name", "Tax Name", required=True),
        integer("sequence", "Sequence", default=1),
        selection(
            "amount_type",
            "Tax Computation",
            (("percent", "Percentage of Price"), ("fixed", "Fixed")),
        ),
        float_("amount", "Amount", required=True),
        selection(
            "type_tax_use",
            "Tax Type",
            (("sale", "Sales"), ("purchase", "Purchases"), ("none", "None")),
            default="sale",
        ),
        boolean("active", "Active", default=True),
        many2one("company_id", "Company", "res.company", required=True),
        # §4.2: 16/17 plain Boolean; 18 computed from price_include_override or the company
        boolean("price_include", "Included in Price", default=False, until=(18, 0)),
        boolean(
            "price_include",
            "Included in Price",
            store=False,
            compute="_compute_price_include",
            since=(18, 0),
        ),
        selection(
            "price_include_override",
            "Included in Price",
            (("tax_included", "Tax Included"), ("tax_excluded", "Tax Excluded")),
            since=(18, 0),
        ),
    )

    def _compute_price_include(self, env: Env, ids: list[int]) -> dict[int, Any]:
        out = {}
        companies = env["res.company"].table.rows
        for rid in ids:
            row = self.row(rid)
            override = row.get("price_include_override")
            if override:
                out[rid] = override == "tax_included"
            else:
                company = companies.get(row.get("company_id") or 0, {})
                out[rid] = company.get("account_price_include") == "tax_included"
        return out

    def includes_price(self, env: Env, rid: int) -> bool:
        if env.profile.price_include_override:
            return bool(self._compute_price_include(env, [rid])[rid])
        return bool(self.row(rid).get("price_include"))


class CrmTeam(Model):
    _name = "crm.team"
    _description = "Sales Team"
    _order = "sequence ASC, create_date DESC, id DESC"
    _access: ClassVar[dict[str, str]] = _SALES
    _declared = (
        char("name", "Sales Team", required=True),
        integer("sequence", "Sequence", default=10),
        boolean("active", "Active", default=True),
        many2one("company_id", "Company", "res.company"),
        many2one("user_id", "Team Leader", "res.users"),
    )


class DeliveryCarrier(Model):
    """§3.7: carriers come from ``delivery`` (16) / ``stock_delivery`` (17+)."""

    _name = "delivery.carrier"
    _description = "Shipping Methods"
    _order = "sequence, id"
    _access: ClassVar[dict[str, str]] = _SALES
    _declared = (
        char("name", "Delivery Method", required=True),
        integer("sequence", "Sequence", default=10),
        boolean("active", "Active", default=True),
        selection(
            "delivery_type",
            "Provider",
            (("base_on_rule", "Based on Rules"), ("fixed", "Fixed Price")),
            default="fixed",
        ),
        many2one("product_id", "Delivery Product", "product.product", required=True),
        float_("fixed_price", "Fixed Price", default=0.0),
        many2one("company_id", "Company", "res.company"),
    )


class UomUom(Model):
    _name = "uom.uom"
    _description = "Product Unit of Measure"
    _order = "name"
    _access: ClassVar[dict[str, str]] = {"base.group_user": "r", "base.group_system": "rwcu"}
    _default_company = False
    _declared = (
        char("name", "Unit of Measure", required=True),
        float_("factor", "Ratio", default=1.0),
        float_("rounding", "Rounding Precision", default=0.01),
        boolean("active", "Active", default=True),
    )


class ProductCategory(Model):
    _name = "product.category"
    _description = "Product Category"
    _order = "complete_name"
    _rec_name = "complete_name"
    _parent_name = "parent_id"
    _access: ClassVar[dict[str, str]] = {"base.group_user": "r", "base.group_system": "rwcu"}
    _declared = (
        char("name", "Name", required=True),
        char("complete_name", "Complete Name"),
        many2one("parent_id", "Parent Category", "product.category"),
    )

    def prepare_create(self, env: Env, vals: dict[str, Any]) -> dict[str, Any]:
        parent = vals.get("parent_id")
        prefix = self.row(parent)["complete_name"] + " / " if parent else ""
        vals.setdefault("complete_name", prefix + str(vals.get("name", "")))
        return vals


class ProductPricelist(Model):
    _name = "product.pricelist"
    _description = "Pricelist"
    _order = "sequence asc, id asc"
    _access: ClassVar[dict[str, str]] = _SALES
    _declared = (
        char("name", "Pricelist Name", required=True),
        integer("sequence", "Sequence", default=16),
        boolean("active", "Active", default=True),
        many2one("currency_id", "Currency", "res.currency", required=True),
        many2one("company_id", "Company", "res.company"),
    )
