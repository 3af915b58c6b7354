"""Snapshots of the sentences the stock planner gives for what it leaves alone.

If you change a message on purpose, update its snapshot here.
"""

from __future__ import annotations

from shopify_odoo.sync.ledger import Ledger
from shopify_odoo.sync.model import Allocation, Direction, StockPolicy
from shopify_odoo.sync.stock import SkipReason, plan_stock

from .factories import (
    BERLIN,
    EU,
    NEW_YORK,
    PARIS,
    US,
    WH_3PL,
    WH_STOCK,
    level,
    mark,
    odoo,
    pool,
    route,
    stock_item,
    two_store_policy,
    world,
)

BROOKLYN, QUEENS = "gid://shopify/Location/5", "gid://shopify/Location/6"


def messages(plan) -> dict[SkipReason, str]:  # type: ignore[no-untyped-def]
    return {s.reason: s.message for s in plan.skipped}


def test_location_messages() -> None:
    policy = StockPolicy(
        pools=(pool(), pool("split", (WH_3PL,), Allocation.SPLIT, ((EU, 50),))),
        routes=(
            route(EU, PARIS, name="Paris"),
            route(EU, BERLIN, enabled=False, name="Berlin"),
            route(US, NEW_YORK, "nowhere", name="New York"),
            route(US, BROOKLYN, "main", Direction.SHOPIFY_TO_ODOO, name="Brooklyn"),
            route(US, QUEENS, "main", Direction.SHOPIFY_TO_ODOO, name="Queens"),
        ),
    )
    w = world(
        level(EU, PARIS, 1),
        level(EU, BERLIN, 1),
        level(US, BROOKLYN, 1),
        level(US, QUEENS, 1),
        level(EU, "gid://shopify/Location/9", 1),
        odoo_rows=(odoo(WH_STOCK, 5),),
    )
    assert messages(plan_stock(w, Ledger(), policy)) == {
        SkipReason.EXCLUDED_LOCATION: 'SKU "TSHIRT-M" at location Berlin of store eu is left '
        "alone: the location is excluded in the location map",
        SkipReason.UNMAPPED_LOCATION: 'SKU "TSHIRT-M" is stocked at Shopify location '
        "gid://shopify/Location/9 of store eu, which the location map does not mention: map "
        'the location to a pool or exclude it in the configuration, then run "shopify-odoo check"',
        SkipReason.NOT_STOCKED: 'SKU "TSHIRT-M" (inventory item gid://shopify/InventoryItem/us-7) '
        "is not stocked at location New York of store us: activate the item at that location "
        "in Shopify, or exclude the location in the location map",
        SkipReason.COUNTED_TWICE: 'SKU "TSHIRT-M": pool "main" is counted in Shopify at 2 '
        "shopify_to_odoo locations (us/Brooklyn, us/Queens) and Odoo cannot follow two counts: "
        "keep one shopify_to_odoo location per pool",
    }


def test_unknown_pool_message() -> None:
    policy = StockPolicy(pools=(pool(),), routes=(route(US, NEW_YORK, "nowhere", name="New York"),))
    w = world(level(US, NEW_YORK, 1), items=(stock_item(stores=(US,)),))
    assert messages(plan_stock(w, Ledger(), policy)) == {
        SkipReason.UNKNOWN_POOL: 'SKU "TSHIRT-M": location New York of store us maps to pool '
        '"nowhere", which is not defined: add the pool to the configuration'
    }


def test_product_messages() -> None:
    not_storable = world(level(EU, PARIS, 1), items=(stock_item(storable=False, stores=(EU,)),))
    assert messages(plan_stock(not_storable, Ledger(), two_store_policy())) == {
        SkipReason.NOT_STORABLE: 'SKU "TSHIRT-M" (Odoo product 7) is not a storable product in '
        "Odoo, so it has no stock to send to store eu: make it storable in Odoo "
        '("Track Inventory" on 18/19, type "Storable Product" on 16/17) or unlink the variant'
    }
    untracked = world(level(EU, PARIS, 1), items=(stock_item(untracked=(EU,), stores=(EU,)),))
    assert messages(plan_stock(untracked, Ledger(), two_store_policy())) == {
        SkipReason.NOT_TRACKED: 'SKU "TSHIRT-M" (store eu, inventory item '
        "gid://shopify/InventoryItem/eu-7) is not tracked in Shopify, so it sells without a "
        'stock limit: turn on "Track quantity" for the variant in Shopify'
    }


def test_split_twice_and_stale_read_messages() -> None:
    policy = StockPolicy(
        pools=(pool(allocation=Allocation.SPLIT, split=((EU, 100),)),),
        routes=(route(EU, PARIS, name="Paris"), route(EU, BERLIN, name="Berlin")),
    )
    w = world(level(EU, PARIS, 1), level(EU, BERLIN, 1), items=(stock_item(stores=(EU,)),))
    assert messages(plan_stock(w, Ledger(), policy)) == {
        SkipReason.SPLIT_TWICE: 'SKU "TSHIRT-M": store eu has 2 locations on split pool "main" '
        "(Paris, Berlin) but a split share is per store: map only one of them to the pool, or "
        "make the pool shared"
    }
    stale = world(level(EU, PARIS, 1, read_at=40), items=(stock_item(stores=(EU,)),))
    policy = StockPolicy(pools=(pool(),), routes=(route(EU, PARIS, name="Paris"),))
    assert messages(plan_stock(stale, Ledger(marks=(mark(EU, PARIS, 5, at=50),)), policy)) == {
        SkipReason.STALE_READ: 'SKU "TSHIRT-M" at location Paris of store eu: the Shopify figure '
        "was read at 2026-11-23T09:00:40+00:00, before our last write there "
        "(2026-11-23T09:00:50+00:00): re-queue the key to read it again"
    }
