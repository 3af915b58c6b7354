"""Many workers, thousands of jobs: none lost, none run twice at once, rerun after re-enqueue."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import defaultdict

import pytest

from shopify_odoo.queue import JobState, Lease, Worker, enqueue, enqueue_many, queue_stats
from shopify_odoo.store.database import Database

Interval = tuple[float, float, str]


def assert_no_overlap(intervals: dict[str, list[Interval]]) -> None:
    for key, runs in intervals.items():
        runs = sorted(runs)
        for (_s1, e1, w1), (s2, _e2, w2) in itertools.pairwise(runs):
            assert s2 >= e1, f"key {key} ran on {w1} and {w2} at the same time"


@pytest.mark.slow
async def test_many_workers_thousands_of_jobs(db: Database) -> None:
    n_keys = 2000
    lanes = ["eu", "us", "uk", "jp"]
    rng = random.Random(7)
    intervals: dict[str, list[Interval]] = defaultdict(list)
    running: set[str] = set()
    overlaps: list[str] = []
    reenqueued: dict[str, float] = {}
    runs_after_reenqueue: set[str] = set()

    async def handler(lease: Lease) -> None:
        if lease.key in running:
            overlaps.append(lease.key)
        running.add(lease.key)
        start = time.monotonic()
        try:
            await asyncio.sleep(rng.random() * 0.002)
            # every 10th key is re-enqueued while it runs: it must run again, afterwards
            if lease.key.endswith("0") and lease.key not in reenqueued:
                async with db.begin() as conn:
                    await enqueue(conn, lease.kind, lease.key, lane=lease.lane)
                reenqueued[lease.key] = time.monotonic()
            elif lease.key in reenqueued:
                runs_after_reenqueue.add(lease.key)
            await asyncio.sleep(0)
        finally:
            running.discard(lease.key)
            intervals[lease.key].append((start, time.monotonic(), str(id(asyncio.current_task()))))

    async def produce() -> None:
        keys = [f"sku-{i:05d}" for i in range(n_keys)]
        for start in range(0, n_keys, 100):
            async with db.begin() as conn:
                chunk = keys[start : start + 100]
                for lane in lanes:
                    await enqueue_many(
                        conn,
                        [("stock", k) for k in chunk if hash(k) % 4 == lanes.index(lane)],
                        lane=lane,
                    )
                # duplicates coalesce
                await enqueue_many(conn, [("stock", k) for k in chunk[:10]], lane="eu")
            await asyncio.sleep(0)

    workers = [
        Worker(db, handler, concurrency=16, batch_size=16, poll_interval=0.5) for _ in range(4)
    ]
    tasks = [asyncio.create_task(w.run()) for w in workers]
    await produce()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        async with db.connect() as conn:
            stats = await queue_stats(conn)
        if stats.total(JobState.PENDING) == 0 and stats.total(JobState.RUNNING) == 0:
            break
        await asyncio.sleep(0.2)
    for w in workers:
        await w.stop()
    await asyncio.gather(*tasks)

    assert overlaps == []
    assert_no_overlap(intervals)
    assert set(intervals) == {f"sku-{i:05d}" for i in range(n_keys)}, "a job was lost"
    assert runs_after_reenqueue == set(reenqueued), "a re-enqueue while running was lost"
    assert stats.total(JobState.DEAD) == 0
    assert sum(w.stats.done for w in workers) == sum(len(v) for v in intervals.values())
    # every worker took part
    assert all(w.stats.done > 0 for w in workers)
