"""Rules of the location map, pools and SKU buffers, with their exact messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shopify_odoo.config import LocationRow, validate_location_rows

from .helpers import base, load, problems, warnings


def _rows(*rows: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return base(location_map=list(rows), **extra)


def test_same_shopify_location_mapped_twice(tmp_path: Path) -> None:
    data = _rows(
        {"store": "eu", "shopify_location": "Paris", "odoo_locations": ["PAR/Stock"]},
        {"store": "eu", "shopify_location": "paris", "odoo_locations": ["WH/Stock"]},
    )
    assert problems(tmp_path, data) == [
        'location_map[1].shopify_location: Shopify location "paris" of store "eu" is already '
        "mapped by location_map[0]. Keep one row per Shopify location: merge the two rows or "
        "delete one"
    ]


def test_numeric_id_and_gid_of_one_location_are_the_same(tmp_path: Path) -> None:
    data = _rows(
        {"store": "us", "shopify_location": 7001, "odoo_locations": ["WH/Stock"]},
        {
            "store": "us",
            "shopify_location": "gid://shopify/Location/7001",
            "odoo_locations": ["WH/Stock"],
        },
    )
    found = problems(tmp_path, data)
    assert found == [
        'location_map[1].shopify_location: Shopify location "gid://shopify/Location/7001" of '
        'store "us" is already mapped by location_map[0]. Keep one row per Shopify location: '
        "merge the two rows or delete one"
    ]


def test_same_location_name_in_two_stores_is_fine(tmp_path: Path) -> None:
    assert load(tmp_path, base()).location_map[1].store == "us"


def test_location_and_its_descendant_in_one_row(tmp_path: Path) -> None:
    data = _rows(
        {
            "store": "eu",
            "shopify_location": "Online",
            "odoo_locations": ["WH/Stock/Shelf 1", "WH/Stock"],
        },
    )
    assert problems(tmp_path, data) == [
        'location_map[0].odoo_locations: "WH/Stock/Shelf 1" is inside "WH/Stock": Odoo\'s '
        "quantities of a location include its children, so that stock would count twice. "
        'Remove "WH/Stock/Shelf 1" (keep "WH/Stock"), or list "WH/Stock/Shelf 1" instead of '
        '"WH/Stock"'
    ]


def test_siblings_with_a_common_prefix_are_not_descendants(tmp_path: Path) -> None:
    data = _rows(
        {"store": "eu", "shopify_location": "Online", "odoo_locations": ["WH/Stock", "WH/Stock2"]},
    )
    assert load(tmp_path, data).location_map[0].odoo_locations == ["WH/Stock", "WH/Stock2"]


def test_duplicate_and_empty_odoo_locations(tmp_path: Path) -> None:
    data = _rows(
        {"store": "eu", "shopify_location": "A", "odoo_locations": ["WH/Stock", "WH / Stock"]},
        {"store": "eu", "shopify_location": "B"},
        {"store": "eu", "shopify_location": "C", "excluded": True},
    )
    assert problems(tmp_path, data) == [
        'location_map[0].odoo_locations: lists "WH / Stock" twice. Remove one',
        'location_map[1].odoo_locations: empty: Shopify location "B" needs the Odoo location(s) '
        "whose stock it sells. List complete location names, e.g. odoo_locations = "
        '["WH/Stock"], or set excluded = true',
    ]


def test_row_of_unknown_store(tmp_path: Path) -> None:
    data = _rows({"store": "eux", "shopify_location": "A", "odoo_locations": ["WH/Stock"]})
    assert problems(tmp_path, data) == [
        'location_map[0].store: "eux" is not the handle of any store. Did you mean "eu"?'
    ]


def test_unknown_direction_and_type(tmp_path: Path) -> None:
    data = _rows(
        {
            "store": "eu",
            "shopify_location": "A",
            "odoo_locations": ["WH/Stock"],
            "direction": "two-way",
            "type": "warehouse",
        },
        {
            "store": "eu",
            "shopify_location": "B",
            "odoo_locations": ["X/Stock"],
            "direction": "both",
        },
    )
    assert problems(tmp_path, data) == [
        'location_map[0].type: "warehouse" is not a valid type. Use one of: online, retail, '
        "3pl, pickup, marketplace, reserve",
        'location_map[0].direction: "two-way" is not a valid direction. Did you mean '
        '"two_way"? Use one of: odoo_to_shopify, shopify_to_odoo, two_way',
        'location_map[1].direction: "both" is not a valid direction. Use one of: '
        "odoo_to_shopify, shopify_to_odoo, two_way",
    ]


def test_negative_buffer(tmp_path: Path) -> None:
    data = _rows(
        {"store": "eu", "shopify_location": "A", "odoo_locations": ["WH/Stock"], "buffer": -1}
    )
    assert problems(tmp_path, data) == [
        "location_map[0].buffer: -1 is out of range. Use a value >= 0"
    ]


def test_rows_of_one_pool_must_list_the_same_locations(tmp_path: Path) -> None:
    data = _rows(
        {"store": "eu", "shopify_location": "A", "odoo_locations": ["WH/Stock"], "pool": "main"},
        {"store": "us", "shopify_location": "A", "odoo_locations": ["WH2/Stock"], "pool": "main"},
    )
    assert problems(tmp_path, data) == [
        'location_map[1].pool: pool "main" is used by location_map[0] with odoo_locations '
        '["WH/Stock"], this row has ["WH2/Stock"]. Rows of one pool must list the same Odoo '
        "locations: align them or give this row another pool"
    ]


def test_overlapping_pools_warn(tmp_path: Path) -> None:
    data = _rows(
        {"store": "eu", "shopify_location": "A", "odoo_locations": ["WH/Stock"]},
        {"store": "us", "shopify_location": "A", "odoo_locations": ["WH/Stock/Shelf 1"]},
    )
    assert warnings(load(tmp_path, data)) == [
        'location_map[1].odoo_locations: "WH/Stock/Shelf 1" overlaps pool "WH/Stock" of '
        "location_map[0]; the two pools each offer the same units. Give rows that sell the "
        "same Odoo stock one pool (same odoo_locations or the same pool name) if they must not "
        "oversell each other"
    ]


SPLIT_ROWS = [
    {"store": "eu", "shopify_location": "A", "odoo_locations": ["WH/Stock"], "pool": "main"},
    {"store": "us", "shopify_location": "A", "odoo_locations": ["WH/Stock"], "pool": "main"},
]


def test_split_must_add_up_to_100(tmp_path: Path) -> None:
    data = _rows(
        *SPLIT_ROWS, pools=[{"name": "main", "allocation": "split", "split": {"eu": 60, "us": 30}}]
    )
    assert problems(tmp_path, data) == [
        "pools[0].split: shares add up to 90, not 100 (eu 60 + us 30). Adjust the percentages "
        "so they add up to exactly 100"
    ]


def test_split_accepts_decimal_shares(tmp_path: Path) -> None:
    data = _rows(
        *SPLIT_ROWS,
        pools=[{"name": "main", "allocation": "split", "split": {"eu": 33.5, "us": 66.5}}],
    )
    assert load(tmp_path, data).pool("main").split["eu"] == 33.5


def test_split_missing_a_store_drawing_on_the_pool(tmp_path: Path) -> None:
    data = _rows(*SPLIT_ROWS, pools=[{"name": "main", "allocation": "split", "split": {"eu": 100}}])
    assert problems(tmp_path, data) == [
        'pools[0].split: store "us" sells this pool (location_map[1]) but has no share. Add '
        "us = <percent> to pools[0].split and keep the total at 100"
    ]


def test_split_problems_all_at_once(tmp_path: Path) -> None:
    data = _rows(
        *SPLIT_ROWS,
        pools=[
            {"name": "main", "allocation": "split", "split": {"eu": 0, "ux": 50}},
            {"name": "main"},
            {"name": "other", "split": {"eu": 100}},
            {"name": "third", "allocation": "split"},
        ],
    )
    assert problems(tmp_path, data) == [
        "pools[0].split.eu: 0 is not a percentage between 0 (excluded) and 100. Give a share "
        "above 0 and at most 100, or remove the store",
        'pools[0].split.ux: "ux" is not the handle of any store. Did you mean "us"?',
        "pools[0].split: shares add up to 50, not 100 (eu 0 + ux 50). Adjust the percentages "
        "so they add up to exactly 100",
        'pools[0].split: store "us" sells this pool (location_map[1]) but has no share. Add '
        "us = <percent> to pools[0].split and keep the total at 100",
        'pools[1].name: "main" is also the name of pools[0]. Give each pool one [[pools]] table',
        'pools[2].split: percentages are given but allocation is "shared". Set allocation = '
        '"split", or remove split',
        'pools[3].split: missing: allocation "split" needs a percentage per store. Add e.g. '
        'split = { eu = 60, us = 40 } (adding up to 100), or set allocation = "shared"',
    ]


def test_sku_buffer_rules(tmp_path: Path) -> None:
    data = base(
        sku_buffers=[
            {"sku": "A", "buffer": 1, "shopify_location": "Online"},
            {"sku": "B", "buffer": 1},
            {"sku": "B", "buffer": 2},
            {"sku": "C", "buffer": 1, "store": "ux"},
            {"sku": " D", "buffer": 1},
            {"sku": "", "buffer": 1},
        ]
    )
    assert problems(tmp_path, data) == [
        "sku_buffers[0].store: missing: a shopify_location scope needs its store. Set store to "
        "the handle of the store that has this location",
        'sku_buffers[2]: SKU "B" already has a buffer for this scope in sku_buffers[1]. Keep '
        "one of the two",
        'sku_buffers[3].store: "ux" is not the handle of any store. Did you mean "us"?',
        'sku_buffers[4].sku: " D" has blank space around it or is blank. Write the SKU exactly '
        "as in Odoo and Shopify",
        "sku_buffers[5].sku: is empty. Give a value",
    ]


def test_validate_location_rows_for_an_edit(tmp_path: Path) -> None:
    settings = load(tmp_path, base())
    rows: list[LocationRow | dict[str, Any]] = [
        *settings.location_map,
        {"store": "eu", "shopify_location": "online", "odoo_locations": ["X/Stock"]},
        {
            "store": "eu",
            "shopify_location": "Paris",
            "odoo_locations": ["PAR/Stock"],
            "direction": "sideways",
        },
    ]
    found = [str(p) for p in validate_location_rows(settings, rows) if p.is_error]
    assert found == [
        'location_map[3].direction: "sideways" is not a valid direction. Use one of: '
        "odoo_to_shopify, shopify_to_odoo, two_way",
        'location_map[2].shopify_location: Shopify location "online" of store "eu" is already '
        "mapped by location_map[0]. Keep one row per Shopify location: merge the two rows or "
        "delete one",
    ]
    assert validate_location_rows(settings, list(settings.location_map)) == []


def test_store_without_rows_warns(tmp_path: Path) -> None:
    data = base()
    data["location_map"] = data["location_map"][:1]
    assert warnings(load(tmp_path, data)) == [
        'stores[1]: store "us" has no location_map row, so no stock reaches it. Add a '
        '[[location_map]] row with store = "us" for each of its Shopify locations '
        "(excluded = true for those to leave alone)"
    ]
