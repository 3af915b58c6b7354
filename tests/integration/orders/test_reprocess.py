"""An unknown SKU through the real worker: the order job is parked with a message naming the
store, order, line, SKU and the fix, listed for people; once the product is linked, the
service behind ``shopify-odoo reprocess --store shop1 --order <n>`` (the command the message
prints) re-queues it and the worker imports it, exactly once, with Shopify's total.  The
command itself runs in its own test on a prepared state database (a command is a process of
its own: it never shares an event loop or SQLite connections with a running worker)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, select
from typer.testing import CliRunner

from shopify_odoo.cli.app import app
from shopify_odoo.config import settings_from_mapping
from shopify_odoo.engine.dirty import ORDER, order_key
from shopify_odoo.engine.inbox import register_stores
from shopify_odoo.engine.links import apply_links, plan_links_now
from shopify_odoo.engine.orders import order_handler, reprocess_orders
from shopify_odoo.engine.problems import list_problems, with_problems
from shopify_odoo.engine.registry import Registry
from shopify_odoo.errors import TerminalError
from shopify_odoo.queue import complete_many, enqueue_many, fail, lease_many
from shopify_odoo.queue.model import JobState
from shopify_odoo.sandbox.shopify.storefront import Cart
from shopify_odoo.store import migrate
from shopify_odoo.store.database import open_database
from shopify_odoo.store.tables import jobs, order_links, product_links
from shopify_odoo.store.types import utcnow
from tests.integration.runner.test_run_stop import CONFIG

from .harness import OrderEngine, order_engine, shopify_total

SKUS = ["TSHIRT-0001-BLA-M", "TSHIRT-0001-BLA-L"]
runner = CliRunner()


async def drain(oe: OrderEngine) -> None:
    """Lease the queue's order jobs and run them with the engine's handler (wrapped like the
    runner's: terminal errors listed for people) one by one, finishing each as the worker
    would, until none is due."""
    registry = Registry()
    registry.register(ORDER, order_handler(oe.rt))
    handler = with_problems(oe.rt.db, registry.dispatch, ["shop1"])
    for _ in range(20):
        async with oe.rt.db.begin() as conn:
            leases = await lease_many(conn, 10)
        if not leases:
            return
        for lease in leases:
            try:
                await handler(lease)
            except TerminalError as exc:
                async with oe.rt.db.begin() as conn:
                    await fail(conn, lease, exc.message, kind="terminal")
                continue
            async with oe.rt.db.begin() as conn:
                await complete_many(conn, [lease])
    raise AssertionError("order jobs still due after 20 rounds")


async def test_unknown_sku_parked_then_reprocessed_once_linked(tmp_path: Path) -> None:
    async with order_engine(tmp_path) as oe:
        async with oe.rt.db.begin() as conn:
            await conn.execute(delete(product_links).where(product_links.c.sku == SKUS[1]))
        order = oe.place(
            Cart(lines=[(SKUS[0], 1), (SKUS[1], 2)], tax_rate=Decimal("0.15"), taxes_included=False)
        )
        async with oe.rt.db.begin() as conn:
            await enqueue_many(conn, [order_key("shop1", f"gid://shopify/Order/{order.id}")])
        await drain(oe)
        async with oe.rt.db.connect() as conn:
            [problem] = await list_problems(conn, store="shop1")
            dead = (
                await conn.execute(select(jobs.c.state).where(jobs.c.kind == ORDER))
            ).scalar_one()
        assert dead == JobState.DEAD.value
        assert problem.cause == "unknown_variant"
        for part in ("shop1", order.name, SKUS[1], "shopify-odoo link --sku", "reprocess"):
            assert part in problem.message, part
        assert await oe.sale_orders(f"shop1#{order.number}") == []

        # the person links the product, then runs the command the message names
        await apply_links(oe.rt, await plan_links_now(oe.rt))
        async with oe.rt.db.begin() as conn:
            queued = await reprocess_orders(conn, "shop1", [str(order.number)])
        assert queued.keys == (f"shop1:gid://shopify/Order/{order.id}",)
        assert queued.unknown == ()
        await drain(oe)
        [row] = await oe.sale_orders(f"shop1#{order.number}")
        assert Decimal(str(row["amount_total"])).quantize(Decimal("0.01")) == shopify_total(
            order, oe.store()
        )
        assert row["state"] == "sale"
        async with oe.rt.db.connect() as conn:
            assert await list_problems(conn, store="shop1") == []  # resolved by the success
        async with oe.rt.db.begin() as conn:  # a second reprocess imports nothing twice
            await reprocess_orders(conn, "shop1", [order.name])
        await drain(oe)
        assert len(await oe.sale_orders(f"shop1#{order.number}")) == 1


async def _parked_order(url: str) -> None:
    await migrate.upgrade(url)
    db = await open_database(url)
    await register_stores(db, settings_from_mapping(CONFIG))
    now = utcnow()
    async with db.begin() as conn:
        await conn.execute(
            order_links.insert().values(
                store="eu", shopify_order_gid="gid://shopify/Order/55", order_name="#1055",
                state="parked", parked_reason="unknown SKU", created_at=now, updated_at=now,
            )
        )  # fmt: skip
        await enqueue_many(conn, [order_key("eu", "gid://shopify/Order/55")])
        [lease] = await lease_many(conn, 1)
        await fail(conn, lease, "unknown variant", kind="terminal")
    await db.dispose()


async def _state(url: str) -> tuple[list[tuple[str, str]], list[str]]:
    db = await open_database(url)
    async with db.connect() as conn:
        job_rows = [(k, st) for k, st in await conn.execute(select(jobs.c.key, jobs.c.state))]
        links = [st for (st,) in await conn.execute(select(order_links.c.state))]
    await db.dispose()
    return job_rows, links


def test_reprocess_command_requeues_named_orders(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    asyncio.run(_parked_order(url))
    done = runner.invoke(
        app, ["reprocess", "--store", "eu", "--order", "1055", "--database-url", url],
        catch_exceptions=False,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "1 order(s) of store eu queued again" in done.output
    job_rows, links = asyncio.run(_state(url))
    assert job_rows == [("eu:gid://shopify/Order/55", "pending")]  # the dead letter replaced
    assert links == ["pending"]
    # unknown names are an error for a person, naming the store and the order
    unknown = runner.invoke(
        app, ["reprocess", "--store", "eu", "--order", "9999", "--database-url", url]
    )
    assert unknown.exit_code != 0
    assert "#9999" in unknown.output
    assert "store eu" in unknown.output
    no_store = runner.invoke(app, ["reprocess", "--order", "1055", "--database-url", url])
    assert no_store.exit_code != 0
    assert "--store" in no_store.output
