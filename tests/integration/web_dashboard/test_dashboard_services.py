"""The dashboard's read services on a real state database (SQLite and PostgreSQL): the
spot-check sample, the overview's per-store figures and its time-to-correction series."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from shopify_odoo.config import settings_from_mapping
from shopify_odoo.engine import metrics
from shopify_odoo.engine.dashboard import overview, time_series
from shopify_odoo.engine.dashboard_cutover import sample_groups
from shopify_odoo.engine.inbox import register_stores
from shopify_odoo.engine.problems import record_problem
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.queue import enqueue_many
from shopify_odoo.store import migrate
from shopify_odoo.store.database import Database, open_database
from shopify_odoo.store.tables import inflight_lines, product_links, stock_pushes, webhook_inbox
from shopify_odoo.store.types import utcnow

from .conftest import config

MAIN = "gid://shopify/Location/1"
TPL = "gid://shopify/Location/3"


def no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no remote call expected, got {request.url}")


@pytest.fixture
async def rt(tmp_path: Path, db_url: str) -> AsyncIterator[Runtime]:
    await migrate.upgrade(db_url)
    db: Database = await open_database(db_url)
    settings = settings_from_mapping(config(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"))
    await register_stores(db, settings)
    transport = httpx.MockTransport(no_network)
    runtime = await Runtime.open(
        settings,
        db=db,
        shopify_transports={"eu": transport, "us": transport},
        odoo_transport=transport,
    )
    try:
        yield runtime
    finally:
        runtime.owns_db = False
        await runtime.aclose()
        await db.dispose()


def link(pid: int, product_gid: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "store": "eu",
        "odoo_product_id": pid,
        "product_gid": product_gid,
        "variant_gid": f"gid://shopify/ProductVariant/{pid}",
        "inventory_item_gid": f"gid://shopify/InventoryItem/{pid}",
        "sku": f"SKU-{pid}",
        "matched_by": "sku",
        "status": "linked",
        "linked_at": now,
        "updated_at": now,
    }


def push(pid: int, location: str, available: int) -> dict[str, Any]:
    return {
        "store": "eu",
        "inventory_item_gid": f"gid://shopify/InventoryItem/{pid}",
        "location_gid": location,
        "last_available": available,
        "outcome": "applied",
        "at": utcnow(),
    }


def sold(pid: int, qty: int, state: str = "open") -> dict[str, Any]:
    now = utcnow()
    return {
        "store": "eu",
        "shopify_order_gid": f"gid://shopify/Order/{pid}{qty}",
        "line_gid": f"gid://shopify/LineItem/{pid}",
        "odoo_product_id": pid,
        "sku": f"SKU-{pid}",
        "pool": "main",
        "qty": qty,
        "state": state,
        "created_at": now,
        "updated_at": now,
    }


async def test_spot_check_sample_picks_each_group(rt: Runtime) -> None:
    async with rt.db.begin() as conn:
        await conn.execute(
            product_links.insert(),
            [
                link(1, "gid://shopify/Product/10"),
                link(2, "gid://shopify/Product/10"),
                link(3, "gid://shopify/Product/10"),
                link(4, "gid://shopify/Product/40"),
                link(5, "gid://shopify/Product/50"),
            ],
        )
        await conn.execute(
            stock_pushes.insert(),
            [push(1, MAIN, 9), push(1, TPL, 2), push(2, MAIN, 1), push(4, MAIN, 0)],
        )
        await conn.execute(
            inflight_lines.insert(), [sold(5, 7), sold(2, 3), sold(3, 9, "cancelled")]
        )
    async with rt.db.connect() as conn:
        groups = await sample_groups(conn, {TPL}, multi_pool=True)
    assert groups == {
        "top sellers": [5, 2],  # cancelled lines do not count
        "multi-variant products": [1, 2, 3],
        "low stock": [4, 2, 1],
        "3PL items": [1],
        "multi-warehouse": [1],
    }


async def test_overview_figures_per_store_and_series(rt: Runtime) -> None:
    now = utcnow()
    async with rt.db.begin() as conn:
        for age, value, store in ((50, 0.5, "eu"), (50, 1.5, "eu"), (5, 4.0, "us")):
            await metrics.record(
                conn,
                metrics.TIME_TO_CORRECTION,
                value,
                store=store,
                at=now - timedelta(minutes=age),
            )
        await metrics.record(conn, metrics.STOCK_MISMATCHES, 3, store="us", at=now)
        await metrics.record(conn, metrics.OVERSOLD_UNITS, 2, store="eu", at=now)
        await record_problem(
            conn, store="us", kind="order", key="us:gid://shopify/Order/1",
            cause="unknown_variant", message="m",
        )  # fmt: skip
        await enqueue_many(conn, [("order", "eu:gid://shopify/Order/9"), ("stock", "42")])
        await conn.execute(
            webhook_inbox.insert().values(
                delivery_id="d1", store="eu", topic="orders/create", received_at=now,
                body=b"{}", headers={}, state="received",
            )
        )  # fmt: skip
    ov = await overview(rt, None)
    eu, us, odoo = ov.sides
    assert (eu.handle, us.handle, odoo.handle) == ("eu", "us", "")
    assert eu.queue_depth == 1
    assert odoo.queue_depth == 1
    assert us.queue_depth == 0
    assert eu.last_webhook is not None
    assert us.last_webhook is None
    assert (eu.time_to_correction.count, eu.time_to_correction.p50) == (2, 0.5)
    assert us.time_to_correction.p99 == 4.0
    assert (eu.mismatches, us.mismatches) == (None, 3)
    assert eu.oversold_units == 2
    assert us.errors_by_cause == {"unknown_variant": 1}
    assert eu.errors_by_cause == {}
    async with rt.db.connect() as conn:
        series = await time_series(conn, now - timedelta(hours=1), now, buckets=12)
    counts = [p.count for p in series]
    assert counts == [0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert (series[2].p50, series[2].p99) == (0.5, 1.5)
    assert series[11].p95 == 4.0
