"""The engine as ``shopify-odoo run`` assembles it: an order job whose worker was killed on its
last allowed attempt is taken back by the running worker, moved to the dead letters and listed
by ``shopify-odoo errors`` for the order's store, with the job id to retry."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from typer.testing import CliRunner

from shopify_odoo.cli.app import app
from shopify_odoo.engine.assembly import engine_parts
from shopify_odoo.engine.dirty import order_key
from shopify_odoo.engine.problems import WORKER_STOPPED, list_problems
from shopify_odoo.engine.runner import EngineParts, RunOptions, run_process
from shopify_odoo.queue import JobState, enqueue_many, get_job, lease_many
from shopify_odoo.sandbox.shopify.storefront import Cart
from shopify_odoo.store.tables import jobs

from .harness import order_engine


async def test_a_killed_workers_order_job_is_listed_by_errors(tmp_path: Path) -> None:
    async with order_engine(tmp_path) as oe:
        order = oe.place(Cart(lines=[("TSHIRT-0001-BLA-M", 1)]))
        kind, key = order_key("shop1", f"gid://shopify/Order/{order.id}")
        db = oe.rt.db
        async with db.begin() as conn:
            await conn.execute(jobs.delete())  # the catalogue's stock jobs: not this test's
            await enqueue_many(conn, [(kind, key)], max_attempts=1)
        async with db.begin() as conn:
            # a worker took it for 0.2 s and was killed: nothing will finish this lease
            (lease,) = await lease_many(conn, 1, ttl=0.2)
        await asyncio.sleep(0.3)
        parts = engine_parts(oe.rt, loops=False)
        assert parts.on_dead is not None
        stop = asyncio.Event()
        options = RunOptions(serve_http=False, loops=False, concurrency=1, poll_interval=0.05)
        running = asyncio.create_task(
            run_process(
                db, EngineParts(handler=parts.handler, on_dead=parts.on_dead), options, stop
            )
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                async with db.connect() as conn:
                    problems = await list_problems(conn)
                if problems:
                    break
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await running
        async with db.connect() as conn:
            job = await get_job(conn, lease.job_id)
        assert job is not None
        assert job.state == JobState.DEAD
        assert lease.key == key
        (problem,) = problems
        assert (problem.store, problem.kind, problem.key) == ("shop1", kind, key)
        assert problem.cause == WORKER_STOPPED
        url = oe.rt.settings.database_url.replace("sqlite+aiosqlite://", "sqlite://")
        listed = await asyncio.to_thread(
            CliRunner().invoke,
            app,
            ["errors", "--database-url", url, "--cause", WORKER_STOPPED],
            catch_exceptions=False,
        )
        assert listed.exit_code == 0, listed.output
        assert WORKER_STOPPED in listed.output  # the table folds long cells over lines
        assert "shop1" in listed.output
        assert "abandoned" in listed.output
        assert f'"shopify-odoo jobs retry {lease.job_id}"' in (problem.next_step or "")
