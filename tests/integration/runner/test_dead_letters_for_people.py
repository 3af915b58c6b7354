"""A job that goes to the dead letters after its retries is shown to people: in ``errors``
(errors_for_people) and in the figures' "errors by cause", with its last error."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select

from shopify_odoo.engine.metrics import compute_figures
from shopify_odoo.engine.problems import list_problems, with_problems
from shopify_odoo.errors import TransientError
from shopify_odoo.queue import Lease, Worker, enqueue_many
from shopify_odoo.queue.policy import RetryPolicy
from shopify_odoo.store.database import Database
from shopify_odoo.store.tables import jobs


async def test_dead_letters_are_listed_for_people_with_their_last_error(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue_many(conn, [("stock", "eu:1"), ("stock", "eu:2")], max_attempts=2)
        await enqueue_many(conn, [("stock", "eu:3")], max_attempts=2)
    runs: list[str] = []

    async def handler(lease: Lease) -> None:
        runs.append(lease.key)
        if lease.key == "eu:1":
            raise TransientError("Odoo answered 503 Service Unavailable", cause="odoo_unavailable")
        if lease.key == "eu:2":
            raise RuntimeError("division by zero in the planner")

    worker = Worker(
        db,
        with_problems(db, handler, ["eu"]),
        concurrency=4,
        poll_interval=0.05,
        policy=RetryPolicy(base=0.01, cap=0.02),
    )
    task = asyncio.create_task(worker.run())
    deadline = time.monotonic() + 5
    while worker.stats.dead < 2 or worker.stats.done < 1:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    await worker.stop()
    await task
    assert sorted(runs) == ["eu:1", "eu:1", "eu:2", "eu:2", "eu:3"]
    async with db.connect() as conn:
        dead = sorted(
            key for (key,) in await conn.execute(select(jobs.c.key).where(jobs.c.state == "dead"))
        )
        problems = {p.key: p for p in await list_problems(conn)}
    assert dead == ["eu:1", "eu:2"]
    assert set(problems) == {"eu:1", "eu:2"}
    throttled, broken = problems["eu:1"], problems["eu:2"]
    assert (throttled.store, throttled.kind, throttled.cause) == ("eu", "stock", "odoo_unavailable")
    assert "failed 2 times" in throttled.message
    assert "dead letters" in throttled.message
    assert "Odoo answered 503 Service Unavailable" in throttled.message
    assert "shopify-odoo reprocess" in (throttled.next_step or "")
    assert broken.cause == "unexpected_error"
    assert "RuntimeError: division by zero in the planner" in broken.message
    figures = await compute_figures(db)
    assert figures.errors_by_cause == {"odoo_unavailable": 1, "unexpected_error": 1}


async def test_a_failure_that_is_retried_is_not_a_problem_yet(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue_many(conn, [("stock", "eu:1")], max_attempts=3)
    runs: list[int] = []

    async def handler(lease: Lease) -> None:
        runs.append(lease.attempt)
        if lease.attempt == 1:
            raise TransientError("Shopify throttled the request", cause="throttled")

    worker = Worker(
        db,
        with_problems(db, handler, ["eu"]),
        concurrency=2,
        poll_interval=0.05,
        policy=RetryPolicy(base=0.01, cap=0.02),
    )
    task = asyncio.create_task(worker.run())
    deadline = time.monotonic() + 5
    while worker.stats.done < 1:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    await worker.stop()
    await task
    assert runs == [1, 2]
    async with db.connect() as conn:
        assert await list_problems(conn, include_resolved=True) == []
