"""Worker processes: several share the queue on PostgreSQL; kill -9 mid-lease recovers."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from shopify_odoo.queue import JobState, Lease, Worker, enqueue, enqueue_many, queue_stats
from shopify_odoo.store import migrate
from shopify_odoo.store.database import Database, open_database
from shopify_odoo.store.tables import attempts

ROOT = Path(__file__).resolve().parents[3]


def spawn(url: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.queue.worker_process", url, str(log), *extra],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


async def wait_for(predicate_path: Path, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate_path.exists() and text in predicate_path.read_text():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {predicate_path}")


async def drained(db: Database, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with db.connect() as conn:
            stats = await queue_stats(conn)
        if stats.total(JobState.PENDING) + stats.total(JobState.RUNNING) == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"queue not drained: {stats}")


@pytest.mark.postgres
@pytest.mark.slow
async def test_several_worker_processes_share_the_queue(pg_url: str, tmp_path: Path) -> None:
    await migrate.upgrade(pg_url)
    db = await open_database(pg_url)
    logs = [tmp_path / f"w{i}.log" for i in range(3)]
    procs = [spawn(pg_url, log) for log in logs]
    try:
        for log in logs:
            await wait_for(log, "ready")
        keys = [f"sku-{i}" for i in range(3000)]
        for start in range(0, len(keys), 250):
            async with db.begin() as conn:
                chunk = keys[start : start + 250]
                await enqueue_many(conn, [("stock", k) for k in chunk], lane=f"s{start % 3}")
        # re-enqueue a slice while the workers are busy with it
        async with db.begin() as conn:
            await enqueue_many(conn, [("stock", k) for k in keys[:300]], lane="s0")
        await drained(db)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            assert proc.wait(timeout=30) == 0
    runs: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    starts: dict[tuple[str, str], float] = {}
    pids_used = set()
    for log in logs:
        for line in log.read_text().splitlines():
            event, key, stamp, pid = line.split()
            if event == "start":
                starts[(key, pid)] = float(stamp)
            elif event == "end":
                runs[key].append((starts.pop((key, pid)), float(stamp), pid))
                pids_used.add(pid)
    assert starts == {}, "a job started but never ended"
    assert set(runs) == set(keys), "a job was lost"
    assert len(pids_used) == 3
    for key, intervals in runs.items():
        intervals.sort()
        for (_s1, e1, p1), (s2, _e2, p2) in itertools.pairwise(intervals):
            assert s2 >= e1, f"{key} ran in {p1} and {p2} at once"
    await db.dispose()


@pytest.mark.slow
async def test_kill_9_mid_lease_recovers_after_expiry(db_url: str, tmp_path: Path) -> None:
    await migrate.upgrade(db_url)
    db = await open_database(db_url)
    log = tmp_path / "victim.log"
    ttl = 2.0
    victim = spawn(db_url, log, "--ttl", str(ttl), "--hang", "stuck")
    try:
        await wait_for(log, "ready")
        async with db.begin() as conn:
            await enqueue(conn, "stock", "stuck")
        await wait_for(log, "start stuck")
        killed_at = time.monotonic()
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(timeout=10) == -signal.SIGKILL
    finally:
        if victim.poll() is None:
            victim.kill()
    ran: list[tuple[str, float]] = []

    async def handler(lease: Lease) -> None:
        ran.append((lease.key, time.monotonic()))

    worker = Worker(db, handler, lease_ttl=ttl, poll_interval=0.2)
    task = asyncio.create_task(worker.run())
    await drained(db, timeout=30)
    await worker.stop()
    await task
    assert [key for key, _t in ran] == ["stuck"]
    # not before the dead worker's lease expired (it was leased just before killed_at)
    assert ran[0][1] - killed_at >= ttl - 0.5
    async with db.connect() as conn:
        outcomes = (await conn.execute(select(attempts.c.outcome).order_by(attempts.c.id))).all()
    assert [o[0] for o in outcomes] == ["lease_expired", "done"]
    await db.dispose()
