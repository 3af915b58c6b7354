"""The database's coalescing matches the pure rule, for any sequence of enqueues, leases and
completions (hypothesis drives SQLite; the same upsert statement runs on PostgreSQL, whose
behaviour the semantics tests pin down)."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from shopify_odoo.queue import complete_many, enqueue, lease_many, list_jobs
from shopify_odoo.queue.model import JobState, Lease
from shopify_odoo.queue.policy import Pending, coalesce
from shopify_odoo.store import migrate
from shopify_odoo.store.database import Database, open_database
from shopify_odoo.store.tables import attempts, jobs

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LATER = T0 + timedelta(days=1)

ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("enqueue"),
            st.sampled_from(["a", "b", "c"]),
            st.integers(0, 1000).map(lambda s: T0 + timedelta(seconds=s)),
            st.integers(0, 3),
        ),
        st.tuples(st.just("lease")),
        st.tuples(st.just("complete")),
    ),
    max_size=25,
)


@dataclass
class KeyModel:
    pending: Pending | None = None
    running: bool = False
    rerun: Pending | None = None


@dataclass
class Model:
    keys: dict[str, KeyModel] = field(default_factory=dict)

    def enqueue(self, key: str, p: Pending) -> None:
        k = self.keys.setdefault(key, KeyModel())
        if k.running:
            k.rerun = p if k.rerun is None else coalesce(k.rerun, p)
        else:
            k.pending = p if k.pending is None else coalesce(k.pending, p)

    def lease(self) -> None:
        for k in self.keys.values():
            if k.pending is not None and not k.running:
                k.running, k.pending = True, None

    def complete(self) -> None:
        for k in self.keys.values():
            if k.running:
                k.running, k.pending, k.rerun = False, k.rerun, None

    def expected(self) -> dict[str, tuple[JobState, datetime | None, int | None]]:
        result: dict[str, tuple[JobState, datetime | None, int | None]] = {}
        for key, k in self.keys.items():
            if k.running:
                result[key] = (JobState.RUNNING, None, None)
            elif k.pending is not None:
                result[key] = (JobState.PENDING, k.pending.not_before, k.pending.priority)
        return result


async def run_ops(db: Database, sequence: list[tuple[object, ...]]) -> None:
    async with db.begin() as conn:
        await conn.execute(delete(jobs))
        await conn.execute(delete(attempts))
    model = Model()
    held: list[Lease] = []
    for op in sequence:
        async with db.begin() as conn:
            if op[0] == "enqueue":
                _, key, not_before, priority = op
                assert isinstance(key, str)
                assert isinstance(not_before, datetime)
                assert isinstance(priority, int)
                await enqueue(conn, "stock", key, not_before=not_before, priority=priority, now=T0)
                model.enqueue(key, Pending(not_before, priority))
            elif op[0] == "lease":
                held += await lease_many(conn, 100, now=LATER)
                model.lease()
            else:
                await complete_many(conn, held, now=LATER)
                held = []
                model.complete()
    async with db.connect() as conn:
        rows = await list_jobs(conn, limit=1000)
    actual = {
        j.key: (
            j.state,
            None if j.state == JobState.RUNNING else j.not_before,
            None if j.state == JobState.RUNNING else j.priority,
        )
        for j in rows
    }
    assert len(rows) == len(actual), "two active jobs for one key"
    # a rerun keeps the earliest time asked for while it ran, but never earlier than the
    # completion (LATER is when it completed; our times are all before it, so they stand)
    assert actual == model.expected()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_database_coalescing_matches_the_model(sequence: list[tuple[object, ...]]) -> None:
    asyncio.run(_with_db(sequence))


_DB_DIR = tempfile.mkdtemp(prefix="queue-model-")
_URL = f"sqlite:///{Path(_DB_DIR) / 'state.sqlite3'}"
_upgraded: list[bool] = []


async def _with_db(sequence: list[tuple[object, ...]]) -> None:
    if not _upgraded:
        await migrate.upgrade(_URL)
        _upgraded.append(True)
    db = await open_database(_URL)
    try:
        await run_ops(db, sequence)
    finally:
        await db.dispose()
