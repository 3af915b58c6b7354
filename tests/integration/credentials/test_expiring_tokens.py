"""Issue 10, Must show 1: client credentials tokens expire mid-run (lifetime of a few seconds)
while stock pushes and order imports continue in two simulated processes with several workers
each: nothing fails, nothing is lost, and each expiry causes one grant, not one per worker."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from shopify_odoo.engine.dirty import order_key
from shopify_odoo.engine.links import apply_links, plan_links_now
from shopify_odoo.engine.orders import OrderSync
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.engine.stock import sync_products
from shopify_odoo.errors import TransientError
from shopify_odoo.sandbox.odoo.simulator import MerchantSimulator
from shopify_odoo.sandbox.shopify import SandboxDriver
from shopify_odoo.sandbox.shopify.storefront import Cart, place_order
from shopify_odoo.store.tables import errors_for_people, product_links, shopify_tokens
from shopify_odoo.sync.orders import SaleOrderPlan

from ..engine_stock.harness import Engine
from ..engine_stock.test_link_and_sync import expected_target
from ..orders.harness import _service_products, _taxes, order_settings
from .harness import Rig, config_settings, credentials_rig

INCL = {"tax_rate": Decimal("0.21"), "taxes_included": True}  # mapped by order_settings
LIFETIME = 2.0  # seconds; the grant's margin is 10 % of it (auth.MARGIN_SHARE)
RUN_FOR = 6.5  # spans three expiries
QUEUE_ATTEMPTS = 5  # the order job's bounded retries, here in line


async def _pids(rt: Runtime, skus: list[str]) -> dict[str, int]:
    async with rt.db.connect() as conn:
        rows = (
            await conn.execute(
                select(product_links.c.sku, product_links.c.odoo_product_id).where(
                    product_links.c.sku.in_(skus)
                )
            )
        ).all()
    return {str(sku): int(pid) for sku, pid in rows}


def _shown(rig: Rig, store: str, sku: str, location: str = "Main Warehouse") -> int:
    st = rig.shop.world.stores[store]
    variant = st.variants_by_sku(sku)[0]
    loc = st.location_by_name(location)
    assert loc is not None
    level = variant.levels[loc.index]
    assert level is not None
    return int(level.available)


def _grants(rig: Rig, store: str) -> list[float]:
    return [t for t, kind in rig.shop.world.stores[store].grants if kind == "client_credentials"]


async def _two_processes(rig: Rig) -> tuple[Runtime, Runtime]:
    setup = await rig.runtime(config_settings(rig.config()))
    products = await _service_products(setup)
    taxes = await _taxes(setup)
    settings = config_settings(rig.config(orders=order_settings(products, taxes)))
    a = await rig.runtime(settings)
    b = await rig.runtime(settings)
    await apply_links(a, await plan_links_now(a))
    return a, b


async def _import_like_the_queue(sync: OrderSync, key: str) -> Any:
    """Import one order as its queue job would: a transient error (three runtimes on two
    stores can exhaust a store's cost budget, and one process cannot see another's spending)
    is retried after its ``retry_after``, a bounded number of times; anything else fails."""
    for attempt in range(QUEUE_ATTEMPTS):
        try:
            result = (await sync.process([key]))[key]
            result.raise_for_problem()
        except TransientError as exc:
            if attempt == QUEUE_ATTEMPTS - 1 or "token" in str(exc).lower():
                raise
            await asyncio.sleep(exc.retry_after or 1.0)
            continue
        return result
    raise AssertionError("unreachable")


async def test_tokens_expire_mid_run_and_work_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with credentials_rig(tmp_path, stores=2, token_lifetime=LIFETIME) as rig:
        a, b = await _two_processes(rig)
        handles = [s.handle for s in rig.shop.stores]
        skus = sorted(v.sku for v in rig.shop.stores[0].variants.values() if v.sku)
        stock_skus = skus[:8]
        order_skus = skus[8:12]
        pids = await _pids(a, stock_skus)
        assert len(pids) == len(stock_skus)
        merchant = MerchantSimulator(rig.odoo.world)
        for_orders = await _pids(a, order_skus)
        for sku in order_skus:  # enough stock that no checkout is refused during the run
            merchant.receive(sku, 500, "WH/Stock")
        await sync_products(a, list(for_orders.values()))
        started = time.monotonic()
        placed: list[tuple[str, int]] = []
        imported: dict[tuple[str, int], int] = {}

        async def stock_worker(rt: Runtime, mine: list[str]) -> int:
            runs = 0
            for sku in itertools.cycle(mine):
                if time.monotonic() - started > RUN_FOR and runs >= 2:
                    return runs
                merchant.receive(sku, 2, "WH/Stock")
                result = await sync_products(rt, [pids[sku]])
                assert result.writes_failed == 0
                runs += 1
            return runs

        async def order_worker(rt: Runtime, store: str) -> int:
            sync = OrderSync(rt)
            runs = 0
            for sku in itertools.cycle(order_skus):
                if time.monotonic() - started > RUN_FOR and runs >= 2:
                    return runs
                shop = rig.shop.world.stores[store]
                order = place_order(rig.shop.world, shop, Cart([(sku, 1)], **INCL))
                placed.append((store, order.id))
                key = order_key(store, f"gid://shopify/Order/{order.id}")[1]
                result = await _import_like_the_queue(sync, key)
                assert isinstance(result.decision, SaleOrderPlan), result.decision
                assert result.outcome is not None
                assert result.outcome.sale_order_id
                imported[(store, order.id)] = result.outcome.sale_order_id
                runs += 1
                await asyncio.sleep(0.1)
            return runs

        grants_before = {h: len(_grants(rig, h)) for h in handles}
        counts = await asyncio.gather(
            stock_worker(a, stock_skus[0:2]),
            stock_worker(a, stock_skus[2:4]),
            stock_worker(b, stock_skus[4:6]),
            stock_worker(b, stock_skus[6:8]),
            order_worker(a, handles[0]),
            order_worker(b, handles[1]),
            order_worker(b, handles[0]),
        )
        elapsed = time.monotonic() - started
        assert all(n >= 2 for n in counts), counts  # every worker worked until the end

        # no work lost: every order placed has its sale order; every stock level matches Odoo
        assert sorted(imported) == sorted(placed)
        assert len(set(imported.values())) == len(placed)
        engine = Engine(a, rig.shop.world, rig.odoo.world)
        await sync_products(a, list(pids.values()))
        for sku, pid in pids.items():
            want = await expected_target(engine, pid, "WH/Stock")
            for handle in handles:
                assert _shown(rig, handle, sku) == want, (handle, sku)

        # one grant per expiry per store, shared by 7 workers in 2 processes
        for handle in handles:
            times = _grants(rig, handle)
            during = len(times) - grants_before[handle]
            assert during >= 2, (handle, times)  # the token really expired mid-run
            assert during <= elapsed / (LIFETIME * 0.9) + 2, (handle, times)
            gaps = [t2 - t1 for t1, t2 in itertools.pairwise(times)]
            assert min(gaps) >= LIFETIME * 0.8, (handle, gaps)

        # nothing for a person to see; the stored token is encrypted; no token in the log
        async with a.db.connect() as conn:
            shown_to_people = (await conn.execute(select(errors_for_people))).all()
            rows = (await conn.execute(select(shopify_tokens))).all()
        assert shown_to_people == []
        assert {r.store for r in rows} == set(handles)
        live = [t for st in rig.shop.stores for t in st.tokens]
        for r in rows:
            assert all(t.encode() not in r.token_encrypted for t in live)
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING], [
            r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING
        ]
        for st in rig.shop.stores:
            assert st.client_secret not in caplog.text
            for token in st.tokens:
                assert token not in caplog.text


async def test_server_side_expiry_gives_one_renewal_for_many_workers(tmp_path: Path) -> None:
    """Shopify refuses the token before its announced expiry (HTTP 401): the concurrent calls
    that hit the 401 share one renewal and all succeed on their retry."""
    async with credentials_rig(tmp_path, stores=1) as rig:
        settings = config_settings(rig.config())
        a = await rig.runtime(settings)
        b = await rig.runtime(settings)
        handle = rig.shop.stores[0].handle
        await a.shop(handle).shop()
        await b.shop(handle).shop()
        assert len(_grants(rig, handle)) == 1  # process b reused process a's token
        async with SandboxDriver(rig.shop.control_url) as driver:
            await driver.faults(handle, expire_tokens=True)
        names = await asyncio.gather(*(rt.shop(handle).shop() for rt in (a, b) for _ in range(6)))
        assert len({s.name for s in names}) == 1
        assert len(_grants(rig, handle)) == 2  # one renewal for 12 calls in 2 processes
