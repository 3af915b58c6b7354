"""The formula of DESIGN.md §2 and allocation, one rule per test."""

from __future__ import annotations

from decimal import Decimal

from shopify_odoo.sync.ledger import Ledger, apply_events
from shopify_odoo.sync.model import Allocation, BufferOverride, StockPolicy, StockWorld
from shopify_odoo.sync.stock import plan_stock, sellable, split_shares

from .factories import (
    EU,
    NEW_YORK,
    PARIS,
    SKU,
    US,
    WH_3PL,
    WH_STOCK,
    level,
    odoo,
    order,
    pool,
    route,
    two_store_policy,
    world,
)


def targets(
    plan_world: StockWorld, ledger: Ledger | None = None, policy: StockPolicy | None = None
) -> dict[tuple[str, str], int]:
    plan = plan_stock(plan_world, ledger or Ledger(), policy or two_store_policy())
    return {(o.key.store, o.key.location_gid): o.target for o in plan.outcomes}


def test_sellable_takes_the_smaller_of_free_and_on_hand_minus_outgoing() -> None:
    rows = (odoo(WH_STOCK, 10, free=8, out=1), odoo(WH_3PL, 10, free=10, out=4))
    # min(8, 9) + min(10, 6)
    assert sellable(rows, 7, (WH_STOCK, WH_3PL)) == Decimal(14)


def test_sellable_ignores_locations_outside_the_pool_and_other_products() -> None:
    rows = (odoo(WH_STOCK, 10), odoo(WH_3PL, 5), odoo(WH_STOCK, 99, pid=8))
    assert sellable(rows, 7, (WH_STOCK,)) == Decimal(10)


def test_a_backordered_location_lowers_the_pool() -> None:
    rows = (odoo(WH_STOCK, 2, free=2, out=5), odoo(WH_3PL, 10))
    assert sellable(rows, 7, (WH_STOCK, WH_3PL)) == Decimal(7)


def test_target_is_sellable_minus_buffer_at_every_shared_location() -> None:
    w = world(level(EU, PARIS, 0), level(US, NEW_YORK, 0), odoo_rows=(odoo(WH_STOCK, 12),))
    assert targets(w, policy=two_store_policy(buffer=2)) == {(EU, PARIS): 10, (US, NEW_YORK): 10}


def test_fractional_odoo_quantities_are_floored() -> None:
    w = world(level(EU, PARIS, 0), level(US, NEW_YORK, 0), odoo_rows=(odoo(WH_STOCK, "4.75"),))
    assert targets(w) == {(EU, PARIS): 4, (US, NEW_YORK): 4}


def test_target_is_never_negative() -> None:
    w = world(level(EU, PARIS, 3), level(US, NEW_YORK, 3), odoo_rows=(odoo(WH_STOCK, 1),))
    assert targets(w, policy=two_store_policy(buffer=5)) == {(EU, PARIS): 0, (US, NEW_YORK): 0}


def test_orders_of_any_store_in_flight_lower_every_store_on_the_pool() -> None:
    ledger = apply_events(Ledger(), [order(US, "1001", 3, NEW_YORK)])
    w = world(level(EU, PARIS, 10), level(US, NEW_YORK, 7), odoo_rows=(odoo(WH_STOCK, 10),))
    assert targets(w, ledger) == {(EU, PARIS): 7, (US, NEW_YORK): 7}


def test_orders_drawing_on_another_pool_do_not_count() -> None:
    ledger = apply_events(Ledger(), [order(US, "1001", 3, NEW_YORK, pool="other")])
    w = world(level(EU, PARIS, 10), level(US, NEW_YORK, 10), odoo_rows=(odoo(WH_STOCK, 10),))
    assert targets(w, ledger) == {(EU, PARIS): 10, (US, NEW_YORK): 10}


def test_a_sku_buffer_overrides_the_map_row_and_the_most_specific_wins() -> None:
    policy = StockPolicy(
        pools=(pool(),),
        routes=(route(EU, PARIS, buffer=1), route(US, NEW_YORK, buffer=1)),
        buffer_overrides=(
            BufferOverride(SKU, 3),
            BufferOverride(SKU, 5, store=US),
            BufferOverride("OTHER", 9),
        ),
    )
    w = world(level(EU, PARIS, 0), level(US, NEW_YORK, 0), odoo_rows=(odoo(WH_STOCK, 10),))
    assert targets(w, policy=policy) == {(EU, PARIS): 7, (US, NEW_YORK): 5}


def test_split_gives_each_store_its_percentage_floored() -> None:
    policy = two_store_policy(Allocation.SPLIT, split=((EU, 60), (US, 40)))
    w = world(level(EU, PARIS, 0), level(US, NEW_YORK, 0), odoo_rows=(odoo(WH_STOCK, 10),))
    assert targets(w, policy=policy) == {(EU, PARIS): 6, (US, NEW_YORK): 4}


def test_split_subtracts_every_rows_buffer_once_from_the_pool() -> None:
    policy = two_store_policy(Allocation.SPLIT, split=((EU, 50), (US, 50)), buffer=1)
    w = world(level(EU, PARIS, 0), level(US, NEW_YORK, 0), odoo_rows=(odoo(WH_STOCK, 12),))
    assert targets(w, policy=policy) == {(EU, PARIS): 5, (US, NEW_YORK): 5}


def test_split_remainder_goes_to_the_largest_fraction_and_never_exceeds_the_pool() -> None:
    # 7 units, 50/50: 3.5 each → 3 + 3, one left, tie on fraction and percent → store name
    assert split_shares(7, {"eu": 50, "us": 50}) == {"eu": 4, "us": 3}
    # 10 units, 33/33/34: 3.3, 3.3, 3.4 → 3, 3, 3, and floor(10 × 100%) − 9 = 1 to "c"
    assert split_shares(10, {"a": 33, "b": 33, "c": 34}) == {"a": 3, "b": 3, "c": 4}


def test_split_below_one_hundred_percent_keeps_the_rest_in_odoo() -> None:
    shares = split_shares(10, {"eu": 45, "us": 45})  # 90% of 10 = 9
    assert sum(shares.values()) == 9
    assert shares == {"eu": 5, "us": 4}


def test_split_percentages_above_one_hundred_are_scaled_down() -> None:
    assert sum(split_shares(10, {"eu": 80, "us": 80}).values()) <= 10


def test_a_store_without_a_split_share_is_shown_zero() -> None:
    policy = two_store_policy(Allocation.SPLIT, split=((EU, 100),))
    w = world(level(EU, PARIS, 0), level(US, NEW_YORK, 5), odoo_rows=(odoo(WH_STOCK, 10),))
    assert targets(w, policy=policy) == {(EU, PARIS): 10, (US, NEW_YORK): 0}


def test_split_percentages_may_be_fractional() -> None:
    shares = split_shares(1000, {"eu": Decimal("33.3"), "us": Decimal("66.7")})
    assert shares == {"eu": 333, "us": 667}
