"""Hypothesis strategies: small random stock worlds (two stores, one or two pools, ledgers)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hypothesis import strategies as st

from shopify_odoo.sync.ledger import (
    Drop,
    Ledger,
    LedgerEvent,
    Mark,
    OdooOrderSeen,
    OrderLine,
    Pending,
    ShopifyOrderSeen,
    apply_events,
)
from shopify_odoo.sync.model import (
    Allocation,
    Direction,
    Level,
    LevelKey,
    Listing,
    OdooStock,
    Pool,
    Route,
    StockItem,
    StockPolicy,
    StockWorld,
)

from .factories import t

STORES = ("eu", "us")
DIRECTIONS = (Direction.ODOO_TO_SHOPIFY, Direction.TWO_WAY, Direction.SHOPIFY_TO_ODOO)


def _gid(store: str, pid: int) -> str:
    return f"gid://shopify/InventoryItem/{store}-{pid}"


def _loc(store: str, n: int) -> str:
    return f"gid://shopify/Location/{store}-{n}"


@st.composite
def policies(draw: st.DrawFn, directions: tuple[Direction, ...] = DIRECTIONS) -> StockPolicy:
    n_pools = draw(st.integers(1, 2))
    pools = []
    for i in range(n_pools):
        allocation = draw(st.sampled_from(Allocation))
        eu = draw(st.integers(0, 100))
        us = draw(st.integers(0, 100 - eu))
        locs = tuple(range(100 + 10 * i, 100 + 10 * i + draw(st.integers(1, 2))))
        pools.append(Pool(f"p{i}", locs, allocation, (("eu", eu), ("us", us))))
    routes = []
    for store in STORES:
        for n in range(draw(st.integers(1, 2))):
            routes.append(
                Route(
                    store,
                    _loc(store, n),
                    f"p{draw(st.integers(0, n_pools - 1))}",
                    draw(st.sampled_from(directions)),
                    draw(st.integers(0, 3)),
                    draw(st.integers(0, 9)) > 0,
                )
            )
    return StockPolicy(tuple(pools), tuple(routes))


def _qty(draw: st.DrawFn, lo: int, hi: int) -> Decimal:
    return Decimal(draw(st.integers(lo * 2, hi * 2))) / 2


@st.composite
def worlds(
    draw: st.DrawFn, policy: StockPolicy, *, calm: bool = False
) -> tuple[StockWorld, Ledger]:
    """A world and its ledger.  ``calm``: no drops, no orders after the marks, marks = reads."""
    pids = range(1, draw(st.integers(1, 2)) + 1)
    items = []
    for pid in pids:
        listings = tuple(
            Listing(s, _gid(s, pid), tracked=calm or draw(st.integers(0, 9)) > 0) for s in STORES
        )
        items.append(StockItem(pid, f"SKU-{pid}", calm or draw(st.integers(0, 9)) > 0, listings))
    odoo = []
    for pid in pids:
        for pool in policy.pools:
            for loc in pool.odoo_location_ids:
                qty = _qty(draw, 0, 20)
                free = min(qty, _qty(draw, 0, 20))
                odoo.append(OdooStock(pid, loc, qty, free, _qty(draw, 0, 3)))
    levels: list[Level] = []
    marks: list[Mark] = []
    drops: list[Drop] = []
    for pid in pids:
        for route in policy.routes:
            if not calm and draw(st.integers(0, 9)) == 0:
                continue
            read_at = t(100 + draw(st.integers(0, 50)))
            available = draw(st.integers(-2, 25))
            key = LevelKey(route.store, _gid(route.store, pid), route.location_gid)
            levels.append(
                Level(route.store, key.inventory_item_gid, key.location_gid, available, read_at)
            )
            if calm:
                marks.append(Mark(key, available, t(99)))
                continue
            mark_at: datetime | None = None
            if draw(st.booleans()):
                mark_at = t(draw(st.integers(0, 99)))
                pending = (
                    Pending(draw(st.integers(0, 25)), mark_at) if draw(st.booleans()) else None
                )
                marks.append(Mark(key, draw(st.integers(-2, 25)), mark_at, pending))
            if draw(st.integers(0, 3)) == 0:
                at = t(draw(st.integers(1, 99)))
                if mark_at is not None:
                    at = min(at, mark_at)
                since = t(draw(st.integers(0, 99)))
                since = min(since, at)
                drops.append(
                    Drop(
                        key,
                        at,
                        since,
                        draw(st.integers(1, 5)),
                        pid,
                        route.pool,
                        draw(st.booleans()),
                    )
                )
    events: list[LedgerEvent] = []
    for n in range(draw(st.integers(0, 4))):
        route = draw(st.sampled_from(policy.routes))
        pid = draw(st.sampled_from(list(pids)))
        placed = draw(st.integers(0, 98 if calm else 200))
        line = OrderLine(
            pid, route.pool, route.location_gid, _gid(route.store, pid), draw(st.integers(1, 4))
        )
        events.append(
            ShopifyOrderSeen(
                route.store, str(n), t(placed), t(placed), (line,), draw(st.booleans()) and not calm
            )
        )
        if draw(st.booleans()):
            held = draw(st.sampled_from([None, ((pid, 1),), ((pid, 9),)]))
            events.append(
                OdooOrderSeen(route.store, str(n), t(placed + 1), draw(st.booleans()), held)
            )
    cursors = tuple(
        (s, t(draw(st.integers(0, 250)))) for s in STORES if calm or draw(st.booleans())
    )
    ledger = apply_events(
        Ledger(marks=tuple(sorted(marks, key=lambda m: m.key)), drops=tuple(drops)), events
    )
    world = StockWorld(tuple(items), tuple(odoo), tuple(levels), cursors)
    return world, ledger


def order_events() -> st.SearchStrategy[list[LedgerEvent]]:
    line = st.builds(
        OrderLine,
        product_id=st.integers(1, 2),
        pool=st.sampled_from(["p0", "p1"]),
        location_gid=st.sampled_from(["L1", "L2"]),
        inventory_item_gid=st.sampled_from(["I1", "I2"]),
        quantity=st.integers(0, 5),
    )
    shop = st.builds(
        ShopifyOrderSeen,
        store=st.sampled_from(STORES),
        order_id=st.sampled_from(["1", "2", "3"]),
        updated_at=st.integers(0, 5).map(t),
        placed_at=st.integers(0, 5).map(t),
        lines=st.lists(line, max_size=3).map(tuple),
        cancelled=st.booleans(),
    )
    odoo = st.builds(
        OdooOrderSeen,
        store=st.sampled_from(STORES),
        order_id=st.sampled_from(["1", "2", "3"]),
        version=st.integers(0, 5).map(t),
        confirmed=st.booleans(),
        held=st.none()
        | st.lists(st.tuples(st.integers(1, 2), st.integers(0, 5)), max_size=2).map(tuple),
    )
    return st.lists(shop | odoo, max_size=12)
