"""The reconcile sweep's own reading and writing, over loopback (issue 7).

* the bulk file taken apart line by line gives, per linked inventory item, exactly what the
  link service's record-by-record reading (``catalog.store_variants``) gives;
* ``apply`` with a small write backlog (the writer starts while reading goes on, two workers)
  fixes every drifted level, like the default (writes after the reading).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from shopify_odoo.engine.catalog import store_variants
from shopify_odoo.engine.links import apply_links, plan_links_now
from shopify_odoo.engine.reconcile import _stream_levels, read_shopify_levels, sweep
from shopify_odoo.errors import TerminalError
from shopify_odoo.sandbox.shopify.inventory import merchant_set

from .harness import loopback_engine


async def test_line_by_line_levels_equal_the_catalogue_reading(tmp_path: Path) -> None:
    async with loopback_engine(tmp_path) as engine:
        expected: dict[str, dict[str, tuple[bool, tuple[tuple[str, int], ...]]]] = {}
        for store in ("shop1", "shop2"):
            expected[store] = {
                cv.variant.inventory_item_gid: (cv.variant.tracked, cv.levels)
                async for cv in store_variants(engine.rt.shop(store), poll_interval=0.05)
            }
        assert all(expected.values())
        # a quarter of the items only: the others are read past
        wanted = {s: set(sorted(items)[::4]) for s, items in expected.items()}
        got = await read_shopify_levels(engine.rt, wanted, poll_interval=0.05)
        assert got == {s: {g: expected[s][g] for g in wanted[s]} for s in wanted}


class _FileShop:
    """Just enough of a ShopifyClient to read a bulk file."""

    store = "shop1"

    def __init__(self, rows: list[dict[str, object]]) -> None:
        self.rows = rows

    async def bulk_lines(self, url: str):  # type: ignore[no-untyped-def]
        for row in self.rows:
            yield json.loads(json.dumps(row))


V1, V2 = "gid://shopify/ProductVariant/1", "gid://shopify/ProductVariant/2"
I1, I2 = "gid://shopify/InventoryItem/11", "gid://shopify/InventoryItem/12"
L1, L2 = "gid://shopify/Location/1", "gid://shopify/Location/2"


def level(loc: str, available: int, parent: str | None) -> dict[str, object]:
    row: dict[str, object] = {
        "id": f"gid://shopify/InventoryLevel/{loc[-1]}?inventory_item_id=1",
        "location": {"id": loc},
        "quantities": [{"name": "available", "quantity": available}],
    }
    if parent:
        row["__parentId"] = parent
    return row


async def test_stream_levels_reads_lines_and_inline_levels_and_refuses_ungrouped() -> None:
    rows: list[dict[str, object]] = [
        {"id": V1, "inventoryItem": {"id": I1, "tracked": True}},
        level(L2, 5, V1),
        level(L1, 3, V1),
        {
            "id": V2,
            "inventoryItem": {
                "id": I2,
                "tracked": False,
                "inventoryLevels": {"edges": [{"node": level(L1, 7, None)}]},
            },
        },
    ]
    got = await _stream_levels(_FileShop(rows), "u", {I1, I2})  # type: ignore[arg-type]
    assert got == {I1: (True, ((L1, 3), (L2, 5))), I2: (False, ((L1, 7),))}
    assert await _stream_levels(_FileShop(rows), "u", {I2}) == {I2: (False, ((L1, 7),))}  # type: ignore[arg-type]
    ungrouped = [rows[0], rows[3], level(L1, 3, V1)]
    with pytest.raises(TerminalError, match="not grouped"):
        await _stream_levels(_FileShop(ungrouped), "u", {I1})  # type: ignore[arg-type]


async def test_apply_with_a_small_backlog_writes_while_reading(tmp_path: Path) -> None:
    async with loopback_engine(tmp_path) as engine:
        await apply_links(engine.rt, await plan_links_now(engine.rt))
        drifted = 0
        for handle in ("shop1", "shop2"):
            st = engine.store(handle)
            loc = st.location_by_name("Main Warehouse")
            assert loc is not None
            for v in list(st.variants.values())[::3]:
                merchant_set(engine.shopify, st, v, loc.id, "available", 99)
                drifted += 1
        dry = await sweep(engine.rt, mode="dry_run", batch_size=4)
        assert dry.mismatches == drifted
        applied = await sweep(
            engine.rt,
            mode="apply",
            batch_size=4,
            write_batch=2,
            write_backlog=3,
            write_concurrency=2,
        )
        assert applied.writes_applied == drifted
        assert applied.writes_stale == applied.writes_failed == 0
        assert sum(p.quantities for p in applied.write_phases.values()) == drifted
        for phase in applied.write_phases.values():
            assert phase.ended >= phase.started > 0
            assert phase.points > 0
            assert phase.restore_rate
        after = await sweep(engine.rt, mode="dry_run")
        assert after.mismatches == 0


_ = httpx


def test_batch_odoo_rows_equal_the_worker_rows() -> None:
    from shopify_odoo.engine.reconcile import _odoo_rows
    from shopify_odoo.engine.stock_world import odoo_rows
    from shopify_odoo.odoo.stock import StockSnapshot

    snapshot = StockSnapshot(
        (10, 20),
        frozenset({1, 2, 3}),
        {
            (1, 10): (7.0, 5.0, 0.0),
            (1, 20): (0.1 + 0.2, -0.0, 2.5),
            (2, 10): (7.0, 7.0, 1e-7),
            (3, 20): (-3.0, -3.0, 0.0),
        },
    )
    ids = [1, 2, 3, 4]  # 4 is outside the snapshot's scope
    fast, slow = _odoo_rows(snapshot, ids), tuple(odoo_rows(snapshot, ids))
    assert fast == slow
    assert [str(r.free_qty) for r in fast] == [str(r.free_qty) for r in slow]
