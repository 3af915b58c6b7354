"""What differs between Odoo versions, asked by name instead of comparing versions.

Every attribute cites the fact-sheet section it follows (``../shared/reference/
odoo-external-api.md``).  Gates use (major, minor) so SaaS releases (``saas~17.3``) land on the
right side; where the fact sheet only knows the major release, the gate is that major's ``.0``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from shopify_odoo.odoo.version import OdooVersion

Domain = list[Any]


@dataclass(frozen=True, slots=True)
class Capabilities:
    version: OdooVersion
    #: JSON-2 endpoint /json/2/<model>/<method> (§1.5: documented "new in 19.0"; Odoo staff say it
    #: landed in saas 18.4 (unconfirmed), so ``auto`` only relies on it from 19.0 and
    #: ``protocol="json2"`` forces it on an 18.4 SaaS)
    json2: bool
    #: JSON-RPC error.code: 200 in 16/17, 0 from saas-18.1 (correction 5); informational only,
    #: errors are matched on data.name
    jsonrpc_error_code: int
    #: §3.1 + correction 15: 16/17 ``type``/``detailed_type`` = 'product'; 17.3 stock revamp
    #: (→ 18.0) replaced it by the ``is_storable`` boolean
    storable_field: Literal["type", "is_storable"]
    #: vals that create a storable product (§3.1, correction 15)
    storable_product_vals: Mapping[str, Any]
    #: §3.5: 16 ``qty_done``; 17+ ``quantity`` plus a ``picked`` boolean
    move_line_done_field: Literal["qty_done", "quantity"]
    move_picked_flag: bool
    #: §3.5: 16 reserved quantity on move lines is ``reserved_uom_qty``; 17+ ``quantity``
    move_line_reserved_field: Literal["reserved_uom_qty", "quantity"]
    #: §3.7: 16 returns the stock.immediate.transfer wizard unless ``skip_immediate``
    immediate_transfer_wizard: bool
    #: §4.2 / §10: sale.order.line ``tax_id`` → ``tax_ids`` and ``product_uom`` →
    #: ``product_uom_id`` in 19
    sale_line_tax_field: Literal["tax_id", "tax_ids"]
    sale_line_uom_field: Literal["product_uom", "product_uom_id"]
    #: §4.1: 16.0 has state 'done' (locked); from 16.4/17 a ``locked`` boolean
    sale_order_locked_field: bool
    #: §4.2 / §10: 16/17 ``price_include`` boolean is writable; 18+ it is computed from
    #: ``price_include_override`` ('tax_included'/'tax_excluded') or the company default
    tax_price_include_field: Literal["price_include", "price_include_override"]
    #: §2.2 + correction 11: 16-18 ``read_group``; 19 ``formatted_read_group`` (read_group still
    #: answers, deprecated)
    group_method: Literal["read_group", "formatted_read_group"]
    #: §3.4: product quantity context key for a warehouse (16 ``warehouse``, 18/19
    #: ``warehouse_id`` without fallback, 17 unconfirmed → send both)
    warehouse_context_keys: tuple[str, ...]
    #: §2.2: name_search keyword ``args`` renamed ``domain`` in 18.3
    name_search_domain_kw: Literal["args", "domain"]
    #: §2.2: name_get removed in 17 (read display_name)
    name_get: bool
    #: §3.7 / §10: carrier fields come from ``delivery`` (16) or ``stock_delivery`` (17+)
    carrier_module: Literal["delivery", "stock_delivery"]
    #: §4.3: credit note wizard: 16 ``refund_method`` + ``reverse_moves``; 17+ ``refund_moves``
    reversal_method: Literal["reverse_moves", "refund_moves"]
    #: §3.8 / §10: return wizard method (``create_returns`` believed ≤17, ``action_create_returns``
    #: 18+; probe both when it fails)
    return_method: Literal["create_returns", "action_create_returns"]
    #: §7.1: "Send Webhook Notification" server actions from 17
    webhook_server_action: bool
    #: §1.1: API keys carry an expiry date from 18.0
    api_key_expiry: bool
    #: §6: account.account ``company_id`` → shared ``company_ids`` in 18
    account_company_field: Literal["company_id", "company_ids"]
    #: §5: res.partner.mobile removed in saas 18.2
    partner_mobile: bool
    #: correction 7: private-method guard is ``check_method_name`` until 18.0, ``@api.private``
    #: from saas-18.2
    api_private: bool
    #: §3.7: context for ``button_validate`` that skips the wizards we can answer ourselves
    validate_context: Mapping[str, Any] = field(default_factory=dict)

    def storable_domain(self, prefix: str = "") -> Domain:
        """Domain selecting storable products (§3.1); ``prefix`` e.g. ``"product_id."``."""
        if self.storable_field == "is_storable":
            return [(f"{prefix}is_storable", "=", True)]
        return [(f"{prefix}type", "=", "product")]

    def is_storable(self, record: Mapping[str, Any]) -> bool:
        """Whether a product record read with :attr:`product_fields` is storable."""
        if self.storable_field == "is_storable":
            return bool(record.get("is_storable"))
        return record.get("type") == "product"

    @property
    def product_fields(self) -> tuple[str, ...]:
        return ("type", "is_storable") if self.storable_field == "is_storable" else ("type",)

    def warehouse_context(self, warehouse_id: int) -> dict[str, int]:
        return dict.fromkeys(self.warehouse_context_keys, warehouse_id)

    def button_validate_context(self, picking_ids: list[int], *, backorder: bool) -> dict[str, Any]:
        """Context for ``stock.picking.button_validate`` (§3.7 recipe).

        ``backorder=False`` validates the done quantities and cancels the rest
        (``picking_ids_not_to_backorder``); ``True`` keeps the rest as a backorder.
        """
        context: dict[str, Any] = dict(self.validate_context)
        if not backorder:
            context["picking_ids_not_to_backorder"] = list(picking_ids)
        return context


def capabilities_for(version: OdooVersion) -> Capabilities:
    v = version.at_least
    storable = v(17, 3)
    # §3.7: ``skip_immediate`` (16) is *not* sent: it only skips the wizard, and with no
    # ``qty_done`` set nothing would be done; the wizard's ``process`` sets the done
    # quantities to the reservation (correction 12), so validate_pickings answers it instead
    validate_context: dict[str, Any] = {"skip_backorder": True, "skip_sms": True}
    return Capabilities(
        version=version,
        json2=v(19, 0),
        jsonrpc_error_code=0 if v(18, 1) else 200,
        storable_field="is_storable" if storable else "type",
        storable_product_vals=(
            {"type": "consu", "is_storable": True} if storable else {"detailed_type": "product"}
        ),
        move_line_done_field="quantity" if v(17, 0) else "qty_done",
        move_picked_flag=v(17, 0),
        move_line_reserved_field="quantity" if v(17, 0) else "reserved_uom_qty",
        immediate_transfer_wizard=not v(17, 0),
        sale_line_tax_field="tax_ids" if v(19, 0) else "tax_id",
        sale_line_uom_field="product_uom_id" if v(19, 0) else "product_uom",
        sale_order_locked_field=v(16, 4),
        tax_price_include_field="price_include_override" if v(18, 0) else "price_include",
        group_method="formatted_read_group" if v(19, 0) else "read_group",
        warehouse_context_keys=(
            ("warehouse_id",)
            if v(18, 0)
            else ("warehouse", "warehouse_id")
            if v(17, 0)
            else ("warehouse",)
        ),
        name_search_domain_kw="domain" if v(18, 3) else "args",
        name_get=not v(17, 0),
        carrier_module="stock_delivery" if v(17, 0) else "delivery",
        reversal_method="refund_moves" if v(17, 0) else "reverse_moves",
        return_method="action_create_returns" if v(18, 0) else "create_returns",
        webhook_server_action=v(17, 0),
        api_key_expiry=v(18, 0),
        account_company_field="company_ids" if v(18, 0) else "company_id",
        partner_mobile=not v(18, 2),
        api_private=v(18, 2),
        validate_context=validate_context,
    )
