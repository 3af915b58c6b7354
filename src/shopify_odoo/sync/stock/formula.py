"""The stock formula of DESIGN.md §2, as small pure functions.

::

    sellable(P, M)  = Σ over M of min(free_qty, qty_available − outgoing_qty)
    in_flight(P, M) = ledger order units of P drawing on the pool (any store) + unexplained drops
    target(P, L)    = max(0, floor(sellable − in_flight − buffer(P, L)))

A location whose ``min(...)`` is negative (more outgoing than on hand) lowers the pool's total:
those moves will be served from somewhere, so counting them is the oversell-safe choice.

Allocation per pool:

* ``shared``: every location sees its own ``target(P, L)`` (the full pool less its buffer).
* ``split``: ``capacity = max(0, floor(sellable − in_flight − Σ buffers of the pool's rows))``
  is cut by the stores' percentages with the largest-remainder method: every store first gets
  ``floor(capacity × pct / 100)``; the units left over up to ``floor(capacity × Σpct / 100)``
  go one each to the stores with the largest fractional parts (ties: larger percentage, then
  store name).  The sum therefore never exceeds the capacity (percentages sum to ≤ 100);
  what a Σpct below 100 leaves out stays in Odoo, shown by no store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal

from shopify_odoo.sync.model import OdooStock


def sellable(figures: Iterable[OdooStock], product_id: int, locations: Iterable[int]) -> Decimal:
    """Σ over ``locations`` of ``min(free_qty, qty_available − outgoing_qty)`` for the product."""
    wanted = set(locations)
    total = Decimal(0)
    for row in figures:
        if row.product_id == product_id and row.location_id in wanted:
            total += row.sellable
    return total


def floor_nonneg(value: Decimal) -> int:
    """``max(0, floor(value))``."""
    return max(0, math.floor(value))


def shared_target(sellable_qty: Decimal, in_flight: int, buffer: int) -> int:
    return floor_nonneg(sellable_qty - in_flight - buffer)


def split_shares(capacity: int, percents: Mapping[str, Decimal | int]) -> dict[str, int]:
    """Cut ``capacity`` by ``percents`` (largest remainder; see the module rules)."""
    if capacity <= 0 or not percents:
        return dict.fromkeys(percents, 0)
    pct = {store: max(Decimal(0), min(Decimal(100), Decimal(p))) for store, p in percents.items()}
    total_pct = sum(pct.values(), Decimal(0))
    if total_pct > 100:  # refused by the configuration check; never exceed the pool anyway
        exact = {s: Decimal(capacity) * p / total_pct for s, p in pct.items()}
        limit = capacity
    else:
        exact = {s: Decimal(capacity) * p / 100 for s, p in pct.items()}
        limit = math.floor(Decimal(capacity) * total_pct / 100)
    shares = {s: math.floor(v) for s, v in exact.items()}
    left = limit - sum(shares.values())
    order = sorted(exact, key=lambda s: (-(exact[s] - shares[s]), -pct[s], s))
    for store in order:
        if left <= 0:
            break
        if exact[store] - shares[store] > 0:
            shares[store] += 1
            left -= 1
    return shares
