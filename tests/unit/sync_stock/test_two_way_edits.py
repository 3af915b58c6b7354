"""``two_way`` merchant edits reach Odoo exactly once, whatever the sales around them.

The pure simulation of ``test_late_orders`` with merchant edits both ways (a restock by hand
raises ``available``, a stock-take lowers it) interleaved with storefront sales whose webhooks
come late, duplicated or out of order, sync passes and order polls.  A sale and a restock in
the same window can cancel out in Shopify's figure (nothing seems to happen); the sale heard of
later must still reveal the restock.  At quiescence Odoo's on-hand is what is physically on the
shelves: no edit lost, none applied twice, and nothing is left to plan.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from shopify_odoo.sync.ledger import apply_event
from shopify_odoo.sync.model import Allocation, Direction, Pool, Route, StockPolicy
from shopify_odoo.sync.stock import mismatch, plan_stock

from .test_late_orders import LOC, STORES, Sim


class EditSim(Sim):
    def step(self, kind: str, store: str, n: int) -> None:
        route = next(r for r in self.policy.routes if r.store == store)
        if kind == "restock":  # the merchant adds units by hand in Shopify
            self.available[store] += n
            if route.direction is Direction.TWO_WAY:
                self.physical += n
            self.edited = True
            self.tick()
        elif kind == "redeliver":  # a webhook delivered again (duplicate, maybe stale)
            seen = [o for o in self.orders if o.delivered]
            if seen:
                self.ledger = apply_event(self.ledger, self.seen(seen[n % len(seen)]))
        else:
            super().step(kind, store, n)


KINDS = (
    *("sale", "sale", "deliver", "redeliver", "receipt", "confirm", "ship"),
    *("sync", "sync", "poll", "edit", "restock", "restock"),
)
steps = st.lists(
    st.tuples(st.sampled_from(KINDS), st.sampled_from(STORES), st.integers(1, 4)),
    min_size=4,
    max_size=40,
)
policies = st.builds(
    lambda allocation, eu, d2: StockPolicy(
        pools=(Pool("main", (10,), allocation, (("eu", eu), ("us", 100 - eu))),),
        routes=(
            Route("eu", LOC["eu"], "main", Direction.TWO_WAY),
            Route("us", LOC["us"], "main", d2),
        ),
    ),
    st.sampled_from(Allocation),
    st.integers(0, 100),
    st.sampled_from((Direction.ODOO_TO_SHOPIFY, Direction.TWO_WAY)),
)
TWO_WAY = StockPolicy(
    pools=(Pool("main", (10,)),),
    routes=(
        Route("eu", LOC["eu"], "main", Direction.TWO_WAY),
        Route("us", LOC["us"], "main", Direction.TWO_WAY),
    ),
)


@settings(max_examples=150, deadline=None)
@given(policies, st.integers(0, 20), steps)
@example(  # a sale and a restock of 3 cancel out in Shopify, then an Odoo receipt is pushed
    TWO_WAY,
    10,
    [
        ("sync", "eu", 1),
        ("sale", "eu", 3),
        ("restock", "eu", 3),
        ("sync", "eu", 1),
        ("receipt", "eu", 2),
        ("sync", "eu", 1),
        ("deliver", "eu", 0),
        ("sync", "eu", 1),
    ],
)
def test_two_way_edits_reach_odoo_exactly_once_whatever_the_sales_around_them(
    policy: StockPolicy, on_hand: int, script: list[tuple[str, str, int]]
) -> None:
    sim = EditSim(policy, on_hand)
    sim.sync()
    for kind, store, n in script:
        sim.step(kind, store, n)
    # quiescence: every webhook delivered, the poller's cursor past everything
    for _ in range(2):
        sim.tick()
        sim.tick()
        sim.poll()
        sim.sync()
    assert sim.on_hand == sim.physical
    world = sim.world()
    assert plan_stock(world, sim.ledger, policy).is_empty
    assert mismatch(world, sim.ledger, policy).rows == ()
