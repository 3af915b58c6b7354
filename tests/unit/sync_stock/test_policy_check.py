"""Location-map problems found before anything runs."""

from __future__ import annotations

from shopify_odoo.sync.model import Allocation, Direction, Pool, StockPolicy
from shopify_odoo.sync.stock import check_policy

from .factories import BERLIN, EU, NEW_YORK, PARIS, US, WH_3PL, WH_STOCK, pool, route


def test_a_sound_map_has_no_problems() -> None:
    policy = StockPolicy(
        pools=(pool(), pool("eu-split", (WH_3PL,), Allocation.SPLIT, ((EU, 60), (US, 40)))),
        routes=(route(EU, PARIS), route(US, NEW_YORK, "eu-split"), route(EU, BERLIN, "eu-split")),
    )
    assert check_policy(policy) == ()


def test_every_problem_is_listed_at_once() -> None:
    policy = StockPolicy(
        pools=(
            Pool("main", (WH_STOCK,), adjust_location_id=99),
            Pool("split", (WH_STOCK, WH_3PL), Allocation.SPLIT, ((EU, 80), (US, 30))),
            Pool("pos", (50,)),
        ),
        routes=(
            route(EU, PARIS, "split"),
            route(EU, BERLIN, "split"),
            route(US, NEW_YORK, "nowhere"),
            route(US, NEW_YORK, "main"),
            route(US, "gid://shopify/Location/5", "pos", Direction.SHOPIFY_TO_ODOO, name="Shop"),
            route(EU, "gid://shopify/Location/6", "pos", name="Online"),
        ),
    )
    assert check_policy(policy) == (
        'pool "main": adjustment location 99 is not one of its Odoo locations [10]: pick one of '
        "them",
        'Odoo location 10 is in pools "main" and "split", so its stock would be offered twice: '
        "keep it in one pool",
        'split pool "split": percentages add up to 110%, more than 100%: lower them (what is '
        "left below 100% stays unoffered)",
        'location gid://shopify/Location/2 of store us maps to pool "nowhere", which is not '
        "defined: add it",
        "location gid://shopify/Location/2 of store us is mapped twice: keep one row",
        'split pool "split" has 2 locations of store eu, but a split share is per store: map '
        "one, or make the pool shared",
        'pool "pos" is counted in Shopify (shopify_to_odoo) but shared by 2 locations (us/Shop, '
        "eu/Online): give a shopify_to_odoo location its own pool",
    )
