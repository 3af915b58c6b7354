"""A job whose worker dies (its lease expires) on its last allowed attempt goes to the dead
letters without any handler seeing it fail: the reaper itself lists it for people
(``errors_for_people``: ``shopify-odoo errors``, the dashboard), exactly once, with the
object, the cause and the next step.  On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from shopify_odoo.engine.metrics import compute_figures
from shopify_odoo.engine.problems import (
    WORKER_STOPPED,
    dead_letter_recorder,
    list_problems,
    problem_handling,
)
from shopify_odoo.queue import (
    JobState,
    Lease,
    Worker,
    enqueue,
    get_job,
    lease_many,
    list_jobs,
    reap_expired,
    retry_dead,
)
from shopify_odoo.store.database import Database

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


async def _die_on_every_attempt(db: Database, attempts: int, *, ttl: float = 10) -> datetime:
    """Lease the job ``attempts`` times, each time letting the lease expire (a worker killed
    mid-run), reaping after each; returns the clock after the last reap."""
    recorder = dead_letter_recorder(["eu"])
    now = T0
    for _ in range(attempts):
        async with db.begin() as conn:
            assert len(await lease_many(conn, 1, ttl=ttl, now=now)) == 1
        now += timedelta(seconds=ttl + 1)
        async with db.begin() as conn:
            assert await reap_expired(conn, now=now, on_dead=recorder) == 1
    return now


async def test_lease_expiry_on_the_last_attempt_is_an_error_for_people(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue(conn, "order", "eu:gid://shopify/Order/7", max_attempts=3, now=T0)
    now = await _die_on_every_attempt(db, 3)
    async with db.connect() as conn:
        (job,) = await list_jobs(conn)
        problems = await list_problems(conn)
    assert job.state == JobState.DEAD
    (problem,) = problems
    assert (problem.store, problem.kind, problem.key) == ("eu", "order", job.key)
    assert problem.cause == WORKER_STOPPED
    assert problem.count == 1
    # the object, where it is, the cause, the next step
    assert f"order job {job.id} for eu:gid://shopify/Order/7" in problem.message
    assert "abandoned 3 times by a worker that stopped (crash or kill)" in problem.message
    assert "attempt 3 of 3" in problem.message
    assert "dead letters" in problem.message
    assert f'"shopify-odoo jobs retry {job.id}"' in (problem.next_step or "")
    assert "worker logs" in (problem.next_step or "")
    # reaping again later (another worker, another sweep) records nothing more
    for later in (now + timedelta(seconds=30), now + timedelta(hours=1)):
        async with db.begin() as conn:
            assert await reap_expired(conn, now=later, on_dead=dead_letter_recorder(["eu"])) == 0
    async with db.connect() as conn:
        (again,) = await list_problems(conn)
    assert again.count == 1
    figures = await compute_figures(db)
    assert figures.errors_by_cause == {WORKER_STOPPED: 1}


async def test_an_expiry_that_is_retried_is_not_a_problem(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue(conn, "stock", "eu:1", max_attempts=3, now=T0)
    await _die_on_every_attempt(db, 2)
    async with db.connect() as conn:
        (job,) = await list_jobs(conn)
        assert await list_problems(conn, include_resolved=True) == []
    assert job.state == JobState.PENDING


async def test_only_the_attempts_that_expired_count_as_abandoned(db: Database) -> None:
    """The message counts the expiries of this life of the job, not earlier lives of it."""
    async with db.begin() as conn:
        await enqueue(conn, "stock", "eu:2", max_attempts=1, now=T0)
    now = await _die_on_every_attempt(db, 1)
    async with db.begin() as conn:
        (job,) = await list_jobs(conn)
        assert await retry_dead(conn, [job.id], now=now) == 1
    async with db.begin() as conn:
        assert len(await lease_many(conn, 1, ttl=10, now=now)) == 1
    async with db.begin() as conn:
        dead = dead_letter_recorder(["eu"])
        assert await reap_expired(conn, now=now + timedelta(seconds=11), on_dead=dead) == 1
        (problem,) = await list_problems(conn)
    assert "abandoned once" in problem.message
    assert problem.count == 2  # the same key parked a second time


async def test_concurrent_reapers_record_one_problem(db: Database) -> None:
    async with db.begin() as conn:
        for i in range(20):
            await enqueue(conn, "stock", f"eu:{i}", max_attempts=1, now=T0)
    async with db.begin() as conn:
        assert len(await lease_many(conn, 20, ttl=10, now=T0)) == 20
    recorder = dead_letter_recorder(["eu"])

    async def reap() -> int:
        async with db.begin() as conn:
            return await reap_expired(conn, now=T0 + timedelta(seconds=11), on_dead=recorder)

    counts = await asyncio.gather(*(reap() for _ in range(4)))
    assert sum(counts) == 20
    async with db.connect() as conn:
        problems = await list_problems(conn)
    assert len(problems) == 20
    assert {p.count for p in problems} == {1}


async def test_a_worker_takes_back_a_dead_workers_job_lists_it_and_a_retry_resolves_it(
    db: Database,
) -> None:
    """The engine's wiring: ``problem_handling`` gives the handler and the worker's hook."""
    async with db.begin() as conn:
        await enqueue(conn, "stock", "eu:9", max_attempts=1)
    async with db.begin() as conn:
        # a worker leased it for 0.2 s and was killed: nothing will ever finish this lease
        (abandoned,) = await lease_many(conn, 1, ttl=0.2)
    await asyncio.sleep(0.3)
    runs: list[int] = []

    async def handler(lease: Lease) -> None:
        runs.append(lease.attempt)

    handle, on_dead = problem_handling(db, handler, ["eu"])
    worker = Worker(db, handle, on_dead=on_dead, concurrency=1, poll_interval=0.05)
    task = asyncio.create_task(worker.run())
    try:
        deadline = time.monotonic() + 10
        while True:
            async with db.connect() as conn:
                job = await get_job(conn, abandoned.job_id)
                problems = await list_problems(conn)
            if job is not None and job.state == JobState.DEAD and problems:
                break
            assert time.monotonic() < deadline, (job, problems)
            await asyncio.sleep(0.05)
        assert runs == []  # the handler never saw it
        (problem,) = problems
        assert problem.cause == WORKER_STOPPED
        assert problem.store == "eu"
        assert f"shopify-odoo jobs retry {abandoned.job_id}" in (problem.next_step or "")
        # the person checks the logs and retries it: it runs and the problem is resolved
        async with db.begin() as conn:
            assert await retry_dead(conn, [abandoned.job_id]) == 1
        while True:
            async with db.connect() as conn:
                open_problems = await list_problems(conn)
            if not open_problems:
                break
            assert time.monotonic() < deadline, open_problems
            await asyncio.sleep(0.05)
        assert runs == [1]
    finally:
        await worker.stop()
        await task
