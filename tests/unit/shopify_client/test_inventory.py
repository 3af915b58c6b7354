"""set_available / adjust_available: batches of 250, CAS, idempotency keys, per-item outcomes."""

from __future__ import annotations

from typing import Any

import pytest

from shopify_odoo.shopify.inventory import batch_key, search_query
from shopify_odoo.shopify.models import QuantityChange, QuantityDelta

from .fakes import FakeShopify, make_client

LOC = "gid://shopify/Location/1"


def item(n: int) -> str:
    return f"gid://shopify/InventoryItem/{n}"


class FakeInventory:
    """``available`` per (item, location) with 2026-04 CAS and @idempotent (§a.3, §a.6)."""

    def __init__(
        self, fake: FakeShopify, levels: dict[tuple[str, str], int], all_or_nothing: bool = True
    ) -> None:
        self.levels = levels
        self.results: dict[str, tuple[str, Any]] = {}  # key -> (variables json, result)
        self.applied_calls = 0
        self.all_or_nothing = all_or_nothing
        fake.handlers["InventorySetQuantities"] = self.set_quantities
        fake.handlers["InventoryAdjustQuantities"] = self.adjust_quantities
        fake.handlers["InventoryItemLevels"] = self.read

    def _run(self, variables: dict[str, Any], field: str, rows: str) -> Any:
        import json

        key, body = variables["key"], json.dumps(variables["input"], sort_keys=True)
        if key in self.results:
            seen, result = self.results[key]
            if seen != body:
                return {
                    field: {
                        "inventoryAdjustmentGroup": None,
                        "userErrors": [
                            {
                                "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                                "field": ["input"],
                                "message": "mismatch",
                            }
                        ],
                    }
                }
            return result
        errors = []
        for i, row in enumerate(variables["input"][rows]):
            assert "changeFromQuantity" in row  # mandatory in 2026-04, even as null
            pair = (row["inventoryItemId"], row["locationId"])
            if pair not in self.levels:
                errors.append(
                    {
                        "code": "ITEM_NOT_STOCKED_AT_LOCATION",
                        "field": ["input", rows, str(i), "locationId"],
                        "message": "not stocked",
                    }
                )
            elif (
                row["changeFromQuantity"] is not None
                and row["changeFromQuantity"] != self.levels[pair]
            ):
                errors.append(
                    {
                        "code": "CHANGE_FROM_QUANTITY_STALE",
                        "field": ["input", rows, str(i), "changeFromQuantity"],
                        "message": "stale",
                    }
                )
        apply = not errors or not self.all_or_nothing
        bad = {int(e["field"][2]) for e in errors}
        if apply:
            self.applied_calls += 1
            for i, row in enumerate(variables["input"][rows]):
                if i in bad:
                    continue
                pair = (row["inventoryItemId"], row["locationId"])
                self.levels[pair] = (
                    row["quantity"] if "quantity" in row else self.levels[pair] + row["delta"]
                )
        result = {
            field: {
                "inventoryAdjustmentGroup": {"id": "gid://shopify/InventoryAdjustmentGroup/1"}
                if apply
                else None,
                "userErrors": errors,
            }
        }
        self.results[key] = (body, result)
        return result

    def set_quantities(self, variables: dict[str, Any]) -> Any:
        return self._run(variables, "inventorySetQuantities", "quantities")

    def adjust_quantities(self, variables: dict[str, Any]) -> Any:
        return self._run(variables, "inventoryAdjustQuantities", "changes")

    def read(self, variables: dict[str, Any]) -> Any:
        nodes = []
        for item_id in variables["ids"]:
            levels = [
                {"location": {"id": loc}, "quantities": [{"name": "available", "quantity": q}]}
                for (i, loc), q in self.levels.items()
                if i == item_id
            ]
            nodes.append(
                {"id": item_id, "sku": None, "tracked": True, "inventoryLevels": {"nodes": levels}}
            )
        return {"nodes": nodes}


async def test_600_changes_go_in_batches_of_at_most_250_with_change_from_quantity() -> None:
    fake = FakeShopify()
    inv = FakeInventory(fake, {(item(n), LOC): 5 for n in range(600)})
    changes = [QuantityChange(item(n), LOC, 10 + n, 5) for n in range(600)]
    async with make_client(fake) as client:
        outcomes = await client.set_available(changes)
    sizes = [len(v["input"]["quantities"]) for v in fake.variables("InventorySetQuantities")]
    assert sorted(sizes) == [100, 250, 250]
    assert [o.status for o in outcomes] == ["applied"] * 600
    assert [o.change for o in outcomes] == changes  # input order kept
    assert inv.levels[(item(599), LOC)] == 609
    first = fake.variables("InventorySetQuantities")[0]
    assert first["input"]["name"] == "available"
    assert first["input"]["reason"] == "correction"
    assert first["input"]["quantities"][0]["changeFromQuantity"] == 5


async def test_retried_batch_carries_the_same_key_and_applies_once() -> None:
    fake = FakeShopify()
    inv = FakeInventory(fake, {(item(1), LOC): 5})
    change = [QuantityChange(item(1), LOC, 9, 5)]
    async with make_client(fake) as client:
        first = await client.set_available(change, salt="plan-7")
        again = await client.set_available(change, salt="plan-7")  # e.g. after a lost answer
    keys = [v["key"] for v in fake.variables("InventorySetQuantities")]
    assert keys[0] == keys[1]
    assert inv.applied_calls == 1
    assert first[0].status == again[0].status == "applied"
    assert inv.levels[(item(1), LOC)] == 9


def test_key_is_a_uuid_determined_by_content_and_salt() -> None:
    a = [QuantityChange(item(1), LOC, 9, 5)]
    key = batch_key(a, name="available", reason="correction", reference=None, salt="")
    assert len(key) == 36
    assert key.count("-") == 4
    assert key == batch_key(list(a), name="available", reason="correction", reference=None, salt="")
    assert key != batch_key(
        [QuantityChange(item(1), LOC, 9, 6)],
        name="available",
        reason="correction",
        reference=None,
        salt="",
    )
    assert key != batch_key(a, name="available", reason="correction", reference=None, salt="plan-8")


async def test_stale_item_reports_the_current_value_and_the_rest_is_resent() -> None:
    fake = FakeShopify()
    inv = FakeInventory(fake, {(item(1), LOC): 5, (item(2), LOC): 3, (item(3), LOC): 7})
    changes = [
        QuantityChange(item(1), LOC, 10, 5),
        QuantityChange(item(2), LOC, 10, 4),  # Shopify has 3: a sale happened
        QuantityChange(item(3), LOC, 10, 7),
    ]
    async with make_client(fake) as client:
        outcomes = await client.set_available(changes)
    assert [o.status for o in outcomes] == ["applied", "stale", "applied"]
    assert outcomes[1].current == 3
    assert outcomes[1].code == "CHANGE_FROM_QUANTITY_STALE"
    assert inv.levels == {(item(1), LOC): 10, (item(2), LOC): 3, (item(3), LOC): 10}
    calls = fake.variables("InventorySetQuantities")
    assert len(calls) == 2
    assert calls[0]["key"] != calls[1]["key"]


async def test_partial_apply_shopify_keeps_good_rows_without_resending() -> None:
    fake = FakeShopify()
    inv = FakeInventory(fake, {(item(1), LOC): 5, (item(2), LOC): 3}, all_or_nothing=False)
    changes = [QuantityChange(item(1), LOC, 10, 5), QuantityChange(item(2), LOC, 10, 4)]
    async with make_client(fake) as client:
        outcomes = await client.set_available(changes)
    assert [o.status for o in outcomes] == ["applied", "stale"]
    assert len(fake.variables("InventorySetQuantities")) == 1
    assert inv.levels[(item(1), LOC)] == 10


async def test_not_stocked_is_an_error_with_shopifys_code() -> None:
    fake = FakeShopify()
    FakeInventory(fake, {})
    async with make_client(fake) as client:
        outcomes = await client.set_available([QuantityChange(item(1), LOC, 1, 0)])
    assert outcomes[0].status == "error"
    assert outcomes[0].code == "ITEM_NOT_STOCKED_AT_LOCATION"
    assert "locationId" in (outcomes[0].message or "")


async def test_batch_wide_user_error_fails_every_row() -> None:
    fake = FakeShopify()

    @fake.on("InventorySetQuantities")
    def _(variables: dict[str, Any]) -> Any:
        return {
            "inventorySetQuantities": {
                "inventoryAdjustmentGroup": None,
                "userErrors": [
                    {
                        "code": "INVALID_REASON",
                        "field": ["input", "reason"],
                        "message": "bad reason",
                    }
                ],
            }
        }

    changes = [QuantityChange(item(n), LOC, 1, 0) for n in range(3)]
    async with make_client(fake) as client:
        outcomes = await client.set_available(changes, reason="nonsense")
    assert {(o.status, o.code) for o in outcomes} == {("error", "INVALID_REASON")}


async def test_null_change_from_quantity_is_sent_explicitly() -> None:
    fake = FakeShopify()
    inv = FakeInventory(fake, {(item(1), LOC): 5})
    async with make_client(fake) as client:
        outcomes = await client.set_available([QuantityChange(item(1), LOC, 2, None)])
    row = fake.variables("InventorySetQuantities")[0]["input"]["quantities"][0]
    assert "changeFromQuantity" in row
    assert row["changeFromQuantity"] is None
    assert outcomes[0].status == "applied"
    assert inv.levels[(item(1), LOC)] == 2


async def test_duplicate_item_location_is_refused_before_sending() -> None:
    fake = FakeShopify()
    async with make_client(fake) as client:
        with pytest.raises(ValueError, match="appears twice"):
            await client.set_available([QuantityChange(item(1), LOC, 1, 0)] * 2)
    assert fake.requests == []


async def test_adjust_available_sends_deltas_with_change_from_quantity() -> None:
    fake = FakeShopify()
    inv = FakeInventory(fake, {(item(1), LOC): 5})
    async with make_client(fake) as client:
        outcomes = await client.adjust_available([QuantityDelta(item(1), LOC, -4, 5)])
    row = fake.variables("InventoryAdjustQuantities")[0]["input"]["changes"][0]
    assert row == {
        "inventoryItemId": item(1),
        "locationId": LOC,
        "delta": -4,
        "changeFromQuantity": 5,
    }
    assert outcomes[0].status == "applied"
    assert inv.levels[(item(1), LOC)] == 1


def test_search_query_quotes_and_escapes() -> None:
    assert (
        search_query(["A-1", 'we"ird\\'], ["400"])
        == 'sku:"A-1" OR sku:"we\\"ird\\\\" OR barcode:"400"'
    )


async def test_find_variants_pages_through_the_connection() -> None:
    fake = FakeShopify()

    def variant(n: int) -> dict[str, Any]:
        return {
            "id": f"gid://shopify/ProductVariant/{n}",
            "legacyResourceId": str(n),
            "sku": f"SKU-{n}",
            "barcode": None,
            "title": "M",
            "displayName": "Tee - M",
            "product": {"id": "gid://shopify/Product/1", "title": "Tee"},
            "inventoryItem": {
                "id": item(n),
                "tracked": True,
                "inventoryLevels": {
                    "nodes": [
                        {
                            "location": {"id": LOC},
                            "quantities": [
                                {"name": "available", "quantity": 4},
                                {"name": "on_hand", "quantity": 6},
                                {"name": "committed", "quantity": 2},
                            ],
                        }
                    ]
                },
            },
        }

    @fake.on("VariantsSearch")
    def _(variables: dict[str, Any]) -> Any:
        if variables["after"] is None:
            return {
                "productVariants": {
                    "nodes": [variant(1)],
                    "pageInfo": {"hasNextPage": True, "endCursor": "c1"},
                }
            }
        return {
            "productVariants": {
                "nodes": [variant(2)],
                "pageInfo": {"hasNextPage": False, "endCursor": "c2"},
            }
        }

    async with make_client(fake) as client:
        found = [v async for v in client.find_variants(skus=["SKU-1", "SKU-2"])]
    assert [v.sku for v in found] == ["SKU-1", "SKU-2"]
    assert found[0].legacy_id == 1
    assert found[0].levels[0].committed == 2
    assert [v["after"] for v in fake.variables("VariantsSearch")] == [None, "c1"]


async def test_a_failing_batch_raises_one_error_and_the_retry_applies_nothing_twice() -> None:
    import httpx

    from shopify_odoo.errors import TransientError

    fake = FakeShopify()
    inv = FakeInventory(fake, {(item(n), LOC): 0 for n in range(500)})
    calls = {"n": 0}
    real = fake.handlers["InventorySetQuantities"]

    def flaky(variables: dict[str, Any]) -> Any:
        calls["n"] += 1
        result = real(variables)  # applied at Shopify ...
        if calls["n"] == 2:
            return httpx.Response(503)  # ... but the answer is lost
        return result

    fake.handlers["InventorySetQuantities"] = flaky
    changes = [QuantityChange(item(n), LOC, 7, 0) for n in range(500)]
    async with make_client(fake) as client:
        with pytest.raises(TransientError):
            await client.set_available(changes, concurrency=1)
        outcomes = await client.set_available(changes, concurrency=1)  # the queue's retry
    assert [o.status for o in outcomes] == ["applied"] * 500
    assert inv.applied_calls == 2  # two batches, each applied exactly once
    assert all(q == 7 for q in inv.levels.values())
