"""The worker's stop and bookkeeping: leases released on stop (also when cancelled from
outside), bounded retries when recording outcomes fails, never more jobs running than its
concurrency."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.queue import Lease, Worker, enqueue_many
from shopify_odoo.queue import worker as worker_module
from shopify_odoo.store.database import Database
from shopify_odoo.store.tables import attempts, jobs


async def _states(db: Database) -> Counter[str]:
    async with db.connect() as conn:
        rows = await conn.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state))
        return Counter({state: n for state, n in rows})


async def _outcomes(db: Database) -> Counter[str]:
    async with db.connect() as conn:
        rows = await conn.execute(select(attempts.c.outcome))
        return Counter(outcome for (outcome,) in rows)


async def _wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def _enqueue(db: Database, count: int) -> None:
    async with db.begin() as conn:
        await enqueue_many(conn, [("stock", f"k{i}") for i in range(count)])


async def _drain(db: Database, seen: Counter[str], timeout: float = 5.0) -> Worker:
    """Run a fresh worker with a quick handler until the queue is empty."""

    async def handler(lease: Lease) -> None:
        seen[lease.key] += 1

    worker = Worker(db, handler, concurrency=4, poll_interval=0.05, lease_ttl=30)
    task = asyncio.create_task(worker.run())

    async def empty() -> bool:
        return sum((await _states(db)).values()) == 0

    await _wait_for(empty, timeout)
    await worker.stop()
    await task
    return worker


async def test_stop_releases_blocked_jobs_and_they_run_again_exactly_once(db: Database) -> None:
    await _enqueue(db, 6)
    blocked: Counter[str] = Counter()

    async def blocks(lease: Lease) -> None:
        blocked[lease.key] += 1
        await asyncio.Event().wait()  # never finishes by itself

    worker = Worker(db, blocks, concurrency=4, poll_interval=0.05, grace=0.2)
    task = asyncio.create_task(worker.run())

    async def four_running() -> bool:
        return (await _states(db))["running"] == 4

    await _wait_for(four_running)
    started = time.monotonic()
    await worker.stop()
    await task
    assert time.monotonic() - started < 3
    assert await _states(db) == Counter({"pending": 6})  # nothing left leased
    assert await _outcomes(db) == Counter({"released": 4})
    assert worker.stats.released == 4
    async with db.connect() as conn:
        tries = {a for (a,) in await conn.execute(select(jobs.c.attempts))}
    assert tries == {0}  # a released attempt is not counted as a failed one

    seen: Counter[str] = Counter()
    again = await _drain(db, seen)
    assert seen == Counter({f"k{i}": 1 for i in range(6)})  # every job once, none twice
    assert again.stats.done == 6
    assert (await _outcomes(db))["done"] == 6


async def test_cancelled_worker_task_still_releases_its_leases(db: Database) -> None:
    """The process torn down (asyncio.run cancelling every task on Ctrl-C): no job stays
    running."""
    await _enqueue(db, 5)

    async def blocks(lease: Lease) -> None:
        await asyncio.Event().wait()

    worker = Worker(db, blocks, concurrency=3, poll_interval=0.05, grace=30)
    task = asyncio.create_task(worker.run())

    async def three_running() -> bool:
        return (await _states(db))["running"] == 3

    await _wait_for(three_running)
    for job in [t for t in asyncio.all_tasks() if t.get_name().startswith("job-")]:
        job.cancel()  # the teardown cancels job tasks too, in no particular order
    task.cancel()
    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 3  # the grace period is cut short, not waited out
    assert await _states(db) == Counter({"pending": 5})
    assert await _outcomes(db) == Counter({"released": 3})
    seen: Counter[str] = Counter()
    await _drain(db, seen)
    assert seen == Counter({f"k{i}": 1 for i in range(5)})


def _failing_complete_many(failures: int, calls: list[int]) -> Any:
    """``complete_many`` whose first ``failures`` calls hit a real database error first (the
    transaction is left failed: on PostgreSQL every later statement in it would be refused)."""
    real = worker_module.complete_many

    async def complete_many(conn: AsyncConnection, leases: Sequence[Lease], **kw: Any) -> Any:
        calls.append(len(leases))
        if len(calls) <= failures:
            await conn.execute(text("UPDATE no_such_table SET x = 1"))
        return await real(conn, leases, **kw)

    return complete_many


async def test_a_failed_finish_is_rolled_back_and_retried_in_a_fresh_transaction(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(worker_module, "complete_many", _failing_complete_many(2, calls))
    await _enqueue(db, 1)
    seen: Counter[str] = Counter()

    async def handler(lease: Lease) -> None:
        seen[lease.key] += 1

    worker = Worker(db, handler, concurrency=2, poll_interval=0.05, flush_backoff=0.01)
    task = asyncio.create_task(worker.run())

    async def empty() -> bool:
        return sum((await _states(db)).values()) == 0

    await _wait_for(empty)
    await worker.stop()
    await task
    assert len(calls) == 3  # two failed tries, the third (a fresh transaction) went through
    assert seen == Counter({"k0": 1})
    assert worker.stats.done == 1
    assert worker.stats.unrecorded == 0
    assert await _outcomes(db) == Counter({"done": 1})


async def test_a_finish_that_keeps_failing_is_given_up_and_shutdown_is_clean(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(worker_module, "complete_many", _failing_complete_many(10**6, calls))
    await _enqueue(db, 1)
    seen: Counter[str] = Counter()

    async def handler(lease: Lease) -> None:
        seen[lease.key] += 1

    worker = Worker(
        db, handler, concurrency=2, poll_interval=0.05, lease_ttl=1.0, flush_backoff=0.01
    )
    task = asyncio.create_task(worker.run())

    async def gave_up() -> bool:
        return worker.stats.unrecorded == 1

    await _wait_for(gave_up)
    await asyncio.sleep(0.2)  # no further tries after giving up
    assert len(calls) == worker.flush_attempts
    started = time.monotonic()
    await worker.stop()
    await task
    assert time.monotonic() - started < 2  # shutdown does not hang on the failed outcome
    assert len(calls) == worker.flush_attempts
    assert await _states(db) == Counter({"running": 1})  # left to lease expiry, not lost

    monkeypatch.undo()
    await asyncio.sleep(1.1)  # the lease expires; the next worker takes the job back
    await _drain(db, seen)
    assert seen == Counter({"k0": 2})
    assert await _outcomes(db) == Counter({"lease_expired": 1, "done": 1})


async def test_jobs_marked_running_never_exceed_concurrency(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slow bookkeeping (a busy database): finished jobs whose outcome is not yet written are
    still running in the table, so they must still count against the concurrency."""
    real = worker_module.complete_many

    async def slow_complete_many(conn: AsyncConnection, leases: Sequence[Lease], **kw: Any) -> Any:
        await asyncio.sleep(0.15)
        return await real(conn, leases, **kw)

    monkeypatch.setattr(worker_module, "complete_many", slow_complete_many)
    await _enqueue(db, 40)
    seen: Counter[str] = Counter()
    peak = 0

    async def handler(lease: Lease) -> None:
        seen[lease.key] += 1
        await asyncio.sleep(0.01)

    worker = Worker(db, handler, concurrency=4, batch_size=4, poll_interval=0.05)
    task = asyncio.create_task(worker.run())
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        states = await _states(db)
        peak = max(peak, states["running"])
        if not states:
            break
        await asyncio.sleep(0.01)
    await worker.stop()
    await task
    assert not await _states(db)
    assert seen == Counter({f"k{i}": 1 for i in range(40)})
    assert 1 <= peak <= 4
