"""Writes, skips and batching of ``plan_stock``."""

from __future__ import annotations

from dataclasses import replace

from shopify_odoo.sync.ledger import Ledger
from shopify_odoo.sync.model import Allocation, Direction, StockPolicy
from shopify_odoo.sync.stock import SkipReason, batch_idempotency_key, plan_stock

from .factories import (
    BERLIN,
    EU,
    NEW_YORK,
    PARIS,
    US,
    WH_STOCK,
    key,
    level,
    mark,
    odoo,
    pool,
    route,
    stock_item,
    t,
    two_store_policy,
    world,
)


def test_a_level_off_target_gets_one_write_with_the_value_read_as_change_from() -> None:
    w = world(level(EU, PARIS, 4), level(US, NEW_YORK, 9), odoo_rows=(odoo(WH_STOCK, 9),))
    plan = plan_stock(w, Ledger(), two_store_policy())
    assert [(x.store, x.quantity, x.change_from) for x in plan.writes] == [(EU, 9, 4)]
    write = plan.writes[0]
    assert write.before_send.pending is not None
    assert write.before_send.pending.value == 9
    assert (write.after_success.value, write.after_success.at) == (9, t(100))


def test_levels_already_on_target_with_a_current_mark_plan_nothing() -> None:
    w = world(level(EU, PARIS, 9), level(US, NEW_YORK, 9), odoo_rows=(odoo(WH_STOCK, 9),))
    ledger = Ledger(marks=(mark(EU, PARIS, 9), mark(US, NEW_YORK, 9)))
    assert plan_stock(w, ledger, two_store_policy()).is_empty


def test_a_level_on_target_without_a_mark_gets_only_a_mark() -> None:
    w = world(level(EU, PARIS, 9), level(US, NEW_YORK, 9), odoo_rows=(odoo(WH_STOCK, 9),))
    plan = plan_stock(w, Ledger(), two_store_policy())
    assert plan.writes == ()
    assert plan.adjustments == ()
    assert len(plan.ledger_changes) == 2


def test_a_product_not_storable_in_odoo_is_skipped_in_every_store() -> None:
    w = world(level(EU, PARIS, 4), items=(stock_item(storable=False),))
    plan = plan_stock(w, Ledger(), two_store_policy())
    assert plan.writes == ()
    assert [(s.reason, s.store) for s in plan.skipped] == [
        (SkipReason.NOT_STORABLE, EU),
        (SkipReason.NOT_STORABLE, US),
    ]


def test_a_variant_not_tracked_in_one_store_is_skipped_there_only() -> None:
    w = world(
        level(EU, PARIS, 4),
        level(US, NEW_YORK, 4),
        odoo_rows=(odoo(WH_STOCK, 9),),
        items=(stock_item(untracked=(US,)),),
    )
    plan = plan_stock(w, Ledger(), two_store_policy())
    assert [x.store for x in plan.writes] == [EU]
    assert [(s.reason, s.store) for s in plan.skipped] == [(SkipReason.NOT_TRACKED, US)]


def test_excluded_and_unmapped_locations_are_left_alone_with_a_reason() -> None:
    policy = StockPolicy(
        pools=(pool(),),
        routes=(route(EU, PARIS), route(EU, BERLIN, enabled=False), route(US, NEW_YORK)),
    )
    w = world(
        level(EU, PARIS, 1),
        level(EU, BERLIN, 1),
        level(US, NEW_YORK, 1),
        level(US, "gid://shopify/Location/99", 1),
        odoo_rows=(odoo(WH_STOCK, 5),),
    )
    plan = plan_stock(w, Ledger(), policy)
    assert sorted((x.store, x.location_gid) for x in plan.writes) == [(EU, PARIS), (US, NEW_YORK)]
    assert sorted(s.reason for s in plan.skipped) == [
        SkipReason.EXCLUDED_LOCATION,
        SkipReason.UNMAPPED_LOCATION,
    ]


def test_a_mapped_location_where_the_item_is_not_stocked_is_reported() -> None:
    w = world(level(EU, PARIS, 1), odoo_rows=(odoo(WH_STOCK, 5),))
    plan = plan_stock(w, Ledger(), two_store_policy())
    assert [(s.reason, s.store, s.location_gid) for s in plan.skipped] == [
        (SkipReason.NOT_STOCKED, US, NEW_YORK)
    ]


def test_a_route_to_an_undefined_pool_is_reported() -> None:
    policy = StockPolicy(pools=(pool(),), routes=(route(EU, PARIS, "nowhere"),))
    plan = plan_stock(
        world(level(EU, PARIS, 1), items=(stock_item(stores=(EU,)),)), Ledger(), policy
    )
    assert [s.reason for s in plan.skipped] == [SkipReason.UNKNOWN_POOL]
    assert plan.writes == ()


def test_two_locations_of_one_store_on_a_split_pool_are_refused() -> None:
    policy = StockPolicy(
        pools=(pool(allocation=Allocation.SPLIT, split=((EU, 50), (US, 50))),),
        routes=(route(EU, PARIS), route(EU, BERLIN), route(US, NEW_YORK)),
    )
    w = world(
        level(EU, PARIS, 0),
        level(EU, BERLIN, 0),
        level(US, NEW_YORK, 0),
        odoo_rows=(odoo(WH_STOCK, 10),),
    )
    plan = plan_stock(w, Ledger(), policy)
    assert [(x.store, x.quantity) for x in plan.writes] == [(US, 5)]
    assert {s.reason for s in plan.skipped} == {SkipReason.SPLIT_TWICE}


def test_a_pool_counted_at_two_shopify_to_odoo_locations_is_refused() -> None:
    policy = StockPolicy(
        pools=(pool(),),
        routes=(
            route(EU, PARIS, direction=Direction.SHOPIFY_TO_ODOO),
            route(US, NEW_YORK, direction=Direction.SHOPIFY_TO_ODOO),
        ),
    )
    w = world(level(EU, PARIS, 3), level(US, NEW_YORK, 4), odoo_rows=(odoo(WH_STOCK, 10),))
    plan = plan_stock(w, Ledger(), policy)
    assert plan.adjustments == ()
    assert [s.reason for s in plan.skipped] == [SkipReason.COUNTED_TWICE] * 2


def test_a_read_older_than_our_last_mark_is_not_acted_on() -> None:
    w = world(
        level(EU, PARIS, 1, read_at=40), level(US, NEW_YORK, 5), odoo_rows=(odoo(WH_STOCK, 5),)
    )
    ledger = Ledger(marks=(mark(EU, PARIS, 5, at=50), mark(US, NEW_YORK, 5)))
    plan = plan_stock(w, ledger, two_store_policy())
    assert plan.is_empty
    assert [s.reason for s in plan.skipped] == [SkipReason.STALE_READ]


def test_writes_are_batched_per_store_by_250() -> None:
    items = tuple(stock_item(pid=p) for p in range(1, 601))
    levels = [level(EU, PARIS, 0, pid=p) for p in range(1, 601)]
    levels += [level(US, NEW_YORK, 0, pid=p) for p in range(1, 101)]
    rows = tuple(odoo(WH_STOCK, 3, pid=p) for p in range(1, 601))
    plan = plan_stock(world(*levels, odoo_rows=rows, items=items), Ledger(), two_store_policy())
    sizes = [(store, len(batch)) for store, batch in plan.batches()]
    assert sizes == [(EU, 250), (EU, 250), (EU, 100), (US, 100)]
    assert all(len({w.store for w in batch}) == 1 for _s, batch in plan.batches())


def test_plans_are_deterministic_whatever_the_order_of_the_snapshot() -> None:
    w = world(level(EU, PARIS, 4), level(US, NEW_YORK, 1), odoo_rows=(odoo(WH_STOCK, 9),))
    flipped = replace(w, levels=tuple(reversed(w.levels)))
    assert plan_stock(w, Ledger(), two_store_policy()) == plan_stock(
        flipped, Ledger(), two_store_policy()
    )


def test_mark_for_write_names_the_level() -> None:
    w = world(
        level(EU, PARIS, 4), odoo_rows=(odoo(WH_STOCK, 9),), items=(stock_item(stores=(EU,)),)
    )
    plan = plan_stock(w, Ledger(), two_store_policy())
    assert plan.writes[0].key == key(EU, PARIS)


def test_the_batch_idempotency_key_is_stable_and_changes_with_the_value_read() -> None:
    w = world(level(EU, PARIS, 4), level(US, NEW_YORK, 1), odoo_rows=(odoo(WH_STOCK, 9),))
    first = plan_stock(w, Ledger(), two_store_policy()).writes
    again = plan_stock(w, Ledger(), two_store_policy()).writes
    assert batch_idempotency_key(first) == batch_idempotency_key(tuple(reversed(again)))
    moved = world(level(EU, PARIS, 3), level(US, NEW_YORK, 1), odoo_rows=(odoo(WH_STOCK, 9),))
    other = plan_stock(moved, Ledger(), two_store_policy()).writes
    assert batch_idempotency_key(other) != batch_idempotency_key(first)
