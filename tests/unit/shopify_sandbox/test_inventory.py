"""inventorySetQuantities / inventoryAdjustQuantities: changeFromQuantity (correction 7),
@idempotent (§a.6), 250 cap (correction 12), derived changes (correction 9), arithmetic (§a.2)."""

# ruff: noqa: E501  (GraphQL documents are kept on one line, as clients send them)

from __future__ import annotations

from typing import Any

from shopify_odoo.sandbox.shopify.ids import gid

from .helpers import ADJUST, SET, gql, make_world


def _row(store: Any, v: Any, qty: int, **extra: Any) -> dict[str, Any]:
    return {
        "inventoryItemId": gid("InventoryItem", v.item_id),
        "locationId": gid("Location", store.locations[0].id),
        "quantity": qty,
        **extra,
    }


def _input(*rows: dict[str, Any], name: str = "available") -> dict[str, Any]:
    return {
        "name": name,
        "reason": "correction",
        "referenceDocumentUri": "gid://odoo-connector/Sync/1",
        "quantities": list(rows),
    }


def test_set_with_matching_change_from_applies_and_reports_derived_changes() -> None:
    world, store, _ = make_world()
    v = next(store.iter_variants())
    before = v.levels[0].available
    body = gql(
        world,
        store,
        SET,
        {"input": _input(_row(store, v, before + 5, changeFromQuantity=before)), "key": "k1"},
    )
    group = body["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]
    assert body["data"]["inventorySetQuantities"]["userErrors"] == []
    assert group["changes"] == [{"name": "available", "delta": 5}, {"name": "on_hand", "delta": 5}]
    assert group["reason"] == "Inventory correction"
    assert v.levels[0].available == before + 5


def test_stale_change_from_is_a_user_error_and_applies_nothing() -> None:
    world, store, _ = make_world()
    vs = list(store.iter_variants())[:2]
    a0, b0 = vs[0].levels[0].available, vs[1].levels[0].available
    rows = [
        _row(store, vs[0], 7, changeFromQuantity=a0),
        _row(store, vs[1], 9, changeFromQuantity=b0 + 1),
    ]
    out = gql(world, store, SET, {"input": _input(*rows), "key": "k2"})["data"][
        "inventorySetQuantities"
    ]
    assert out["inventoryAdjustmentGroup"] is None
    assert [e["code"] for e in out["userErrors"]] == ["CHANGE_FROM_QUANTITY_STALE"]
    assert out["userErrors"][0]["field"] == ["input", "quantities", "1", "changeFromQuantity"]
    assert (vs[0].levels[0].available, vs[1].levels[0].available) == (a0, b0)


def test_null_change_from_skips_the_check_and_omitted_is_an_error() -> None:
    world, store, _ = make_world()
    v = next(store.iter_variants())
    ok = gql(
        world,
        store,
        SET,
        {"input": _input(_row(store, v, 3, changeFromQuantity=None)), "key": "n1"},
    )
    assert ok["data"]["inventorySetQuantities"]["userErrors"] == []
    assert v.levels[0].available == 3
    missing = gql(world, store, SET, {"input": _input(_row(store, v, 4)), "key": "n2"})
    errs = missing["data"]["inventorySetQuantities"]["userErrors"]
    assert errs
    assert errs[0]["field"][-1] == "changeFromQuantity"
    assert v.levels[0].available == 3


def test_idempotent_replay_returns_first_result_and_applies_once() -> None:
    world, store, _ = make_world()
    v = next(store.iter_variants())
    start = v.levels[0].available
    adj = {
        "name": "available",
        "reason": "correction",
        "changes": [
            {
                "inventoryItemId": gid("InventoryItem", v.item_id),
                "locationId": gid("Location", store.locations[0].id),
                "delta": 2,
                "changeFromQuantity": None,
            }
        ],
    }
    first = gql(world, store, ADJUST, {"input": adj, "key": "same"})
    second = gql(world, store, ADJUST, {"input": adj, "key": "same"})
    assert first["data"] == second["data"]
    assert v.levels[0].available == start + 2
    other = dict(adj, reason="restock")
    mismatch = gql(world, store, ADJUST, {"input": other, "key": "same"})["data"][
        "inventoryAdjustQuantities"
    ]
    assert mismatch["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    assert v.levels[0].available == start + 2


def test_idempotent_directive_is_required_and_key_not_blank() -> None:
    world, store, _ = make_world()
    v = next(store.iter_variants())
    q = SET.replace(" @idempotent(key: $key)", "").replace(", $key: String!", "")
    body = gql(world, store, q, {"input": _input(_row(store, v, 1, changeFromQuantity=None))})
    assert body["data"]["inventorySetQuantities"] is None
    assert "@idempotent" in body["errors"][0]["message"]
    blank = gql(
        world,
        store,
        SET,
        {"input": _input(_row(store, v, 1, changeFromQuantity=None)), "key": "  "},
    )
    assert blank["data"]["inventorySetQuantities"] is None
    assert "whitespace" in blank["errors"][0]["message"]


def test_251_quantities_is_a_top_level_max_input_size_error() -> None:
    world, store, _ = make_world("plus", "demo")
    vs = list(store.iter_variants())
    rows = [_row(store, vs[i % len(vs)], 1, changeFromQuantity=None) for i in range(251)]
    body = gql(world, store, SET, {"input": _input(*rows), "key": "big"})
    assert body["data"] == {"inventorySetQuantities": None}
    assert (
        body["errors"][0]["message"]
        == "The input array size of 251 is greater than the maximum allowed of 250."
    )
    assert body["errors"][0]["extensions"] == {"code": "MAX_INPUT_SIZE_EXCEEDED"}
    assert body["errors"][0]["path"] == ["inventorySetQuantities"]


def test_validation_codes() -> None:
    world, store, _ = make_world()
    vs = list(store.iter_variants())
    bad = _input(
        _row(store, vs[0], 1, changeFromQuantity=None),
        _row(store, vs[0], 2, changeFromQuantity=None),
        name="committed",
    )
    bad["reason"] = "because"
    bad["quantities"].append(
        {
            "inventoryItemId": "gid://shopify/InventoryItem/1",
            "locationId": gid("Location", store.locations[0].id),
            "quantity": 1,
            "changeFromQuantity": None,
        }
    )
    codes = [
        e["code"]
        for e in gql(world, store, SET, {"input": bad, "key": "v"})["data"][
            "inventorySetQuantities"
        ]["userErrors"]
    ]
    assert codes == [
        "INVALID_NAME",
        "INVALID_REASON",
        "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
        "INVALID_INVENTORY_ITEM",
    ]


def test_on_hand_set_moves_available_and_adjust_damaged_needs_a_ledger() -> None:
    world, store, _ = make_world()
    v = next(store.iter_variants())
    lvl = v.levels[0]
    lvl.committed = 2
    on_hand = lvl.on_hand
    gql(
        world,
        store,
        SET,
        {
            "input": _input(
                _row(store, v, on_hand + 3, changeFromQuantity=on_hand), name="on_hand"
            ),
            "key": "oh",
        },
    )
    assert lvl.on_hand == on_hand + 3
    assert lvl.committed == 2
    row = {
        "inventoryItemId": gid("InventoryItem", v.item_id),
        "locationId": gid("Location", store.locations[0].id),
        "delta": 1,
        "changeFromQuantity": 0,
    }
    no_ledger = gql(
        world,
        store,
        ADJUST,
        {"input": {"name": "damaged", "reason": "damaged", "changes": [row]}, "key": "d1"},
    )
    assert (
        no_ledger["data"]["inventoryAdjustQuantities"]["userErrors"][0]["code"]
        == "INVALID_QUANTITY_DOCUMENT"
    )
    row["ledgerDocumentUri"] = "https://erp.example/doc/1"
    ok = gql(
        world,
        store,
        ADJUST,
        {"input": {"name": "damaged", "reason": "damaged", "changes": [row]}, "key": "d2"},
    )["data"]["inventoryAdjustQuantities"]
    assert ok["inventoryAdjustmentGroup"]["changes"] == [
        {"name": "damaged", "delta": 1},
        {"name": "on_hand", "delta": 1},
    ]
    assert lvl.damaged == 1
    assert lvl.unavailable == 1
    assert lvl.on_hand == lvl.available + lvl.committed + lvl.unavailable


def test_adjust_change_from_compares_the_quantity_before_the_delta() -> None:
    world, store, _ = make_world()
    v = next(store.iter_variants())
    v.levels[0].available = 1
    row = {
        "inventoryItemId": gid("InventoryItem", v.item_id),
        "locationId": gid("Location", store.locations[0].id),
        "delta": -4,
        "changeFromQuantity": 1,
    }
    out = gql(
        world,
        store,
        ADJUST,
        {"input": {"name": "available", "reason": "correction", "changes": [row]}, "key": "ex"},
    )
    assert out["data"]["inventoryAdjustQuantities"]["userErrors"] == []
    assert v.levels[0].available == -3  # Shopify's own example: delta -4, changeFromQuantity 1


def test_quantities_query_reports_named_quantities() -> None:
    world, store, _ = make_world()
    v = next(store.iter_variants())
    lvl = v.levels[0]
    lvl.available, lvl.committed, lvl.reserved, lvl.incoming = 5, 2, 1, 9
    q = '{{ inventoryItem(id: "{}") {{ inventoryLevel(locationId: "{}") {{ quantities(names: ["available","committed","on_hand","incoming","reserved","unavailable"]) {{ name quantity }} }} }} }}'.format(
        gid("InventoryItem", v.item_id), gid("Location", store.locations[0].id)
    )
    got = {
        x["name"]: x["quantity"]
        for x in gql(world, store, q)["data"]["inventoryItem"]["inventoryLevel"]["quantities"]
    }
    assert got == {
        "available": 5,
        "committed": 2,
        "on_hand": 8,
        "incoming": 9,
        "reserved": 1,
        "unavailable": 1,
    }
