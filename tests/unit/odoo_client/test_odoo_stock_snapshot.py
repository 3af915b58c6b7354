"""stock_snapshot: quantities per (product, location) from grouped quants and moves."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from shopify_odoo.odoo import InventoryCount, OdooClient, apply_inventory_counts, stock_snapshot
from shopify_odoo.odoo.errors import OdooUserError

from .fake import FakeOdoo

# location tree: 1 WH (view) > 2 WH/Stock > 3 WH/Stock/Shelf; 4 3PL; 5 Customers
PARENT = {1: None, 2: 1, 3: 2, 4: None, 5: None}
STORABLE = [10, 11]
QUANTS = [  # product, location, quantity, reserved
    (10, 2, 5.0, 1.0),
    (10, 3, 2.0, 0.0),
    (10, 4, 7.0, 0.0),
    (12, 2, 9.0, 0.0),  # not storable in scope (e.g. only asked ids matter)
]
MOVES = [  # product, source, destination, state, product_qty
    (10, 3, 5, "assigned", 1.0),  # leaves WH/Stock: outgoing for 2
    (10, 2, 3, "confirmed", 4.0),  # inside WH/Stock: not outgoing (§3.4)
    (10, 4, 2, "waiting", 3.0),  # 3PL → WH: outgoing for 4 only
    (10, 2, 5, "done", 6.0),  # done: never outgoing (correction 14)
    (11, 2, 5, "partially_available", 2.5),
]


def descendants(root: int) -> list[int]:
    out = [root]
    for loc, parent in PARENT.items():
        if parent == root:
            out += descendants(loc)
    return out


def matches(row: dict[str, Any], domain: list[Any]) -> bool:
    for field, op, value in domain:
        have = row[field]
        if op == "in":
            ok = have in value
        elif op == ">=":
            ok = have >= value
        elif op == "<=":
            ok = have <= value
        else:
            assert op == "="
            ok = have == value
        if not ok:
            return False
    return True


def group(rows: list[dict[str, Any]], kw: dict[str, Any], *, formatted: bool) -> list[Any]:
    groupby = kw["groupby"]
    specs = kw["aggregates"] if formatted else kw["fields"]
    specs = [s for s in specs if s != "__count"]
    acc: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        if not matches(row, kw["domain"]):
            continue
        bucket = acc[tuple(row[g] for g in groupby)]
        bucket["__count"] += 1
        for spec in specs:
            field = spec.split(":")[0]
            bucket[spec if formatted else field] += row[field]
    out = []
    for key, bucket in acc.items():
        item: dict[str, Any] = {g: [v, f"name {v}"] for g, v in zip(groupby, key, strict=True)}
        item.update(bucket)
        item["__count"] = int(item["__count"])
        item["__extra_domain" if formatted else "__domain"] = []
        out.append(item)
    return out


def stock_fake(version: str) -> FakeOdoo:
    fake = FakeOdoo(version)
    formatted = fake.major_minor >= (19, 0)
    method = "formatted_read_group" if formatted else "read_group"
    quants = [
        {"product_id": p, "location_id": loc, "quantity": q, "reserved_quantity": r}
        for p, loc, q, r in QUANTS
    ]
    moves = [
        {"product_id": p, "location_id": s, "location_dest_id": d, "state": st, "product_qty": q}
        for p, s, d, st, q in MOVES
    ]

    @fake.on("stock.location", "search")
    def location_search(ids: Any, kw: dict[str, Any], ctx: Any) -> list[int]:
        ((field, op, root),) = kw["domain"]
        assert (field, op) == ("id", "child_of")
        assert ctx.get("active_test") is False  # archived children count too
        return descendants(root)

    @fake.on("product.product", "search")
    def product_search(ids: Any, kw: dict[str, Any], ctx: Any) -> list[int]:
        assert kw["domain"] in (
            [["type", "=", "product"]],
            [["is_storable", "=", True]],
        )  # §3.1 per version
        return STORABLE

    fake.on("stock.quant", method)(lambda ids, kw, ctx: group(quants, kw, formatted=formatted))
    fake.on("stock.move", method)(lambda ids, kw, ctx: group(moves, kw, formatted=formatted))
    return fake


@pytest.mark.parametrize("version", ["16.0", "17.0", "18.0", "19.0", "saas~19.1+e"])
async def test_snapshot_all_storable_products(version: str) -> None:
    fake = stock_fake(version)
    async with OdooClient(
        "https://a.example.com", "acme", "bot", api_key="s3cret-key", transport=fake.transport()
    ) as client:
        await client.connect()
        snapshot = await stock_snapshot(client, None, [2, 4], chunk_size=1)
    assert snapshot.get(10, 2).qty_available == Decimal("7")
    assert snapshot.get(10, 2).free_qty == Decimal("6")
    assert snapshot.get(10, 2).outgoing_qty == Decimal("1")
    assert snapshot.get(10, 2).sellable == Decimal("6")
    assert snapshot.get(10, 4).qty_available == Decimal("7")
    assert snapshot.get(10, 4).outgoing_qty == Decimal("3")
    assert snapshot.get(10, 4).sellable == Decimal("4")
    level = snapshot.get(11, 2)  # in scope, no quants: zero on hand, 2.5 outgoing
    assert (level.qty_available, level.outgoing_qty) == (Decimal(0), Decimal("2.5"))
    assert snapshot.get(11, 4).qty_available == 0
    with pytest.raises(KeyError):
        snapshot.get(12, 2)  # not storable: not in the scope, never a guessed zero
    with pytest.raises(KeyError):
        snapshot.get(10, 1)  # location not asked for
    # 1 product search + 2 location subtrees + 1 quant read per location + 1 move read
    assert snapshot.rpc_calls == 6
    # every filter is on the location, none on a product-id range (the server would visit
    # every product's rows to answer one)
    grouped = [c for c in fake.calls if c[0] in ("stock.quant", "stock.move")]
    assert len(grouped) == 3
    for call in grouped:
        assert all(leaf[0] != "product_id" for leaf in call[3]["domain"])


async def test_nested_locations_without_ids_read_each_quant_once() -> None:
    fake = stock_fake("17.0")
    async with OdooClient(
        "https://a.example.com", "acme", "bot", api_key="s3cret-key", transport=fake.transport()
    ) as client:
        snapshot = await stock_snapshot(client, None, [1, 3, 2])
    assert snapshot.get(10, 1).qty_available == 7
    assert snapshot.get(10, 2).qty_available == 7
    assert snapshot.get(10, 3).qty_available == 2
    assert snapshot.get(10, 3).free_qty == 2
    assert snapshot.get(10, 1).outgoing_qty == 1
    assert snapshot.get(10, 3).outgoing_qty == 1
    quant_domains = [c[3]["domain"] for c in fake.calls if c[0] == "stock.quant"]
    assert quant_domains == [[["location_id", "in", [1, 2, 3]]]]  # 3 and 2 are inside 1


async def test_snapshot_of_given_products_uses_in_domains() -> None:
    fake = stock_fake("17.0")
    async with OdooClient(
        "https://a.example.com", "acme", "bot", api_key="s3cret-key", transport=fake.transport()
    ) as client:
        snapshot = await stock_snapshot(client, [10, 12], [2])
    assert snapshot.get(12, 2).qty_available == 9
    assert snapshot.get(10, 2).free_qty == 6
    quant_calls = [c for c in fake.calls if c[0] == "stock.quant"]
    assert quant_calls[0][3]["domain"][0] == ["product_id", "in", [10, 12]]
    assert not [c for c in fake.calls if c[0] == "product.product"]


async def test_nested_locations_count_for_both() -> None:
    fake = stock_fake("18.0")
    async with OdooClient(
        "https://a.example.com", "acme", "bot", api_key="s3cret-key", transport=fake.transport()
    ) as client:
        snapshot = await stock_snapshot(client, [10], [1, 3])
    assert snapshot.get(10, 1).qty_available == 7
    assert snapshot.get(10, 3).qty_available == 2
    # the move 3 → 5 leaves both 1 and 3; the move 2 → 3 enters 3 (not outgoing of 3)
    assert snapshot.get(10, 3).outgoing_qty == 1
    assert snapshot.get(10, 1).outgoing_qty == 1


async def test_inventory_counts_create_in_inventory_mode_then_apply() -> None:
    """§3.3: create with inventory_quantity in inventory mode, then action_apply_inventory."""
    fake = FakeOdoo("17.0")
    fake.on("stock.quant", "create")(
        lambda ids, kw, ctx: [40 + i for i in range(len(kw["vals_list"]))]
    )
    fake.on("stock.quant", "action_apply_inventory")(lambda ids, kw, ctx: None)
    async with OdooClient(
        "https://a.example.com", "acme", "bot", api_key="s3cret-key", transport=fake.transport()
    ) as client:
        ids = await apply_inventory_counts(
            client, [InventoryCount(10, 2, Decimal("4")), InventoryCount(11, 2, Decimal("0"))]
        )
    assert ids == [40, 41]
    create, apply = [c for c in fake.calls if c[0] == "stock.quant"]
    assert create[3]["vals_list"] == [
        {"product_id": 10, "location_id": 2, "inventory_quantity": 4.0},
        {"product_id": 11, "location_id": 2, "inventory_quantity": 0.0},
    ]
    assert create[4]["inventory_mode"] is True
    assert apply[1:3] == ("action_apply_inventory", [40, 41])
    assert apply[4]["inventory_mode"] is True


async def test_inventory_conflict_wizard_is_a_terminal_error() -> None:
    fake = FakeOdoo("17.0")
    fake.on("stock.quant", "create")(lambda ids, kw, ctx: [40])
    fake.on("stock.quant", "action_apply_inventory")(
        lambda ids, kw, ctx: {
            "type": "ir.actions.act_window",
            "res_model": "stock.inventory.conflict",
            "name": "Conflict in Inventory",
        }
    )
    async with OdooClient(
        "https://a.example.com", "acme", "bot", api_key="s3cret-key", transport=fake.transport()
    ) as client:
        with pytest.raises(OdooUserError, match=r"stock\.inventory\.conflict"):
            await apply_inventory_counts(client, [InventoryCount(10, 2, Decimal("4"))])
