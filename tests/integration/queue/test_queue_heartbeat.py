"""The worker's heartbeat: it warns about a lease lost while its job ran, and only then.

The demo once printed "lease of job 24 (stock_recheck 135) expired while it ran" for a job
that had finished normally: the heartbeat took its list of held leases, the flusher recorded
the job's outcome (deleting its row) before the heartbeat's UPDATE ran, and the heartbeat took
the missing row for a lost lease.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from shopify_odoo.queue import (
    JobState,
    Lease,
    Worker,
    complete_many,
    enqueue,
    extend_leases,
    lease_many,
)
from shopify_odoo.store.database import Database
from shopify_odoo.store.tables import jobs
from shopify_odoo.store.types import utcnow

WORKER_LOG = "shopify_odoo.queue.worker"
EXPIRED = "expired while it ran"


def _expired_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if EXPIRED in r.getMessage()]


async def _until(check: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


async def test_an_outcome_recorded_during_the_heartbeat_is_not_reported_as_expired(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=WORKER_LOG)
    release = asyncio.Event()

    async def handler(lease: Lease) -> None:
        await release.wait()

    worker = Worker(db, handler, concurrency=1, lease_ttl=0.6, poll_interval=0.05)
    original_begin = db.begin
    raced = False

    @asynccontextmanager
    async def begin() -> AsyncIterator[object]:
        # The heartbeat has taken its list of held leases (the job is running): let the job
        # finish and its outcome be recorded before the heartbeat's UPDATE runs, as happens
        # when that UPDATE waits for SQLite's write lock behind the flusher.
        nonlocal raced
        task = asyncio.current_task()
        if not raced and task is not None and task.get_name().startswith("queue-hb-"):
            raced = True
            release.set()
            await _until(lambda: worker.stats.done == 1)
        async with original_begin() as conn:
            yield conn

    monkeypatch.setattr(db, "begin", begin)
    async with original_begin() as conn:
        await enqueue(conn, "stock_recheck", "135")
    run = asyncio.create_task(worker.run())
    try:
        await _until(lambda: raced and worker.stats.done == 1)
        await asyncio.sleep(0.3)  # the heartbeat's check of that round has run
    finally:
        await worker.stop(grace=1)
        await run
    assert raced
    assert (worker.stats.done, worker.stats.lost) == (1, 0)
    assert _expired_warnings(caplog) == []


async def test_a_lease_taken_over_while_the_job_runs_is_reported(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=WORKER_LOG)
    started = asyncio.Event()
    release = asyncio.Event()

    async def handler(lease: Lease) -> None:
        started.set()
        await release.wait()

    worker = Worker(db, handler, concurrency=1, lease_ttl=0.6, poll_interval=0.05)
    async with db.begin() as conn:
        await enqueue(conn, "stock_recheck", "135")
    run = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(started.wait(), 5)
        async with db.begin() as conn:  # as if reaped and leased by another worker
            job_id = (await conn.execute(select(jobs.c.id))).scalar_one()
            await conn.execute(update(jobs).values(lease_token="someone-else"))
        await _until(lambda: _expired_warnings(caplog) != [])
    finally:
        release.set()
        await worker.stop(grace=1)
        await run
    # once per heartbeat until the handler ended
    assert set(_expired_warnings(caplog)) == {
        f"lease of job {job_id} (stock_recheck 135) expired while it ran"
    }
    assert worker.stats.lost == 1


async def test_enqueueing_a_running_key_leaves_its_lease_alone(db: Database) -> None:
    """Hypothesis checked for the demo's warning: a delayed re-enqueue of a running key (as
    ``stock_recheck`` is) must not touch the lease; it marks the key to run again after."""
    now = utcnow()
    async with db.begin() as conn:
        await enqueue(conn, "stock_recheck", "135", now=now)
    async with db.begin() as conn:
        (lease,) = await lease_many(conn, 10, ttl=60, now=now)
    async with db.begin() as conn:
        before = (await conn.execute(select(jobs))).one()
        await enqueue(conn, "stock_recheck", "135", not_before=now + timedelta(seconds=30), now=now)
        assert await lease_many(conn, 10, now=now + timedelta(seconds=31)) == []
    async with db.begin() as conn:
        after = (await conn.execute(select(jobs))).one()
        assert await extend_leases(conn, [lease], ttl=60, now=now) == {lease.job_id}
    assert (after.state, after.lease_token, after.lease_expires_at, after.not_before) == (
        JobState.RUNNING.value,
        before.lease_token,
        before.lease_expires_at,
        before.not_before,
    )
    assert after.rerun
    async with db.begin() as conn:
        assert await complete_many(conn, [lease], now=now) == {lease.job_id}
        again = (await conn.execute(select(jobs))).one()
    assert again.state == JobState.PENDING.value
    assert again.not_before == now + timedelta(seconds=30)
