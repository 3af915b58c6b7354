"""Marking keys dirty: ``enqueue`` inside the caller's transaction, coalescing duplicates.

One row per key is pending-or-running (a partial unique index).  Enqueueing a key that is
pending merges into it (earliest ``not_before``, highest priority: :func:`policy.coalesce`);
enqueueing a key that is running marks it ``rerun``, so it runs once more after the current
run ends, never at the same time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, or_, text, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.queue.model import DEFAULT_LANE, DEFAULT_PRIORITY, JobState
from shopify_odoo.queue.policy import Pending, RetryPolicy, coalesce_batch
from shopify_odoo.store.database import WAKE_LANES
from shopify_odoo.store.tables import JOB_ACTIVE_STATES, jobs
from shopify_odoo.store.types import UtcDateTime, utcnow

DEFAULT_MAX_ATTEMPTS = RetryPolicy().max_attempts
CHANNEL_PREFIX = "shopify_odoo_jobs_"
_ACTIVE_PREDICATE = "state IN (" + ", ".join(f"'{s}'" for s in JOB_ACTIVE_STATES) + ")"


async def enqueue(
    conn: AsyncConnection,
    kind: str,
    key: str,
    *,
    lane: str = DEFAULT_LANE,
    not_before: datetime | None = None,
    priority: int = DEFAULT_PRIORITY,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    now: datetime | None = None,
) -> None:
    """Mark ``(kind, key)`` dirty in ``lane``; takes effect when the caller commits."""
    await enqueue_many(
        conn,
        [(kind, key)],
        lane=lane,
        not_before=not_before,
        priority=priority,
        max_attempts=max_attempts,
        now=now,
    )


async def enqueue_many(
    conn: AsyncConnection,
    keys: Iterable[tuple[str, str]],
    *,
    lane: str = DEFAULT_LANE,
    not_before: datetime | None = None,
    priority: int = DEFAULT_PRIORITY,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    now: datetime | None = None,
) -> int:
    """Enqueue many ``(kind, key)`` pairs of one lane at once; returns how many distinct keys."""
    now = now or utcnow()
    due = not_before or now
    batch = coalesce_batch((k, Pending(due, priority)) for k in keys)
    if not batch:
        return 0
    _check_identity(lane, batch)
    rows = [
        {
            "kind": kind,
            "key": key,
            "lane": lane,
            "state": JobState.PENDING.value,
            "priority": pending.priority,
            "not_before": pending.not_before,
            "attempts": 0,
            "max_attempts": max_attempts,
            "rerun": False,
            "created_at": now,
            "updated_at": now,
        }
        for (kind, key), pending in batch.items()
    ]
    if conn.dialect.name == "postgresql":
        # one statement over arrays: the server plans and runs it once, not once per row
        await conn.execute(
            _PG_UPSERT_ARRAYS,
            {
                "kinds": [kind for kind, _key in batch],
                "keys": [key for _kind, key in batch],
                "not_befores": [p.not_before for p in batch.values()],
                "priorities": [p.priority for p in batch.values()],
                "lane": lane,
                "max_attempts": max_attempts,
                "now": now,
            },
        )
    else:
        await conn.execute(upsert_statement(conn), rows)
    await mark_wake(conn, lane)
    return len(rows)


def upsert_statement(conn: AsyncConnection) -> Any:
    """INSERT … ON CONFLICT on the active-key index, merging as the module doc says (one
    cached statement, executed with many parameter sets)."""
    if conn.dialect.name == "postgresql":
        return _PG_UPSERT
    return _SQLITE_UPSERT


def _build_upsert(insert: Any) -> Any:
    stmt = insert(jobs)
    ex = stmt.excluded
    j = jobs.c
    pending = j.state == JobState.PENDING.value
    running = j.state == JobState.RUNNING.value
    return stmt.on_conflict_do_update(
        index_elements=[j.kind, j.key],
        # literal, so PostgreSQL can match it to the partial index's predicate
        index_where=text(_ACTIVE_PREDICATE),
        set_={
            "not_before": case(
                (and_(pending, ex.not_before < j.not_before), ex.not_before),
                else_=j.not_before,
            ),
            "priority": case(
                (and_(pending, ex.priority > j.priority), ex.priority), else_=j.priority
            ),
            "rerun": case((running, true()), else_=j.rerun),
            "rerun_not_before": case(
                (
                    and_(
                        running,
                        or_(j.rerun_not_before.is_(None), ex.not_before < j.rerun_not_before),
                    ),
                    ex.not_before,
                ),
                else_=j.rerun_not_before,
            ),
            "rerun_priority": case(
                (
                    and_(running, or_(j.rerun_priority.is_(None), ex.priority > j.rerun_priority)),
                    ex.priority,
                ),
                else_=j.rerun_priority,
            ),
            "updated_at": ex.updated_at,
        },
    )


async def mark_wake(conn: AsyncConnection, lane: str) -> None:
    """Wake workers when this transaction commits: in-process always, and through
    ``NOTIFY`` on PostgreSQL (delivered at commit, once per transaction)."""
    lanes: set[str] | None = (
        conn.sync_connection.info.get(WAKE_LANES) if conn.sync_connection else None
    )
    first = lanes is None
    if lanes is None:
        lanes = set()
        assert conn.sync_connection is not None
        conn.sync_connection.info[WAKE_LANES] = lanes
    lanes.add(lane)
    if first and conn.dialect.name == "postgresql":
        await conn.execute(text(f"SELECT pg_notify('{CHANNEL_PREFIX}' || current_schema(), '')"))


def _check_identity(lane: str, batch: dict[tuple[str, str], Pending]) -> None:
    if not lane or len(lane) > 64:
        raise ValueError(f"lane {lane!r} must be 1 to 64 characters")
    for kind, key in batch:
        if not kind or len(kind) > 64 or len(key) > 512:
            raise ValueError(f"job identity ({kind!r}, {key[:80]!r}…) is empty or too long")


_PG_UPSERT = _build_upsert(postgresql.insert)
_SQLITE_UPSERT = _build_upsert(sqlite.insert)


# The same merge rule as ``_build_upsert``, written out for PostgreSQL's unnest().
_PG_UPSERT_ARRAYS = text(
    """
INSERT INTO jobs (kind, key, lane, state, priority, not_before, attempts, max_attempts, rerun,
                  created_at, updated_at)
SELECT u.kind, u.key, :lane, 'pending', u.priority, u.not_before, 0, :max_attempts, false,
       :now, :now
FROM unnest(CAST(:kinds AS text[]), CAST(:keys AS text[]),
            CAST(:not_befores AS timestamptz[]), CAST(:priorities AS integer[]))
     AS u(kind, key, not_before, priority)
ON CONFLICT (kind, key) WHERE state IN ('pending', 'running') DO UPDATE SET
    not_before = CASE WHEN jobs.state = 'pending' AND excluded.not_before < jobs.not_before
                      THEN excluded.not_before ELSE jobs.not_before END,
    priority = CASE WHEN jobs.state = 'pending' AND excluded.priority > jobs.priority
                    THEN excluded.priority ELSE jobs.priority END,
    rerun = CASE WHEN jobs.state = 'running' THEN true ELSE jobs.rerun END,
    rerun_not_before = CASE
        WHEN jobs.state = 'running' AND (jobs.rerun_not_before IS NULL
                                         OR excluded.not_before < jobs.rerun_not_before)
        THEN excluded.not_before ELSE jobs.rerun_not_before END,
    rerun_priority = CASE
        WHEN jobs.state = 'running' AND (jobs.rerun_priority IS NULL
                                         OR excluded.priority > jobs.rerun_priority)
        THEN excluded.priority ELSE jobs.rerun_priority END,
    updated_at = excluded.updated_at
"""
).bindparams(bindparam("now", type_=UtcDateTime))
