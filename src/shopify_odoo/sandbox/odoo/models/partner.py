"""res.partner (§5): contacts with invoice/delivery children, email, phone, country, state."""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import ValidationError
from ..fields import boolean, char, integer, many2one, one2many, selection, versioned
from ..orm import Model
from ..rpc import rpc
from ..world import Env

_TYPES = (
    ("contact", "Contact"),
    ("invoice", "Invoice Address"),
    ("delivery", "Delivery Address"),
    ("other", "Other Address"),
)


class ResPartner(Model):
    _name = "res.partner"
    _description = "Contact"
    _order = "complete_name, id"
    _rec_name = "complete_name"
    _parent_name = "parent_id"
    _access: ClassVar[dict[str, str]] = {"base.group_user": "rwcu", "base.group_portal": "r"}
    _default_company = False
    _declared = (
        char("name", "Name", index=True),
        char("complete_name", "Complete Name", index=True),
        many2one("parent_id", "Related Company", "res.partner"),
        one2many("child_ids", "Contact", "res.partner", "parent_id"),
        # §5: 'private' removed in 16.4 (odoo/odoo#146298)
        selection("type", "Address Type", _TYPES, default="contact", since=(16, 4)),
        versioned(
            selection(
                "type", "Address Type", (*_TYPES, ("private", "Private Address")), default="contact"
            ),
            until=(16, 4),
        ),
        boolean("is_company", "Is a Company", default=False),
        selection(
            "company_type",
            "Company Type",
            (("person", "Individual"), ("company", "Company")),
            default="person",
        ),
        char("email", "Email"),
        char("email_normalized", "Normalized Email", index=True),
        char("phone", "Phone"),
        # §5: removed in 18.2 (odoo/odoo#189739)
        char("mobile", "Mobile", until=(18, 2)),
        char("street", "Street"),
        char("street2", "Street2"),
        char("city", "City"),
        char("zip", "Zip"),
        many2one("state_id", "State", "res.country.state"),
        many2one("country_id", "Country", "res.country"),
        char("vat", "Tax ID"),
        char("ref", "Reference", index=True),
        char("lang", "Language", default="en_US"),
        integer("customer_rank", "Customer Rank", default=0),
        integer("supplier_rank", "Supplier Rank", default=0),
        boolean("active", "Active", default=True),
        many2one("company_id", "Company", "res.company"),
        many2one(
            "commercial_partner_id",
            "Commercial Entity",
            "res.partner",
            store=False,
            compute="_compute_commercial",
        ),
    )

    def _fill(
        self, env: Env, vals: dict[str, Any], current: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        if "email" in vals:
            email = (vals["email"] or "").strip().lower()
            vals["email_normalized"] = email or False
        if "is_company" in vals and "company_type" not in vals:
            vals["company_type"] = "company" if vals["is_company"] else "person"
        elif "company_type" in vals and "is_company" not in vals:
            vals["is_company"] = vals["company_type"] == "company"
        return vals

    def prepare_create(self, env: Env, vals: dict[str, Any]) -> dict[str, Any]:
        if (
            not vals.get("name")
            and vals.get("type", "contact") == "contact"
            and not vals.get("parent_id")
        ):
            raise ValidationError("Contacts require a name")  # res.partner check_name
        return self._fill(env, vals)

    def prepare_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> dict[str, Any]:
        return self._fill(env, vals)

    def after_create(self, env: Env, ids: list[int]) -> None:
        self._recompute_names(ids)

    def after_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> None:
        if "name" in vals or "parent_id" in vals or "type" in vals:
            self._recompute_names(ids)

    def _recompute_names(self, ids: list[int]) -> None:
        for rid in ids:
            row = self.row(rid)
            name = row.get("name") or ""
            parent = row.get("parent_id")
            if parent and parent in self.table.rows:
                parent_name = self.row(parent).get("complete_name") or ""
                if not name:
                    label = dict(_TYPES).get(row.get("type") or "contact", "")
                    name = label
                name = f"{parent_name}, {name}"
            if row.get("complete_name") != name:
                self.table.update(rid, {"complete_name": name})
            for child in self.table.ids_where("parent_id", rid):
                self._recompute_names([child])

    def _compute_commercial(self, env: Env, ids: list[int]) -> dict[int, Any]:
        out = {}
        for rid in ids:
            current = rid
            while True:
                row = self.row(current)
                if row.get("is_company") or not row.get("parent_id"):
                    break
                current = row["parent_id"]
            out[rid] = current
        return out

    @rpc(op="read")
    def address_get(
        self, env: Env, ids: list[int], adr_pref: list[str] | None = None
    ) -> dict[str, int]:
        """§5: SO addresses default from ``address_get(['invoice'/'delivery'])``."""
        wanted = [*list(adr_pref or []), "contact"]
        start = self.existing(env, ids)[0] if ids else 0
        commercial = self._compute_commercial(env, [start])[start] if start else 0
        result: dict[str, int] = {}
        for kind in wanted:
            if self.row(start).get("type") == kind:
                result[kind] = start
                continue
            children = sorted(self.table.ids_where("parent_id", commercial))
            match = [
                c for c in children if self.row(c).get("type") == kind and self.row(c).get("active")
            ]
            result[kind] = match[0] if match else start
        return result
