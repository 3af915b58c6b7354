"""``plan_order``: one Shopify order as it is now + Odoo as it is now → what to do in Odoo.

The decision depends only on the two current states (DESIGN.md §2), so duplicated, late and
out-of-order ``orders/*`` webhooks converge, and a state Odoo already reflects plans nothing.

Order of decisions:

1. Cancelled in Shopify → cancel the sale order when nothing shipped, park when something did,
   nothing when Odoo never had it or already cancelled it.
2. A sale order cancelled in Odoo for an open Shopify order → park for a person.
3. Lines (``orders.lines``), the rounding line and the total check: Odoo's total for the planned
   lines (computed with ``orders.totals``) must equal Shopify's ``currentTotalPrice``; a
   difference of at most one currency unit per line becomes a rounding line, more is parked.
4. No sale order yet → create (partner plan, currency, team, warehouse, confirmation).
   A sale order → the line diff and the confirmation, or nothing when Odoo already agrees.
"""

from __future__ import annotations

from decimal import Decimal

from shopify_odoo.sync import customers
from shopify_odoo.sync.order_model import (
    ConfirmationPolicy,
    ExistingSaleOrder,
    FinancialStatus,
    OdooOrderState,
    OrderSettings,
    Problem,
    ShopifyOrder,
)
from shopify_odoo.sync.orders import messages
from shopify_odoo.sync.orders.changes import diff_lines
from shopify_odoo.sync.orders.lines import plan_lines
from shopify_odoo.sync.orders.plan_types import (
    CancelSaleOrder,
    NoChange,
    OrderDecision,
    Parked,
    PlannedLine,
    SaleOrderPlan,
    SaleOrderUpdate,
)
from shopify_odoo.sync.orders.totals import (
    OrderTotals,
    order_totals,
    quantum,
    round_money,
)

#: Financial statuses that count as paid for the ``confirm_paid`` policy.  ``authorized`` is not
#: paid (the capture may never come); refunds after payment do not undo the payment.
PAID_STATUSES: frozenset[FinancialStatus] = frozenset({"paid", "partially_refunded", "refunded"})

ROUNDING_KEY = "rounding"


def should_confirm(policy: ConfirmationPolicy, financial_status: FinancialStatus) -> bool:
    """Whether a sale order for an order in ``financial_status`` is confirmed under ``policy``."""
    if policy == "confirm_all":
        return True
    if policy == "confirm_paid":
        return financial_status in PAID_STATUSES
    return False


def _parked(order: ShopifyOrder, problems: list[Problem] | tuple[Problem, ...]) -> Parked:
    return Parked(
        store=order.store,
        order_id=order.id,
        order_name=order.name,
        client_order_ref=order.client_order_ref,
        problems=tuple(problems),
    )


def _delivered(existing: ExistingSaleOrder) -> Decimal:
    return sum((line.qty_delivered for line in existing.lines), Decimal(0))


def _plan_cancel(order: ShopifyOrder, existing: ExistingSaleOrder | None) -> OrderDecision:
    ref = order.client_order_ref
    if existing is None:
        return NoChange(ref, None, "cancelled in Shopify before it reached Odoo")
    if existing.state == "cancel":
        return NoChange(ref, existing.id, "already cancelled in Odoo")
    delivered = _delivered(existing)
    if delivered > 0:
        return _parked(order, [messages.cancelled_after_delivery(order, existing, delivered)])
    return CancelSaleOrder(
        sale_order_id=existing.id,
        sale_order_name=existing.name,
        client_order_ref=ref,
        unlock_first=existing.locked or existing.state == "done",
    )


def _with_rounding(
    order: ShopifyOrder,
    odoo: OdooOrderState,
    settings: OrderSettings,
    lines: tuple[PlannedLine, ...],
    digits: int,
) -> tuple[tuple[PlannedLine, ...], OrderTotals, Decimal, Problem | None]:
    taxes = {t.id: t for t in odoo.taxes}
    totals = order_totals(lines, taxes, digits)
    shopify_total = round_money(order.total_price.presentment, digits)
    diff = shopify_total - totals.total
    if diff == 0:
        return lines, totals, shopify_total, None
    allowed = quantum(digits) * max(1, len(lines))
    if abs(diff) > allowed:
        problem = messages.total_mismatch(order, shopify_total, totals.total, allowed)
        return lines, totals, shopify_total, problem
    if settings.rounding_product_id is None:
        problem = messages.product_setting_missing(
            order, f"a rounding difference of {diff} {order.presentment_currency}",
            "rounding_product_id",
        )  # fmt: skip
        return lines, totals, shopify_total, problem
    rounding = PlannedLine(
        key=ROUNDING_KEY,
        role="rounding",
        product_id=settings.rounding_product_id,
        name="Rounding difference with Shopify",
        quantity=Decimal(1),
        price_unit=diff,
    )
    lines = (*lines, rounding)
    return lines, order_totals(lines, taxes, digits), shopify_total, None


def plan_order(order: ShopifyOrder, odoo: OdooOrderState, settings: OrderSettings) -> OrderDecision:
    """Decide what Odoo must do so that it reflects ``order`` exactly once."""
    existing = odoo.existing
    if order.cancelled_at is not None:
        return _plan_cancel(order, existing)
    if existing is not None and existing.state == "cancel":
        return _parked(order, [messages.cancelled_in_odoo(order, existing)])

    problems: list[Problem] = []
    currency = next((c for c in odoo.currencies if c.code == order.presentment_currency), None)
    if currency is None:
        problems.append(messages.currency_missing(order))
    digits = currency.decimal_places if currency else 2
    result = plan_lines(order, odoo, settings)
    problems.extend(result.problems)
    warnings = list(result.warnings)
    if problems:
        return _parked(order, problems)
    lines, totals, shopify_total, total_problem = _with_rounding(
        order, odoo, settings, result.lines, digits
    )
    if total_problem is not None:
        return _parked(order, [total_problem])
    confirm = should_confirm(settings.confirmation, order.financial_status)

    if existing is None:
        partner = customers.plan_partner(
            order, odoo.partners, odoo.countries, odoo.states, settings.guest_partner_id
        )
        if isinstance(partner, Problem):
            return _parked(order, [partner])
        assert currency is not None  # problems above would have parked the order
        return SaleOrderPlan(
            store=order.store,
            order_id=order.id,
            order_name=order.name,
            client_order_ref=order.client_order_ref,
            partner=partner,
            currency_code=currency.code,
            currency_id=currency.currency_id,
            pricelist_id=currency.pricelist_id,
            team_id=settings.team_id,
            company_id=settings.company_id,
            warehouse_id=result.warehouse_id,
            carrier_id=settings.carrier_id if any(x.is_delivery for x in lines) else None,
            date_order=order.processed_at,
            lines=lines,
            confirm=confirm,
            totals=totals,
            shopify_total=shopify_total,
            warnings=(*warnings, *partner.warnings),
        )

    diff = diff_lines(lines, existing)
    must_confirm = confirm and existing.state in ("draft", "sent")
    if diff.is_empty and not must_confirm:
        return NoChange(order.client_order_ref, existing.id, "Odoo already reflects the order")
    if not diff.is_empty:
        delivered = _delivered(existing)
        if delivered > 0:
            return _parked(order, [messages.edited_after_delivery(order, existing, delivered)])
        if existing.locked or existing.state == "done":
            return _parked(order, [messages.sale_order_locked(order, existing)])
    return SaleOrderUpdate(
        sale_order_id=existing.id,
        sale_order_name=existing.name,
        client_order_ref=order.client_order_ref,
        add=diff.add,
        write=diff.write,
        unlink_line_ids=diff.unlink_line_ids,
        zero_line_ids=diff.zero_line_ids,
        confirm=must_confirm,
        totals=totals,
        warnings=tuple(warnings),
    )
