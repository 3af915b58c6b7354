"""Stock: the pure planner of DESIGN.md §2 (formula, allocation, directions, echo suppression).

Public API: ``plan_stock`` → ``StockPlan``; ``mismatch`` → ``MismatchReport``;
``apply_plan`` (the model of a perfect executor); ``check_policy`` (location map problems).
See each module's docstring for its rules.
"""

from shopify_odoo.sync.stock.apply import apply_plan
from shopify_odoo.sync.stock.formula import sellable, shared_target, split_shares
from shopify_odoo.sync.stock.mismatch import MismatchReport, MismatchRow, mismatch
from shopify_odoo.sync.stock.plan import (
    SHOPIFY_BATCH,
    AdjustReason,
    LevelOutcome,
    OdooAdjustment,
    PoolFigures,
    QuantityWrite,
    Skip,
    SkipReason,
    StockPlan,
    batch_idempotency_key,
)
from shopify_odoo.sync.stock.planner import plan_stock
from shopify_odoo.sync.stock.policy_check import check_policy

__all__ = [
    "SHOPIFY_BATCH",
    "AdjustReason",
    "LevelOutcome",
    "MismatchReport",
    "MismatchRow",
    "OdooAdjustment",
    "PoolFigures",
    "QuantityWrite",
    "Skip",
    "SkipReason",
    "StockPlan",
    "apply_plan",
    "batch_idempotency_key",
    "check_policy",
    "mismatch",
    "plan_stock",
    "sellable",
    "shared_target",
    "split_shares",
]
