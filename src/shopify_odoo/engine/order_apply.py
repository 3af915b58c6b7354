"""Apply order decisions to Odoo in batches, then record links and feed the in-flight ledger.

One batch (many orders, many stores) costs a fixed number of calls: new customers (one
``create``), their addresses (one ``create``), the sale orders (one ``create`` per 100), their
line ids and totals (one ``read``), the confirmations (one ``action_confirm``).  A failing
batch call is retried order by order so that one bad order cannot block the others: the error
lands on that order's key only.

Exactly once (DESIGN.md §2 "Orders"): the caller searched ``client_order_ref`` in the same job
just before planning; a crash after Odoo's ``create`` and before our commit leaves a sale order
the next pass finds by its reference (and pairs its lines by product and description).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shopify_odoo.errors import ShopifyOdooError, TerminalError
from shopify_odoo.odoo import OdooClient
from shopify_odoo.odoo.sales import SaleLineDraft, sale_line_vals, to_odoo_datetime
from shopify_odoo.sync.customers import PartnerValues, normalize_email, normalize_phone
from shopify_odoo.sync.orders import (
    CancelSaleOrder,
    OrderDecision,
    PlannedLine,
    SaleOrderPlan,
    SaleOrderUpdate,
)

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What happened to one order; ``error`` is raised on that order's job."""

    action: str  # created | updated | cancelled | unchanged | parked | failed
    sale_order_id: int | None = None
    state: str | None = None
    #: sale.order.line id → line key, for the lines written in this pass
    line_keys: dict[int, str] = field(default_factory=dict)
    amount_total: Decimal | None = None
    error: ShopifyOdooError | None = None


def _partner_vals(values: PartnerValues, parent_id: int | None) -> dict[str, Any]:
    vals: dict[str, Any] = {"name": values.name, "type": values.type}
    for key in ("email", "phone", "street", "street2", "city", "zip", "state_id", "country_id"):
        value = getattr(values, key)
        if value is not None:
            vals[key] = value
    if parent_id is not None:
        vals["parent_id"] = parent_id
    else:
        vals["customer_rank"] = 1
    return vals


def _identity(values: PartnerValues) -> str:
    return normalize_email(values.email) or normalize_phone(values.phone) or values.name


def line_vals(line: PlannedLine, odoo: OdooClient) -> dict[str, Any]:
    draft = SaleLineDraft(
        product_id=line.product_id,
        quantity=line.quantity,
        price_unit=line.price_unit,
        name=line.name,
        discount=line.discount,
        tax_ids=tuple(line.tax_ids),
    )
    vals = sale_line_vals(draft, odoo.capabilities)
    if line.is_delivery:
        vals["is_delivery"] = True
    return vals


async def _create_each(
    odoo: OdooClient, model: str, vals_list: Sequence[Mapping[str, Any]]
) -> list[int | ShopifyOdooError]:
    """One ``create`` for all; when it fails, one per record so each error finds its owner."""
    if not vals_list:
        return []
    try:
        return list(await odoo.create(model, vals_list, chunk_size=100))
    except TerminalError:
        if len(vals_list) == 1:
            raise
    out: list[int | ShopifyOdooError] = []
    for vals in vals_list:
        try:
            out.extend(await odoo.create(model, [vals]))
        except TerminalError as exc:
            out.append(exc)
    return out


async def _call_each(
    odoo: OdooClient, model: str, method: str, ids: Sequence[int], context: Mapping[str, Any]
) -> dict[int, ShopifyOdooError]:
    """``method`` on all ids at once; on a terminal failure, per id; returns the failures."""
    if not ids:
        return {}
    try:
        await odoo.call(model, method, ids=list(ids), context=context, readonly=False)
        return {}
    except TerminalError as exc:
        if len(ids) == 1:
            return {ids[0]: exc}
    failed: dict[int, ShopifyOdooError] = {}
    for i in ids:
        try:
            await odoo.call(model, method, ids=[i], context=context, readonly=False)
        except TerminalError as exc:
            failed[i] = exc
    return failed


async def _partners(
    odoo: OdooClient, plans: Sequence[SaleOrderPlan]
) -> dict[str, tuple[int, int, int] | ShopifyOdooError]:
    """order id → (customer, invoice address, delivery address), creating what is missing.
    Two new customers with the same email in one batch become one partner."""
    new_customers: dict[str, PartnerValues] = {}
    for plan in plans:
        if plan.partner.customer_id is None and plan.partner.create_customer is not None:
            new_customers.setdefault(
                _identity(plan.partner.create_customer), plan.partner.create_customer
            )
    idents = sorted(new_customers)
    created = await _create_each(
        odoo, "res.partner", [_partner_vals(new_customers[i], None) for i in idents]
    )
    customer_of: dict[str, int | ShopifyOdooError] = dict(zip(idents, created, strict=True))
    customers: dict[str, int | ShopifyOdooError] = {}
    for plan in plans:
        p = plan.partner
        if p.customer_id is not None:
            customers[plan.order_id] = p.customer_id
        elif p.create_customer is not None:
            customers[plan.order_id] = customer_of[_identity(p.create_customer)]
        else:
            customers[plan.order_id] = TerminalError(
                f"Order {plan.order_name} (store {plan.store}): no customer was planned",
                cause="internal",
            )
    children: dict[tuple[int, tuple[Any, ...]], dict[str, Any]] = {}
    for plan in plans:
        customer = customers[plan.order_id]
        if not isinstance(customer, int):
            continue
        for target in (plan.partner.invoice, plan.partner.delivery):
            if target.create is not None:
                vals = _partner_vals(target.create, customer)
                children.setdefault((customer, tuple(sorted(vals.items()))), vals)
    keys = list(children)
    made = await _create_each(odoo, "res.partner", [children[k] for k in keys])
    child_id = dict(zip(keys, made, strict=True))
    out: dict[str, tuple[int, int, int] | ShopifyOdooError] = {}
    for plan in plans:
        customer = customers[plan.order_id]
        if not isinstance(customer, int):
            out[plan.order_id] = customer
            continue
        ids: list[int] = []
        error: ShopifyOdooError | None = None
        for target in (plan.partner.invoice, plan.partner.delivery):
            if target.existing_id is not None:
                ids.append(target.existing_id)
            elif target.create is not None:
                key = (customer, tuple(sorted(_partner_vals(target.create, customer).items())))
                made_id = child_id[key]
                if isinstance(made_id, int):
                    ids.append(made_id)
                else:
                    error = made_id
            else:
                ids.append(customer)
        out[plan.order_id] = error if error is not None else (customer, ids[0], ids[1])
    return out


def order_vals(
    plan: SaleOrderPlan, partners: tuple[int, int, int], odoo: OdooClient
) -> dict[str, Any]:
    customer, invoice, delivery = partners
    vals: dict[str, Any] = {
        "partner_id": customer,
        "partner_invoice_id": invoice,
        "partner_shipping_id": delivery,
        "client_order_ref": plan.client_order_ref,
        "origin": f"Shopify {plan.store} {plan.order_name}",
        "pricelist_id": plan.pricelist_id,
        "date_order": to_odoo_datetime(plan.date_order),
        "order_line": [(0, 0, line_vals(line, odoo)) for line in plan.lines],
    }
    optional = {
        "team_id": plan.team_id,
        "company_id": plan.company_id,
        "warehouse_id": plan.warehouse_id,
        "carrier_id": plan.carrier_id,
    }
    vals.update({k: v for k, v in optional.items() if v is not None})
    return vals


async def apply_creates(odoo: OdooClient, plans: Sequence[SaleOrderPlan]) -> dict[str, Outcome]:
    """Create the sale orders of ``plans`` (partners first), confirm those the policy says."""
    out: dict[str, Outcome] = {}
    if not plans:
        return out
    partners = await _partners(odoo, plans)
    ready = []
    for plan in plans:
        p = partners[plan.order_id]
        if isinstance(p, ShopifyOdooError):
            out[plan.order_id] = Outcome("failed", error=p)
        else:
            ready.append((plan, p))
    created = await _create_each(odoo, "sale.order", [order_vals(pl, p, odoo) for pl, p in ready])
    made: dict[int, SaleOrderPlan] = {}
    for (plan, _p), so in zip(ready, created, strict=True):
        if isinstance(so, int):
            made[so] = plan
            out[plan.order_id] = Outcome("created", sale_order_id=so, state="draft")
        else:
            out[plan.order_id] = Outcome("failed", error=so)
    if not made:
        return out
    rows = await odoo.read("sale.order", sorted(made), ["order_line", "amount_total", "state"])
    for row in rows:
        plan = made[int(row["id"])]
        outcome = out[plan.order_id]
        line_ids = sorted(int(i) for i in row.get("order_line") or [])
        outcome.line_keys = {lid: line.key for lid, line in zip(line_ids, plan.lines, strict=False)}
        outcome.amount_total = Decimal(str(row.get("amount_total") or 0)).quantize(Decimal("0.01"))
    to_confirm = [so for so, plan in made.items() if plan.confirm]
    failed = await _call_each(odoo, "sale.order", "action_confirm", to_confirm, {})
    for so in to_confirm:
        outcome = out[made[so].order_id]
        if so in failed:
            # the quotation exists and is linked; the next pass confirms it (or parks it)
            outcome.error = failed[so]
        else:
            outcome.state = "sale"
    return out


async def apply_updates(odoo: OdooClient, updates: Sequence[SaleOrderUpdate]) -> dict[int, Outcome]:
    """Bring each sale order to its order's lines (one ``write`` each), then confirm."""
    out: dict[int, Outcome] = {}
    for up in updates:
        commands: list[Any] = [(2, i, 0) for i in up.unlink_line_ids]
        commands += [(1, i, {"product_uom_qty": 0.0}) for i in up.zero_line_ids]
        commands += [(1, w.line_id, line_vals(w.line, odoo)) for w in up.write]
        commands += [(0, 0, line_vals(line, odoo)) for line in up.add]
        outcome = Outcome("updated", sale_order_id=up.sale_order_id)
        out[up.sale_order_id] = outcome
        try:
            before: set[int] = set()
            if up.add:
                rows = await odoo.read("sale.order", [up.sale_order_id], ["order_line"])
                before = {int(i) for i in (rows[0].get("order_line") if rows else []) or []}
            if commands:
                await odoo.write("sale.order", [up.sale_order_id], {"order_line": commands})
            outcome.line_keys = {w.line_id: w.line.key for w in up.write}
            if up.add:
                rows = await odoo.read("sale.order", [up.sale_order_id], ["order_line"])
                new = sorted({int(i) for i in rows[0].get("order_line") or []} - before)
                outcome.line_keys.update(
                    {lid: line.key for lid, line in zip(new, up.add, strict=False)}
                )
        except TerminalError as exc:
            outcome.action, outcome.error = "failed", exc
    confirm = [u.sale_order_id for u in updates if u.confirm and out[u.sale_order_id].error is None]
    failed = await _call_each(odoo, "sale.order", "action_confirm", confirm, {})
    for so in confirm:
        if so in failed:
            out[so].error = failed[so]
        else:
            out[so].state = "sale"
    return out


async def apply_cancels(odoo: OdooClient, cancels: Sequence[CancelSaleOrder]) -> dict[int, Outcome]:
    """Cancel the sale orders and their open deliveries (§4.1: unlock first, skip the wizard)."""
    out = {
        c.sale_order_id: Outcome("cancelled", sale_order_id=c.sale_order_id, state="cancel")
        for c in cancels
    }
    unlock = [c.sale_order_id for c in cancels if c.unlock_first]
    failed = await _call_each(odoo, "sale.order", "action_unlock", unlock, {})
    ids = [c.sale_order_id for c in cancels if c.sale_order_id not in failed]
    failed.update(
        await _call_each(odoo, "sale.order", "action_cancel", ids, {"disable_cancel_warning": True})
    )
    for so, exc in failed.items():
        out[so].action, out[so].state, out[so].error = "failed", None, exc
    return out


def decisions_by_kind(
    decisions: Mapping[str, OrderDecision],
) -> tuple[list[SaleOrderPlan], list[SaleOrderUpdate], list[CancelSaleOrder]]:
    creates = [d for d in decisions.values() if isinstance(d, SaleOrderPlan)]
    updates = [d for d in decisions.values() if isinstance(d, SaleOrderUpdate)]
    cancels = [d for d in decisions.values() if isinstance(d, CancelSaleOrder)]
    return creates, updates, cancels
