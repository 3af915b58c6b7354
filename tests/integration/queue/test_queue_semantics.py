"""Queue rules one by one, on SQLite and PostgreSQL, with an explicit clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from shopify_odoo.queue import (
    JobState,
    RetryPolicy,
    complete_many,
    enqueue,
    enqueue_many,
    extend_leases,
    fail,
    get_job,
    lease_many,
    list_jobs,
    next_due,
    pause_lane,
    purge_dead,
    queue_stats,
    reap_expired,
    release_many,
    resume_lane,
    retry_dead,
)
from shopify_odoo.queue.policy import Dead, Retry
from shopify_odoo.store.database import Database
from shopify_odoo.store.tables import attempts

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def test_duplicates_coalesce_keeping_earliest_time_and_highest_priority(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue(conn, "stock", "A", not_before=at(30), priority=1, now=T0)
        await enqueue(conn, "stock", "A", not_before=at(10), priority=0, now=T0)
        await enqueue(conn, "stock", "A", not_before=at(20), priority=5, now=T0)
    async with db.begin() as conn:
        await enqueue_many(conn, [("stock", "A"), ("stock", "A")], not_before=at(40), now=T0)
        jobs = await list_jobs(conn)
    assert [(j.kind, j.key, j.not_before, j.priority) for j in jobs] == [("stock", "A", at(10), 5)]


async def test_enqueue_is_part_of_the_callers_transaction(db: Database) -> None:
    async def enqueue_then_fail() -> None:
        async with db.begin() as conn:
            await enqueue(conn, "stock", "A", now=T0)
            raise RuntimeError("caller fails after enqueue")

    with pytest.raises(RuntimeError):
        await enqueue_then_fail()
    async with db.connect() as conn:
        assert await list_jobs(conn) == []


async def test_not_before_and_priority_order_leases(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue(conn, "k", "later", not_before=at(60), now=T0)
        await enqueue(conn, "k", "low", not_before=at(0), priority=0, now=T0)
        await enqueue(conn, "k", "high", not_before=at(5), priority=9, now=T0)
    async with db.begin() as conn:
        leases = await lease_many(conn, 10, now=at(10))
    assert [lease.key for lease in leases] == ["high", "low"]
    async with db.connect() as conn:
        assert await next_due(conn) == at(60)


async def test_fair_round_robin_across_lanes(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue_many(conn, [("stock", f"big-{i}") for i in range(50)], lane="big", now=T0)
        await enqueue_many(conn, [("stock", f"eu-{i}") for i in range(2)], lane="eu", now=at(1))
        await enqueue_many(conn, [("stock", f"us-{i}") for i in range(2)], lane="us", now=at(2))
    async with db.begin() as conn:
        leases = await lease_many(conn, 6, now=at(5))
    lanes = [lease.lane for lease in leases]
    # every lane's first job before any lane's second: the big backlog does not starve others
    assert sorted(lanes[:3]) == ["big", "eu", "us"]
    assert sorted(lanes[3:]) == ["big", "eu", "us"]


async def test_paused_lane_is_skipped_until_its_time(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue(conn, "stock", "A", lane="throttled", now=T0)
        await enqueue(conn, "stock", "B", lane="fine", now=T0)
        await pause_lane(conn, "throttled", at(30), reason="THROTTLED", now=T0)
    async with db.begin() as conn:
        assert [lease.key for lease in await lease_many(conn, 10, now=at(1))] == ["B"]
        assert await lease_many(conn, 10, now=at(2)) == []
        assert await next_due(conn) == at(30)
        stats = await queue_stats(conn, now=at(2))
        assert stats.paused_lanes == (("throttled", at(30)),)
    async with db.begin() as conn:
        assert [lease.key for lease in await lease_many(conn, 10, now=at(31))] == ["A"]
    async with db.begin() as conn:
        await enqueue(conn, "stock", "C", lane="throttled", now=at(40))
        await pause_lane(conn, "throttled", at(100), now=at(40))
        await resume_lane(conn, "throttled", now=at(41))
    async with db.begin() as conn:
        assert [lease.key for lease in await lease_many(conn, 10, now=at(42))] == ["C"]


async def test_a_running_key_is_not_leased_again_and_reruns_after(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue(conn, "order", "eu/1", now=T0)
    async with db.begin() as conn:
        (first,) = await lease_many(conn, 10, now=at(1))
    async with db.begin() as conn:
        await enqueue(conn, "order", "eu/1", now=at(2), priority=3)
        assert await lease_many(conn, 10, now=at(3)) == []
    async with db.begin() as conn:
        assert await complete_many(conn, [first], now=at(4)) == {first.job_id}
    async with db.begin() as conn:
        (second,) = await lease_many(conn, 10, now=at(5))
    assert (second.key, second.attempt, second.priority) == ("eu/1", 1, 3)
    async with db.begin() as conn:
        await complete_many(conn, [second], now=at(6))
        assert await list_jobs(conn) == []
        ledger = (await conn.execute(select(attempts.c.outcome))).scalars().all()
    assert ledger == ["done", "done"]


async def test_transient_failure_retries_with_backoff_then_dead_letter(db: Database) -> None:
    policy = RetryPolicy(max_attempts=3, base=10, cap=100, jitter=0.0)
    async with db.begin() as conn:
        await enqueue(conn, "stock", "A", max_attempts=3, now=T0)
    now = T0
    decisions = []
    for attempt in range(1, 4):
        async with db.begin() as conn:
            (lease,) = await lease_many(conn, 1, now=now)
            assert lease.attempt == attempt
            decision = await fail(
                conn, lease, f"HTTP 503 #{attempt}", kind="transient", policy=policy, now=now
            )
        decisions.append(decision)
        if isinstance(decision, Retry):
            async with db.begin() as conn:
                assert await lease_many(conn, 1, now=decision.at - timedelta(seconds=1)) == []
            now = decision.at
    assert decisions[:2] == [Retry(T0 + timedelta(seconds=10)), Retry(T0 + timedelta(seconds=30))]
    assert isinstance(decisions[2], Dead)
    async with db.connect() as conn:
        (dead,) = await list_jobs(conn, state=JobState.DEAD)
    assert dead.last_error == "HTTP 503 #3"
    assert dead.last_error_kind == "transient"
    assert dead.attempts == 3


async def test_terminal_failure_parks_at_once_and_retry_dead_revives(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue(conn, "order", "eu/7", now=T0)
    async with db.begin() as conn:
        (lease,) = await lease_many(conn, 1, now=T0)
        decision = await fail(conn, lease, "SKU X unknown: link it", kind="terminal", now=T0)
    assert isinstance(decision, Dead)
    async with db.begin() as conn:
        (dead,) = await list_jobs(conn, state=JobState.DEAD)
        assert dead.last_error == "SKU X unknown: link it"
        # a new event for the key makes a fresh job; the dead letter stays for the record
        await enqueue(conn, "order", "eu/7", now=at(1))
        assert len(await list_jobs(conn)) == 2
        # retrying the dead letter merges into the pending job
        assert await retry_dead(conn, [dead.id], now=at(2)) == 1
        jobs = await list_jobs(conn)
    assert [(j.key, j.state) for j in jobs] == [("eu/7", JobState.PENDING)]
    async with db.begin() as conn:
        (lease,) = await lease_many(conn, 1, now=at(3))
        await fail(conn, lease, "still unknown", kind="terminal", now=at(3))
        assert await retry_dead(conn, None, now=at(4)) == 1
        (job,) = await list_jobs(conn)
    assert (job.state, job.attempts, job.not_before) == (JobState.PENDING, 0, at(4))


async def test_purge_dead_letters(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue_many(conn, [("k", "a"), ("k", "b"), ("k", "c")], now=T0)
    async with db.begin() as conn:
        leases = await lease_many(conn, 3, now=T0)
        for i, lease in enumerate(leases):
            await fail(conn, lease, "bad", kind="terminal", now=at(i * 10))
    async with db.begin() as conn:
        assert await purge_dead(conn, older_than=at(5)) == 1
        assert await purge_dead(conn) == 2
        assert await list_jobs(conn) == []


async def test_expired_lease_is_taken_over_and_the_old_holder_is_fenced(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue(conn, "stock", "A", now=T0)
    async with db.begin() as conn:
        (old,) = await lease_many(conn, 1, ttl=30, now=T0)
    async with db.begin() as conn:
        assert await reap_expired(conn, now=at(29)) == 0
        assert await extend_leases(conn, [old], ttl=30, now=at(20)) == {old.job_id}
        assert await reap_expired(conn, now=at(49)) == 0
        assert await reap_expired(conn, now=at(51)) == 1
        (new,) = await lease_many(conn, 1, now=at(51))
    assert new.attempt == 2
    assert new.token != old.token
    async with db.begin() as conn:
        # the first worker wakes up late: it can neither complete nor fail the job
        assert await complete_many(conn, [old], now=at(52)) == set()
        assert await fail(conn, old, "late", kind="transient", now=at(52)) is None
        assert await extend_leases(conn, [old], ttl=30, now=at(52)) == set()
        assert await complete_many(conn, [new], now=at(53)) == {new.job_id}
        outcomes = (await conn.execute(select(attempts.c.outcome).order_by(attempts.c.id))).all()
    assert [o[0] for o in outcomes] == ["lease_expired", "done"]


async def test_a_job_that_keeps_killing_its_worker_ends_in_the_dead_letters(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue(conn, "stock", "poison", max_attempts=2, now=T0)
    now = T0
    for _ in range(2):
        async with db.begin() as conn:
            assert len(await lease_many(conn, 1, ttl=10, now=now)) == 1
        now += timedelta(seconds=11)
        async with db.begin() as conn:
            assert await reap_expired(conn, now=now) == 1
    async with db.connect() as conn:
        (job,) = await list_jobs(conn)
    assert job.state == JobState.DEAD
    assert job.last_error is not None
    assert "lease expired" in job.last_error


async def test_release_gives_the_job_back_without_counting_the_attempt(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue(conn, "stock", "A", now=T0)
    async with db.begin() as conn:
        (lease,) = await lease_many(conn, 1, now=T0)
        assert await release_many(conn, [lease], now=at(1)) == {lease.job_id}
        job = await get_job(conn, lease.job_id)
        assert job is not None
        assert (job.state, job.attempts) == (JobState.PENDING, 0)
        (again,) = await lease_many(conn, 1, now=at(2))
    assert again.attempt == 1


async def test_dead_letter_with_news_during_the_run_gets_a_fresh_job(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue(conn, "order", "eu/9", now=T0)
    async with db.begin() as conn:
        (lease,) = await lease_many(conn, 1, now=T0)
    async with db.begin() as conn:
        await enqueue(conn, "order", "eu/9", now=at(1))  # the product got linked meanwhile
    async with db.begin() as conn:
        await fail(conn, lease, "unknown SKU", kind="terminal", now=at(2))
        states = sorted(j.state for j in await list_jobs(conn))
    assert states == [JobState.DEAD, JobState.PENDING]


async def test_queue_stats_counts_per_lane_and_state(db: Database) -> None:
    async with db.begin() as conn:
        await enqueue_many(conn, [("s", str(i)) for i in range(3)], lane="eu", now=T0)
        await enqueue(conn, "s", "x", lane="us", now=at(10))
    async with db.begin() as conn:
        await lease_many(conn, 1, now=at(20))
        stats = await queue_stats(conn, now=at(30))
    assert stats.total(JobState.PENDING) == 3
    assert stats.total(JobState.RUNNING) == 1
    assert stats.oldest_due_age == pytest.approx(30.0)
    by_lane = stats.by_lane()
    assert sum(by_lane["eu"].values()) == 3
    assert sum(by_lane["us"].values()) == 1
