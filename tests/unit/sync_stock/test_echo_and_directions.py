"""Our own writes are never echoed; unexplained drops; the three directions."""

from __future__ import annotations

from decimal import Decimal

from shopify_odoo.sync.ledger import Drop, Ledger, RecordDrop, ResolveDrop, SetMark, apply_events
from shopify_odoo.sync.model import Direction, StockPolicy
from shopify_odoo.sync.stock import AdjustReason, apply_plan, plan_stock

from .factories import (
    EU,
    NEW_YORK,
    PARIS,
    RETAIL,
    US,
    WH_STOCK,
    key,
    level,
    mark,
    odoo,
    order,
    pool,
    route,
    t,
    two_store_policy,
    world,
)

TWO_WAY = two_store_policy(direction=Direction.TWO_WAY)


def test_our_own_landed_write_is_not_taken_for_a_merchant_edit() -> None:
    # we sent 9 (pending) over a read of 4; Shopify now shows 9: our write, not an edit
    ledger = Ledger(marks=(mark(EU, PARIS, 4, pending=9), mark(US, NEW_YORK, 9)))
    w = world(level(EU, PARIS, 9), level(US, NEW_YORK, 9), odoo_rows=(odoo(WH_STOCK, 9),))
    plan = plan_stock(w, ledger, TWO_WAY)
    assert plan.adjustments == ()
    assert plan.writes == ()
    # the pending write is settled; the baseline keeps its time (no window is left behind)
    assert plan.ledger_changes == (SetMark(mark(EU, PARIS, 9, at=50)),)


def test_a_write_that_did_not_land_leaves_the_old_baseline() -> None:
    ledger = Ledger(marks=(mark(EU, PARIS, 4, pending=9), mark(US, NEW_YORK, 9)))
    w = world(level(EU, PARIS, 4), level(US, NEW_YORK, 9), odoo_rows=(odoo(WH_STOCK, 9),))
    plan = plan_stock(w, ledger, TWO_WAY)
    assert plan.adjustments == ()
    assert [(x.quantity, x.change_from) for x in plan.writes] == [(9, 4)]


def test_a_drop_explained_by_a_known_order_is_not_an_edit() -> None:
    ledger = apply_events(
        Ledger(marks=(mark(EU, PARIS, 9), mark(US, NEW_YORK, 9))), [order(EU, "1", 2, PARIS)]
    )
    w = world(level(EU, PARIS, 7), level(US, NEW_YORK, 9), odoo_rows=(odoo(WH_STOCK, 9),))
    plan = plan_stock(w, ledger, TWO_WAY)
    assert plan.adjustments == ()
    # no unexplained fall (a two_way window of 0 units is kept until the order cursor passes)
    assert not any(isinstance(c, RecordDrop) and c.drop.units > 0 for c in plan.ledger_changes)
    assert [(x.store, x.quantity) for x in plan.writes] == [(US, 7)]


def test_an_odoo_receipt_before_a_late_order_webhook_does_not_resell_the_units() -> None:
    # DESIGN.md §2: we wrote 5; a storefront sold 2 (webhook late) → Shopify 3; Odoo receives 4
    ledger = Ledger(marks=(mark(EU, PARIS, 5), mark(US, NEW_YORK, 5)))
    w = world(
        level(EU, PARIS, 3),
        level(US, NEW_YORK, 5),
        odoo_rows=(odoo(WH_STOCK, 9),),
        cursors={EU: 80},
    )
    plan = plan_stock(w, ledger, two_store_policy())
    assert RecordDrop(Drop(key(EU, PARIS), t(100), t(50), 2, 7, "main")) in plan.ledger_changes
    assert sorted((x.store, x.quantity) for x in plan.writes) == [(EU, 7), (US, 7)]


def test_when_the_late_order_arrives_it_replaces_the_drop_and_is_counted_once() -> None:
    ledger = Ledger(marks=(mark(EU, PARIS, 5), mark(US, NEW_YORK, 5)))
    w = world(
        level(EU, PARIS, 3),
        level(US, NEW_YORK, 5),
        odoo_rows=(odoo(WH_STOCK, 9),),
        cursors={EU: 80},
    )
    w1, ledger1 = apply_plan(w, ledger, plan_stock(w, ledger, two_store_policy()))
    ledger2 = apply_events(ledger1, [order(EU, "1001", 2, PARIS, placed=90)])
    plan = plan_stock(w1, ledger2, two_store_policy())
    assert plan.writes == ()  # still 9 − 2 = 7: the order, no longer the drop
    assert plan.figures[0].in_flight == 2


def test_a_drop_becomes_a_merchant_edit_once_the_order_cursor_passed_it() -> None:
    ledger = Ledger(
        marks=(mark(EU, PARIS, 3, at=100), mark(US, NEW_YORK, 7, at=100)),
        drops=(Drop(key(EU, PARIS), t(100), t(50), 2, 7, "main"),),
    )
    w = world(
        level(EU, PARIS, 7, read_at=200),
        level(US, NEW_YORK, 7, read_at=200),
        odoo_rows=(odoo(WH_STOCK, 9),),
        cursors={EU: 150},
    )
    plan = plan_stock(w, ledger, two_store_policy())
    assert ResolveDrop(Drop(key(EU, PARIS), t(100), t(50), 2, 7, "main")) in plan.ledger_changes
    assert sorted((x.store, x.quantity) for x in plan.writes) == [(EU, 9), (US, 9)]


def test_two_way_applies_a_resolved_drop_to_odoo_as_a_negative_delta() -> None:
    ledger = Ledger(
        marks=(mark(EU, PARIS, 3, at=100), mark(US, NEW_YORK, 7, at=100)),
        drops=(Drop(key(EU, PARIS), t(100), t(50), 2, 7, "main"),),
    )
    w = world(
        level(EU, PARIS, 3, read_at=200),
        level(US, NEW_YORK, 7, read_at=200),
        odoo_rows=(odoo(WH_STOCK, 9),),
        cursors={EU: 150},
    )
    plan = plan_stock(w, ledger, TWO_WAY)
    assert [(a.delta, a.reason) for a in plan.adjustments] == [(-2, AdjustReason.SHOPIFY_EDIT)]
    assert sorted((x.store, x.quantity) for x in plan.writes) == [(EU, 7)]


def test_two_way_applies_a_merchant_restock_to_odoo_then_pushes_the_target_back() -> None:
    ledger = Ledger(marks=(mark(EU, PARIS, 5), mark(US, NEW_YORK, 5)))
    w = world(level(EU, PARIS, 8), level(US, NEW_YORK, 5), odoo_rows=(odoo(WH_STOCK, 5),))
    plan = plan_stock(w, ledger, TWO_WAY)
    (adj,) = plan.adjustments
    assert (adj.location_id, adj.delta, adj.on_hand_before, adj.on_hand_after) == (
        WH_STOCK,
        Decimal(3),
        Decimal(5),
        Decimal(8),
    )
    assert adj.sources == (key(EU, PARIS),)
    assert [(x.store, x.quantity) for x in plan.writes] == [(US, 8)]


def test_two_way_merchant_decrease_after_the_cursor_is_applied_at_once() -> None:
    ledger = Ledger(marks=(mark(EU, PARIS, 5), mark(US, NEW_YORK, 5)))
    w = world(
        level(EU, PARIS, 4),
        level(US, NEW_YORK, 5),
        odoo_rows=(odoo(WH_STOCK, 5),),
        cursors={EU: 120},
    )
    plan = plan_stock(w, ledger, TWO_WAY)
    assert [a.delta for a in plan.adjustments] == [Decimal(-1)]
    assert [(x.store, x.quantity) for x in plan.writes] == [(US, 4)]


def test_odoo_to_shopify_overwrites_a_merchant_edit_without_touching_odoo() -> None:
    ledger = Ledger(marks=(mark(EU, PARIS, 5), mark(US, NEW_YORK, 5)))
    w = world(level(EU, PARIS, 8), level(US, NEW_YORK, 5), odoo_rows=(odoo(WH_STOCK, 5),))
    plan = plan_stock(w, ledger, two_store_policy())
    assert plan.adjustments == ()
    assert [(x.store, x.quantity, x.change_from) for x in plan.writes] == [(EU, 5, 8)]


def test_a_two_way_level_without_a_mark_is_a_baseline_not_an_edit() -> None:
    w = world(level(EU, PARIS, 8), level(US, NEW_YORK, 5), odoo_rows=(odoo(WH_STOCK, 5),))
    plan = plan_stock(w, Ledger(), TWO_WAY)
    assert plan.adjustments == ()
    assert [(x.store, x.quantity) for x in plan.writes] == [(EU, 5)]


def test_the_adjustment_key_is_stable_for_the_same_world() -> None:
    ledger = Ledger(marks=(mark(EU, PARIS, 5), mark(US, NEW_YORK, 5)))
    w = world(level(EU, PARIS, 8), level(US, NEW_YORK, 5), odoo_rows=(odoo(WH_STOCK, 5),))
    assert plan_stock(w, ledger, TWO_WAY).adjustments[0].key == (
        plan_stock(w, ledger, TWO_WAY).adjustments[0].key
    )


RETAIL_POLICY = StockPolicy(
    pools=(pool(), pool("retail", (RETAIL,))),
    routes=(
        route(EU, PARIS),
        route(US, NEW_YORK, "retail", Direction.SHOPIFY_TO_ODOO, buffer=3),
    ),
)


def test_shopify_to_odoo_adjusts_odoo_to_the_shopify_count() -> None:
    w = world(
        level(EU, PARIS, 5),
        level(US, NEW_YORK, 12),
        odoo_rows=(odoo(WH_STOCK, 5), odoo(RETAIL, 10, free=9)),
    )
    plan = plan_stock(w, Ledger(), RETAIL_POLICY)
    (adj,) = plan.adjustments
    assert (adj.location_id, adj.delta, adj.reason) == (
        RETAIL,
        Decimal(3),
        AdjustReason.SHOPIFY_COUNT,
    )
    assert all(x.location_gid != NEW_YORK for x in plan.writes)  # never written back


def test_shopify_to_odoo_counts_orders_in_flight_as_already_out_of_the_count() -> None:
    ledger = apply_events(Ledger(), [order(US, "7", 2, NEW_YORK, pool="retail")])
    w = world(
        level(EU, PARIS, 5), level(US, NEW_YORK, 8), odoo_rows=(odoo(WH_STOCK, 5), odoo(RETAIL, 10))
    )
    assert plan_stock(w, ledger, RETAIL_POLICY).adjustments == ()


def test_shopify_to_odoo_after_apply_plans_nothing() -> None:
    w = world(level(EU, PARIS, 5), level(US, NEW_YORK, 12), odoo_rows=(odoo(WH_STOCK, 5),))
    plan = plan_stock(w, Ledger(), RETAIL_POLICY)
    w2, ledger2 = apply_plan(w, Ledger(), plan)
    assert plan_stock(w2, ledger2, RETAIL_POLICY).is_empty


def test_a_restock_by_cancelling_a_known_order_is_not_a_merchant_edit() -> None:
    # the order (2 units, placed before our mark) was cancelled after it: Shopify restocked it
    ledger = apply_events(
        Ledger(marks=(mark(EU, PARIS, 5), mark(US, NEW_YORK, 7))),
        [
            order(EU, "1", 2, PARIS, placed=30),
            order(EU, "1", 2, PARIS, placed=30, updated=70, cancelled=True),
        ],
    )
    w = world(level(EU, PARIS, 7), level(US, NEW_YORK, 7), odoo_rows=(odoo(WH_STOCK, 7),))
    plan = plan_stock(w, ledger, TWO_WAY)
    assert plan.adjustments == ()
    assert plan.writes == ()


def test_an_order_already_explaining_a_drop_does_not_also_shrink_it() -> None:
    # mark 5; a known order of 1 and an unknown sale of 2 → Shopify 2: the drop is 2, not 1
    ledger = apply_events(
        Ledger(marks=(mark(EU, PARIS, 5), mark(US, NEW_YORK, 4))), [order(EU, "1", 1, PARIS)]
    )
    w = world(level(EU, PARIS, 2), level(US, NEW_YORK, 4), odoo_rows=(odoo(WH_STOCK, 5),))
    w1, ledger1 = apply_plan(w, ledger, plan_stock(w, ledger, two_store_policy()))
    plan = plan_stock(w1, ledger1, two_store_policy())
    assert plan.figures[0].in_flight == 3  # 1 known order + 2 unexplained
    assert plan.is_empty
