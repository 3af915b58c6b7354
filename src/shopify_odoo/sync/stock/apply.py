"""What a fully successful execution of a ``StockPlan`` does to the snapshots, as a pure model.

Used by the property tests ("apply then plan is empty") and by simulations as the reference
of a perfect executor: Odoo adjustments move ``qty_available`` and ``free_qty`` at their
location by ``delta``; ledger changes are applied; every write sets Shopify's ``available`` and
records its ``after_success`` mark.  Read times stay as they were (nothing else happened).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from shopify_odoo.sync.ledger import Ledger, LedgerEvent, SetMark, apply_events
from shopify_odoo.sync.model import OdooStock, StockWorld
from shopify_odoo.sync.stock.plan import StockPlan


def apply_plan(world: StockWorld, ledger: Ledger, plan: StockPlan) -> tuple[StockWorld, Ledger]:
    odoo = {(r.product_id, r.location_id): r for r in world.odoo}
    for adj in plan.adjustments:
        key = (adj.product_id, adj.location_id)
        row = odoo.get(key) or OdooStock(adj.product_id, adj.location_id, Decimal(0), Decimal(0))
        odoo[key] = replace(
            row, qty_available=row.qty_available + adj.delta, free_qty=row.free_qty + adj.delta
        )
    written = {w.key: w.quantity for w in plan.writes}
    levels = tuple(
        replace(lv, available=written[lv.key]) if lv.key in written else lv for lv in world.levels
    )
    events: list[LedgerEvent] = list(plan.ledger_changes)
    events.extend(SetMark(w.after_success) for w in plan.writes)
    new_world = replace(world, odoo=tuple(odoo[k] for k in sorted(odoo)), levels=levels)
    return new_world, apply_events(ledger, events)
