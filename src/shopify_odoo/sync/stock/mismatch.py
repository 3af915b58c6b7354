"""``mismatch``: which levels differ from their target now, and how much is oversold.

It runs the planner on the same snapshots (so "target" means exactly what a sweep would write,
two-way edits absorbed included) and reports, for the reconcile dry run and the metrics:

* ``rows``: one per (store, inventory item, location) whose Shopify ``available`` differs from
  its target, sorted by store, SKU, location;
* ``checked`` / ``mismatched`` / ``units_off`` (Σ |target − shown|);
* ``oversold``: units Shopify could sell beyond what Odoo can ship minus buffers and in-flight
  orders (split: Σ over the pool's locations; shared: the worst location; see ``PoolFigures``);
* ``short``: units already sold (in flight) beyond what Odoo has.
"""

from __future__ import annotations

from dataclasses import dataclass

from shopify_odoo.sync.ledger import Ledger
from shopify_odoo.sync.model import StockPolicy, StockWorld
from shopify_odoo.sync.stock.plan import PoolFigures, Skip
from shopify_odoo.sync.stock.planner import plan_stock


@dataclass(frozen=True, slots=True)
class MismatchRow:
    store: str
    sku: str
    product_id: int
    inventory_item_gid: str
    location_gid: str
    pool: str
    shopify: int
    target: int

    @property
    def diff(self) -> int:
        return self.target - self.shopify


@dataclass(frozen=True, slots=True)
class MismatchReport:
    rows: tuple[MismatchRow, ...]
    checked: int
    oversold: int
    short: int
    figures: tuple[PoolFigures, ...]
    skipped: tuple[Skip, ...]

    @property
    def mismatched(self) -> int:
        return len(self.rows)

    @property
    def units_off(self) -> int:
        return sum(abs(r.diff) for r in self.rows)

    def totals(self) -> dict[str, int]:
        """The dry-run footer: stable keys, also emitted as JSON by the CLI."""
        return {
            "checked": self.checked,
            "mismatched": self.mismatched,
            "units_off": self.units_off,
            "oversold": self.oversold,
            "short": self.short,
            "skipped": len(self.skipped),
        }


def mismatch(world: StockWorld, ledger: Ledger, policy: StockPolicy) -> MismatchReport:
    plan = plan_stock(world, ledger, policy)
    rows = tuple(
        sorted(
            (
                MismatchRow(
                    store=o.key.store,
                    sku=o.sku,
                    product_id=o.product_id,
                    inventory_item_gid=o.key.inventory_item_gid,
                    location_gid=o.key.location_gid,
                    pool=o.pool,
                    shopify=o.shown,
                    target=o.target,
                )
                for o in plan.outcomes
                if o.diff != 0
            ),
            key=lambda r: (r.store, r.sku, r.location_gid, r.inventory_item_gid),
        )
    )
    return MismatchReport(
        rows=rows,
        checked=len(plan.outcomes),
        oversold=plan.oversold,
        short=plan.short,
        figures=plan.figures,
        skipped=plan.skipped,
    )
