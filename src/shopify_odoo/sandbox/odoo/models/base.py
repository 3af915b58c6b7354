"""Base models: companies, users and groups, countries, currencies, ir.model(.data)."""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import ValidationError
from ..fields import boolean, char, integer, many2many, many2one, selection
from ..orm import Model
from ..rpc import rpc
from ..world import Env

_ADMIN = {"base.group_system": "rwcu", "base.group_erp_manager": "rwcu"}
_READ_ALL = {"base.group_user": "r", **_ADMIN}


class ResCurrency(Model):
    _name = "res.currency"
    _description = "Currency"
    _order = "active desc, name"
    _access: ClassVar[dict[str, str]] = _READ_ALL
    _declared = (
        char("name", "Currency", required=True, index=True),
        char("symbol", "Symbol"),
        selection(
            "position", "Symbol Position", (("after", "After Amount"), ("before", "Before Amount"))
        ),
        char("full_name", "Name"),
        boolean("active", "Active", default=True),
        integer("decimal_places", "Decimal Places", default=2),
        many2one("company_id", "Company", "res.company", store=False, compute="_no_company"),
    )

    def _no_company(self, env: Env, ids: list[int]) -> dict[int, Any]:
        return dict.fromkeys(ids, False)


class ResCountry(Model):
    _name = "res.country"
    _description = "Country"
    _order = "name"
    _access: ClassVar[dict[str, str]] = _READ_ALL
    _declared = (
        char("name", "Country Name", required=True),
        char("code", "Country Code", index=True),
        many2one("currency_id", "Currency", "res.currency"),
    )


class ResCountryState(Model):
    _name = "res.country.state"
    _description = "Country state"
    _order = "code"
    _access: ClassVar[dict[str, str]] = _READ_ALL
    _declared = (
        many2one("country_id", "Country", "res.country", required=True),
        char("name", "State Name", required=True),
        char("code", "State Code", required=True, index=True),
    )


class ResCompany(Model):
    _name = "res.company"
    _description = "Companies"
    _order = "sequence, name"
    _access: ClassVar[dict[str, str]] = _READ_ALL
    _default_company = False
    _declared = (
        char("name", "Company Name", required=True),
        integer("sequence", "Sequence", default=10),
        many2one("partner_id", "Partner", "res.partner"),
        many2one("currency_id", "Currency", "res.currency", required=True),
        many2one("country_id", "Country", "res.country"),
        boolean("active", "Active", default=True),
        # §4.2: 18's company-level tax-included default ("Pricepocalypse", odoo/odoo#173906)
        selection(
            "account_price_include",
            "Default Sales Price Include",
            (("tax_included", "Tax Included"), ("tax_excluded", "Tax Excluded")),
            default="tax_excluded",
            since=(18, 0),
        ),
    )


class ResGroups(Model):
    _name = "res.groups"
    _description = "Access Groups"
    _order = "name"
    _access: ClassVar[dict[str, str]] = _READ_ALL
    _declared = (
        char("name", "Name", required=True),
        char("category", "Application"),
        char("full_name", "Group Name", store=False, compute="_compute_full_name"),
    )

    def _compute_full_name(self, env: Env, ids: list[int]) -> dict[int, Any]:
        rows = self.table.rows
        return {
            i: f"{rows[i]['category']} / {rows[i]['name']}"
            if rows[i]["category"]
            else rows[i]["name"]
            for i in ids
        }


class ResUsers(Model):
    _name = "res.users"
    _description = "User"
    _order = "name, login"
    _access: ClassVar[dict[str, str]] = _READ_ALL
    _default_company = False
    _company_rule = False  # users are readable across companies (the login needs them)
    _declared = (
        char("name", "Name", required=True),
        char("login", "Login", required=True, index=True),
        char("password", "Password", groups="base.group_system"),
        many2one("partner_id", "Related Partner", "res.partner"),
        many2one("company_id", "Company", "res.company", required=True),
        many2many("company_ids", "Companies", "res.company"),
        many2many("groups_id", "Groups", "res.groups"),
        boolean("active", "Active", default=True),
        char("lang", "Language", default="en_US"),
        char("tz", "Timezone", default="Europe/Brussels"),
        boolean("share", "Share User", default=False),
    )

    @rpc(model=True, op="read")
    def context_get(self, env: Env) -> dict[str, Any]:
        """What odoorpc calls after login (and JSON-2's "current uid" helper, §1.5)."""
        user = env.user
        return {"lang": user["lang"] or "en_US", "tz": user["tz"] or False, "uid": env.uid}


class IrModel(Model):
    _name = "ir.model"
    _description = "Models"
    _order = "model"
    _rec_name = "model"
    _access: ClassVar[dict[str, str]] = _READ_ALL
    _declared = (
        char("model", "Model", required=True, index=True),
        char("name", "Model Description"),
        boolean("transient", "Transient Model"),
    )


class IrModelData(Model):
    """§8: external ids; internal users may read and create, not write/unlink."""

    _name = "ir.model.data"
    _description = "Model Data"
    _order = "module, model, name"
    _rec_name = "name"
    _access: ClassVar[dict[str, str]] = {"base.group_user": "rc", **_ADMIN}
    _declared = (
        char("name", "External Identifier", required=True, index=True),
        char("module", "Module", required=True, index=True),
        char("model", "Model Name", required=True, index=True),
        integer("res_id", "Record ID", index=True),
        boolean("noupdate", "Non Updatable", default=False),
        char("complete_name", "Complete ID", store=False, compute="_compute_complete_name"),
    )

    def _compute_complete_name(self, env: Env, ids: list[int]) -> dict[int, Any]:
        rows = self.table.rows
        return {i: f"{rows[i]['module']}.{rows[i]['name']}" for i in ids}

    def check_constraints(self, env: Env, ids: list[int]) -> None:
        for rid in ids:
            row = self.row(rid)
            same = self.table.ids_where("name", row["name"]) & self.table.ids_where(
                "module", row["module"]
            )
            if len(same) > 1:
                raise ValidationError(
                    "The operation cannot be completed: You cannot have multiple records with "
                    f"the same external ID in the same module! ({row['module']}.{row['name']})"
                )

    def register_xmlid(self, xmlid: str, model: str, res_id: int) -> None:
        module, _, name = xmlid.partition(".")
        self.table.insert(
            {
                "name": name,
                "module": module,
                "model": model,
                "res_id": res_id,
                "noupdate": True,
                "create_date": False,
                "write_date": False,
                "create_uid": 1,
                "write_uid": 1,
            }
        )

    def xmlid_to_id(self, xmlid: str) -> int:
        module, _, name = xmlid.partition(".")
        for rid in self.table.ids_where("name", name):
            row = self.row(rid)
            if row["module"] == module:
                return int(row["res_id"])
        return 0

    def group_full_name(self, env: Env, xmlid: str) -> str:
        gid = self.xmlid_to_id(xmlid)
        groups = env["res.groups"]
        return groups._compute_full_name(env, [gid])[gid] if gid else xmlid

    def forget(self, model: str, ids: list[int]) -> None:
        wanted = set(ids)
        for rid in list(self.table.ids_where("model", model)):
            if self.row(rid)["res_id"] in wanted:
                self.table.delete(rid)

    @rpc(model=True, op="read")
    def check_object_reference(
        self, env: Env, module: str, xml_id: str, raise_on_access_error: bool = False
    ) -> list[Any]:
        """What ``odoorpc``'s ``env.ref`` calls: (model, id) of ``module.xml_id``."""
        for rid in self.table.ids_where("name", xml_id):
            row = self.row(rid)
            if row["module"] == module:
                return [row["model"], row["res_id"]]
        raise ValueError(f"External ID not found in the system: {module}.{xml_id}")
