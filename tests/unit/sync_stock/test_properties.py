"""Property tests of the stock planner and the ledger (issue 7 Must show, STYLE.md §10)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopify_odoo.sync.ledger import (
    Drop,
    Ledger,
    LedgerEvent,
    RecordDrop,
    ResolveDrop,
    SetMark,
    apply_events,
    in_flight_units,
)
from shopify_odoo.sync.model import Allocation, Direction, LevelKey
from shopify_odoo.sync.stock import apply_plan, mismatch, plan_stock, sellable, split_shares

from .factories import t
from .strategies import order_events, policies, worlds

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PUSH_ONLY = (Direction.ODOO_TO_SHOPIFY, Direction.TWO_WAY)


@st.composite
def scenario(draw: st.DrawFn, **kw):  # type: ignore[no-untyped-def]
    policy = draw(policies(**kw))
    world, ledger = draw(worlds(policy))
    return policy, world, ledger


@SETTINGS
@given(scenario())
def test_applying_a_plan_then_planning_again_plans_nothing(case) -> None:  # type: ignore[no-untyped-def]
    policy, world, ledger = case
    plan = plan_stock(world, ledger, policy)
    world2, ledger2 = apply_plan(world, ledger, plan)
    again = plan_stock(world2, ledger2, policy)
    assert again.is_empty, (again.writes, again.adjustments, again.ledger_changes)
    assert mismatch(world2, ledger2, policy).rows == ()


@SETTINGS
@given(scenario())
def test_a_crash_before_the_shopify_writes_leaves_a_consistent_state(case) -> None:  # type: ignore[no-untyped-def]
    """Odoo adjustments and ledger changes applied, writes lost: the next pass re-plans exactly
    the same writes and nothing else (no edit imported twice, no drop counted twice)."""
    policy, world, ledger = case
    plan = plan_stock(world, ledger, policy)
    world2, ledger2 = apply_plan(world, ledger, replace(plan, writes=()))
    again = plan_stock(world2, ledger2, policy)
    assert (again.adjustments, again.ledger_changes) == ((), ())
    assert again.writes == plan.writes


@SETTINGS
@given(scenario())
def test_a_write_that_landed_unrecorded_is_recognised_as_ours(case) -> None:  # type: ignore[no-untyped-def]
    """Shopify took the writes but we crashed before recording ``after_success``: the pending
    marks tell our own values apart from merchant edits, so nothing is echoed or re-written."""
    policy, world, ledger = case
    plan = plan_stock(world, ledger, policy)
    world2, _ = apply_plan(world, ledger, plan)
    events: list[LedgerEvent] = [
        *plan.ledger_changes,
        *(SetMark(w.before_send) for w in plan.writes),
    ]
    ledger2 = apply_events(ledger, events)
    again = plan_stock(world2, ledger2, policy)
    assert again.adjustments == ()
    assert again.writes == ()
    assert all(isinstance(c, SetMark) for c in again.ledger_changes)


@SETTINGS
@given(scenario())
def test_targets_and_writes_are_never_negative(case) -> None:  # type: ignore[no-untyped-def]
    policy, world, ledger = case
    plan = plan_stock(world, ledger, policy)
    assert all(o.target >= 0 for o in plan.outcomes)
    assert all(w.quantity >= 0 for w in plan.writes)


@SETTINGS
@given(scenario(directions=(Direction.ODOO_TO_SHOPIFY,)))
def test_split_never_shows_more_than_the_pool_minus_in_flight_and_buffers(case) -> None:  # type: ignore[no-untyped-def]
    policy, world, ledger = case
    plan = plan_stock(world, ledger, policy)
    shown: dict[tuple[int, str], int] = defaultdict(int)
    for o in plan.outcomes:
        shown[(o.product_id, o.pool)] += o.target
    for (pid, pool_name), total in shown.items():
        pool = policy.pool(pool_name)
        assert pool is not None
        if pool.allocation is not Allocation.SPLIT:
            continue
        buffers = sum(
            policy.buffer(f"SKU-{pid}", policy.route(o.key.store, o.key.location_gid))  # type: ignore[arg-type]
            for o in plan.outcomes
            if (o.product_id, o.pool) == (pid, pool_name)
        )
        can_ship = sellable(world.odoo, pid, pool.odoo_location_ids)
        bound = max(0, math.floor(can_ship - in_flight_units(ledger, pid, pool_name) - buffers))
        assert total <= bound
    # and once applied, the oversell measure of split pools is zero
    world2, ledger2 = apply_plan(world, ledger, plan)
    report = mismatch(world2, ledger2, policy)
    assert all(
        f.oversold == 0
        for f in report.figures
        if policy.pool(f.pool).allocation is Allocation.SPLIT  # type: ignore[union-attr]
    )


@SETTINGS
@given(st.data())
def test_when_shopify_already_shows_the_targets_the_plan_is_empty(data) -> None:  # type: ignore[no-untyped-def]
    policy = data.draw(policies(directions=PUSH_ONLY))
    world, ledger = data.draw(worlds(policy, calm=True))
    # set every controlled level to the formula's value, computed here independently
    levels = []
    for lv in world.levels:
        route = policy.route(lv.store, lv.location_gid)
        assert route is not None
        pool = policy.pool(route.pool)
        assert pool is not None
        pid = int(lv.inventory_item_gid.rsplit("-", 1)[1])
        base = sellable(world.odoo, pid, pool.odoo_location_ids) - in_flight_units(
            ledger, pid, pool.name
        )
        if not route.enabled:
            target = lv.available  # excluded: left alone
        elif pool.allocation is Allocation.SHARED:
            target = max(0, math.floor(base - policy.buffer(f"SKU-{pid}", route)))
        else:
            rows = [r for r in policy.routes if r.pool == pool.name and r.enabled]
            stores = [r.store for r in rows]
            rows = [r for r in rows if stores.count(r.store) == 1]  # one location per store
            if stores.count(lv.store) > 1:
                target = lv.available  # refused configuration: left alone
            else:
                buffers = sum(policy.buffer(f"SKU-{pid}", r) for r in rows)
                capacity = max(0, math.floor(base - buffers))
                shares = split_shares(
                    capacity, {r.store: pool.share_percent(r.store) for r in rows}
                )
                target = shares[lv.store]
        levels.append(
            lv.__class__(lv.store, lv.inventory_item_gid, lv.location_gid, target, lv.read_at)
        )
    marks = tuple(
        m.__class__(m.key, next(x.available for x in levels if x.key == m.key), m.at)
        for m in ledger.marks
    )
    ledger = Ledger(orders=ledger.orders, marks=marks)
    world = world.__class__(world.items, world.odoo, tuple(levels), world.order_cursors)
    assert plan_stock(world, ledger, policy).is_empty


@SETTINGS
@given(order_events(), st.randoms(use_true_random=False), st.lists(st.integers(0, 20), max_size=6))
def test_any_permutation_or_duplication_of_order_events_converges(events, rnd, dup) -> None:  # type: ignore[no-untyped-def]
    reference = apply_events(Ledger(), events)
    shuffled: list[LedgerEvent] = list(events) + [events[i % len(events)] for i in dup if events]
    rnd.shuffle(shuffled)
    assert apply_events(Ledger(), shuffled) == reference
    # applying the events again on top changes nothing (idempotent)
    assert apply_events(reference, events) == reference


@SETTINGS
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 3), st.integers(1, 4)),
        max_size=10,
    ),
    st.randoms(use_true_random=False),
)
def test_drop_records_and_resolutions_commute(ops, rnd) -> None:  # type: ignore[no-untyped-def]
    key = LevelKey("eu", "I1", "L1")
    events: list[LedgerEvent] = [
        RecordDrop(Drop(key, t(at), t(0), units, 1, "p0"))
        if record
        else ResolveDrop(Drop(key, t(at), t(1), units, 1, "p0"))
        for record, at, units in ops
    ]
    reference = apply_events(Ledger(), events)
    shuffled = list(events) * 2
    rnd.shuffle(shuffled)
    assert apply_events(Ledger(), shuffled) == reference
