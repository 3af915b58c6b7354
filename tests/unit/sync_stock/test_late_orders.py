"""A small pure simulation of DESIGN.md §2 "Orders we have not heard of yet".

Storefront sales happen in two stores sharing one Odoo pool; their webhooks arrive late or in
any order; merchants edit figures in Shopify (``odoo_to_shopify`` or ``two_way`` locations);
Odoo receives stock, confirms and ships orders; sync passes run in between.  After
every sync pass the units Shopify can still sell never exceed what Odoo can ship minus buffers
and every order it does not hold yet, including the orders we have not heard of (split: summed
over the stores; shared: at each location).  At the end, with every webhook delivered, the
world converges: nothing left to plan, no mismatch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shopify_odoo.sync.ledger import (
    Ledger,
    OdooOrderSeen,
    OrderLine,
    ShopifyOrderSeen,
    apply_event,
)
from shopify_odoo.sync.model import (
    Allocation,
    Direction,
    Level,
    Listing,
    OdooStock,
    Pool,
    Route,
    StockItem,
    StockPolicy,
    StockWorld,
)
from shopify_odoo.sync.stock import apply_plan, mismatch, plan_stock

from .factories import t

STORES = ("eu", "us")
LOC = {"eu": "gid://shopify/Location/1", "us": "gid://shopify/Location/2"}
ITEM = {"eu": "gid://shopify/InventoryItem/eu", "us": "gid://shopify/InventoryItem/us"}


@dataclass
class Order:
    store: str
    oid: str
    qty: int
    placed: int
    delivered: bool = False
    confirmed: bool = False
    shipped: bool = False


@dataclass
class Sim:
    policy: StockPolicy
    on_hand: int
    now: int = 0
    outgoing: int = 0
    available: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STORES, 0))
    orders: list[Order] = field(default_factory=list)
    ledger: Ledger = field(default_factory=Ledger)
    #: the order poller's cursor per store (seconds): every order placed up to it is seen
    cursor: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STORES, 0))
    #: a merchant edited a figure in Shopify since the poller's cursor last passed everything
    edited: bool = False
    #: what is physically on the shelves: Odoo must end up agreeing (two-way edits included)
    physical: int = 0

    def __post_init__(self) -> None:
        self.physical = self.on_hand

    def tick(self) -> int:
        self.now += 1
        return self.now

    def world(self) -> StockWorld:
        cursors = tuple((s, t(c)) for s, c in self.cursor.items())
        qty = Decimal(self.on_hand)
        return StockWorld(
            items=(StockItem(1, "SKU", True, tuple(Listing(s, ITEM[s]) for s in STORES)),),
            odoo=(OdooStock(1, 10, qty, qty - self.outgoing, Decimal(self.outgoing)),),
            levels=tuple(Level(s, ITEM[s], LOC[s], self.available[s], t(self.now)) for s in STORES),
            order_cursors=cursors,
        )

    def sync(self) -> None:
        world = self.world()
        plan = plan_stock(world, self.ledger, self.policy)
        world, self.ledger = apply_plan(world, self.ledger, plan)
        for level in world.levels:
            self.available[level.store] = level.available
        self.on_hand = int(world.odoo[0].qty_available)  # two-way edits adjust Odoo
        self.tick()

    def seen(self, o: Order) -> ShopifyOrderSeen:
        line = OrderLine(1, "main", LOC[o.store], ITEM[o.store], o.qty)
        return ShopifyOrderSeen(o.store, o.oid, t(o.placed), t(o.placed), (line,))

    def poll(self) -> None:
        """The order poller: delivers what it finds and moves each store's cursor."""
        for o in self.orders:
            if not o.delivered and o.placed <= self.now - 2:
                o.delivered = True
                self.ledger = apply_event(self.ledger, self.seen(o))
        for store in STORES:
            waiting = [o.placed for o in self.orders if o.store == store and not o.delivered]
            self.cursor[store] = min(waiting) - 1 if waiting else self.now
        self.tick()

    def step(self, kind: str, store: str, n: int) -> None:
        if kind == "sale" and 0 < n <= self.available[store]:
            self.available[store] -= n
            self.orders.append(Order(store, str(len(self.orders)), n, self.tick()))
        elif kind == "deliver":
            waiting = [o for o in self.orders if not o.delivered]
            if waiting:
                o = waiting[n % len(waiting)]
                o.delivered = True
                self.ledger = apply_event(self.ledger, self.seen(o))
                self.tick()
        elif kind == "receipt":
            self.on_hand += n
            self.physical += n
            self.tick()
        elif kind == "confirm":
            ready = [o for o in self.orders if o.delivered and not o.confirmed]
            if ready:
                o = ready[n % len(ready)]
                o.confirmed = True
                self.outgoing += o.qty
                event = OdooOrderSeen(o.store, o.oid, t(self.tick()), confirmed=True)
                self.ledger = apply_event(self.ledger, event)
        elif kind == "ship":
            sent = [o for o in self.orders if o.confirmed and not o.shipped]
            if sent:
                o = sent[n % len(sent)]
                o.shipped = True
                self.on_hand -= o.qty
                self.physical -= o.qty
                self.outgoing -= o.qty
                self.tick()
        elif kind == "sync":
            self.sync()
        elif kind == "poll":
            self.poll()
        elif kind == "edit":  # a merchant lowers the figure by hand (see the xfail below)
            lowered = min(n, self.available[store])
            self.available[store] -= lowered
            route = next(r for r in self.policy.routes if r.store == store)
            if route.direction is Direction.TWO_WAY:  # a stock-take Odoo must learn of
                self.physical -= lowered
            self.edited = True
            self.tick()

    def check_never_oversold(self) -> None:
        """Right after a sync pass the figures are exact: never more (oversell), and not less
        either (an order is counted once, as a drop until heard of, then as an order)."""
        not_held = sum(o.qty for o in self.orders if not o.confirmed)
        can_ship = self.on_hand - self.outgoing - not_held
        routes = {r.store: r for r in self.policy.routes}
        pool = self.policy.pools[0]
        if pool.allocation is Allocation.SPLIT:
            buffers = sum(r.buffer for r in routes.values())
            total, bound = sum(self.available.values()), max(0, math.floor(can_ship - buffers))
            # a merchant's decrease counts as a possible order until the poller passed it
            assert total <= bound if self.edited else total == bound
        else:
            for store, shown in self.available.items():
                bound = max(0, can_ship - routes[store].buffer)
                assert shown <= bound if self.edited else shown == bound


KINDS = (
    *("sale", "sale", "sale", "deliver", "receipt", "confirm", "ship"),
    *("sync", "sync", "poll", "edit"),
)
steps = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.sampled_from(STORES),
        st.integers(1, 4),
    ),
    min_size=4,
    max_size=40,
)
DIRECTIONS = st.sampled_from((Direction.ODOO_TO_SHOPIFY, Direction.TWO_WAY))
policies = st.builds(
    lambda allocation, eu, b1, b2, d1, d2: StockPolicy(
        pools=(Pool("main", (10,), allocation, (("eu", eu), ("us", 100 - eu))),),
        routes=(
            Route("eu", LOC["eu"], "main", d1, buffer=b1),
            Route("us", LOC["us"], "main", d2, buffer=b2),
        ),
    ),
    st.sampled_from(Allocation),
    st.integers(0, 100),
    st.integers(0, 1),
    st.integers(0, 1),
    DIRECTIONS,
    DIRECTIONS,
)


@settings(max_examples=300, deadline=None)
@given(policies, st.integers(0, 20), steps)
@example(  # a sale heard of after the pass that saw its drop: counted once, not twice
    StockPolicy(
        pools=(Pool("main", (10,)),),
        routes=(Route("eu", LOC["eu"], "main"), Route("us", LOC["us"], "main")),
    ),
    5,
    [("sale", "eu", 2), ("sync", "eu", 1), ("deliver", "eu", 0), ("sync", "eu", 1)],
)
def test_late_webhooks_never_let_shopify_oversell_nor_undersell_and_the_world_converges(
    policy: StockPolicy, on_hand: int, script: list[tuple[str, str, int]]
) -> None:
    sim = Sim(policy, on_hand)
    sim.sync()
    sim.check_never_oversold()
    for kind, store, n in script:
        sim.step(kind, store, n)
        if kind == "sync":
            sim.check_never_oversold()
    # quiescence: every webhook delivered, the poller's cursor past everything
    for _ in range(2):  # the second pass sees the poller past the first pass's reads
        sim.tick()
        sim.tick()
        sim.poll()
        sim.sync()
    sim.edited = False  # the poller passed every edit: figures must be exact again
    assert sim.on_hand == sim.physical
    sim.check_never_oversold()
    world = sim.world()
    assert plan_stock(world, sim.ledger, policy).is_empty
    assert mismatch(world, sim.ledger, policy).rows == ()


@pytest.mark.xfail(strict=True, reason="known limit of the available-based rule, see docstring")
def test_a_merchant_rise_in_the_same_window_masks_a_sale_not_heard_of_yet() -> None:
    """Known gap: between two passes a storefront sale (webhook late) takes 1 unit and the
    merchant adds 1 by hand; ``available`` is back where we left it, so nothing looks unexplained
    and the pass offers the sold unit again until the webhook or the poller brings the order.
    Shopify's ``committed`` quantity would reveal the sale; the planner does not read it yet."""
    policy = StockPolicy(
        pools=(Pool("main", (10,)),),
        routes=(Route("eu", LOC["eu"], "main"), Route("us", LOC["us"], "main")),
    )
    sim = Sim(policy, 1)
    sim.sync()
    sim.step("sale", "eu", 1)
    sim.available["eu"] += 1  # the merchant's edit
    sim.edited = True
    sim.sync()
    sim.check_never_oversold()
