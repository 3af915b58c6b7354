"""Order planners: a Shopify order and the Odoo state → create/update/cancel/park a sale order.

Public API (pure; the engine calls these and applies the result):

* :func:`plan_order` → :data:`OrderDecision` (``SaleOrderPlan | SaleOrderUpdate |
  CancelSaleOrder | NoChange | Parked``); ``decision.is_empty`` is True only for ``NoChange``.
* :func:`plan_lines` (lines and warehouse without the total check), :func:`should_confirm`.
* :func:`line_amounts` / :func:`order_totals`: Odoo's arithmetic for sale order lines.
"""

from shopify_odoo.sync.orders.changes import LineDiff, diff_lines
from shopify_odoo.sync.orders.lines import LinesResult, plan_lines
from shopify_odoo.sync.orders.plan_types import (
    CancelSaleOrder,
    LineRole,
    LineWrite,
    NoChange,
    OrderDecision,
    Parked,
    PlannedLine,
    SaleOrderPlan,
    SaleOrderUpdate,
)
from shopify_odoo.sync.orders.planner import PAID_STATUSES, ROUNDING_KEY, plan_order, should_confirm
from shopify_odoo.sync.orders.totals import (
    LineAmounts,
    OrderTotals,
    line_amounts,
    order_totals,
    round_money,
)

__all__ = [
    "PAID_STATUSES",
    "ROUNDING_KEY",
    "CancelSaleOrder",
    "LineAmounts",
    "LineDiff",
    "LineRole",
    "LineWrite",
    "LinesResult",
    "NoChange",
    "OrderDecision",
    "OrderTotals",
    "Parked",
    "PlannedLine",
    "SaleOrderPlan",
    "SaleOrderUpdate",
    "diff_lines",
    "line_amounts",
    "order_totals",
    "plan_lines",
    "plan_order",
    "round_money",
    "should_confirm",
]
