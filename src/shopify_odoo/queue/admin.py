"""Looking at and repairing the queue: list, counts, retry and purge dead letters, pause lanes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.queue.enqueue import mark_wake
from shopify_odoo.queue.model import Job, JobState, LaneCount, QueueStats
from shopify_odoo.store.tables import jobs, queue_lanes
from shopify_odoo.store.types import utcnow


def _job(row: Any) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        key=row.key,
        lane=row.lane,
        state=JobState(row.state),
        priority=row.priority,
        not_before=row.not_before,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        lease_token=row.lease_token,
        lease_expires_at=row.lease_expires_at,
        rerun=row.rerun,
        last_error=row.last_error,
        last_error_kind=row.last_error_kind,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def get_job(conn: AsyncConnection, job_id: int) -> Job | None:
    row = (await conn.execute(select(jobs).where(jobs.c.id == job_id))).first()
    return None if row is None else _job(row)


async def list_jobs(
    conn: AsyncConnection,
    *,
    state: JobState | None = None,
    lane: str | None = None,
    kind: str | None = None,
    key: str | None = None,
    limit: int = 100,
) -> list[Job]:
    """Jobs, oldest first (dead letters: most recent failure first)."""
    j = jobs.c
    stmt = select(jobs)
    if state is not None:
        stmt = stmt.where(j.state == state.value)
    if lane is not None:
        stmt = stmt.where(j.lane == lane)
    if kind is not None:
        stmt = stmt.where(j.kind == kind)
    if key is not None:
        stmt = stmt.where(j.key == key)
    if state == JobState.DEAD:
        stmt = stmt.order_by(j.updated_at.desc(), j.id.desc())
    else:
        stmt = stmt.order_by(j.not_before, j.id)
    rows = (await conn.execute(stmt.limit(limit))).all()
    return [_job(row) for row in rows]


async def queue_stats(conn: AsyncConnection, *, now: datetime | None = None) -> QueueStats:
    now = now or utcnow()
    j = jobs.c
    counts = (
        await conn.execute(
            select(j.lane, j.state, func.count()).group_by(j.lane, j.state).order_by(j.lane)
        )
    ).all()
    oldest = (
        await conn.execute(
            select(j.not_before)
            .where(j.state == JobState.PENDING.value, j.not_before <= now)
            .order_by(j.not_before)
            .limit(1)
        )
    ).scalar()
    q = queue_lanes.c
    paused = (
        await conn.execute(
            select(q.lane, q.paused_until).where(q.paused_until > now).order_by(q.lane)
        )
    ).all()
    return QueueStats(
        counts=tuple(LaneCount(lane, JobState(state), n) for lane, state, n in counts),
        oldest_due_age=None if oldest is None else (now - oldest).total_seconds(),
        paused_lanes=tuple((lane, until) for lane, until in paused),
    )


async def retry_dead(
    conn: AsyncConnection,
    job_ids: Sequence[int] | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Give dead letters a fresh start (``None``: all of them); returns how many.

    A dead job whose key meanwhile has a pending or running job is merged into it (the row
    is dropped: the key will be looked at anyway).
    """
    now = now or utcnow()
    j = jobs.c
    stmt = select(j.id, j.kind, j.key, j.lane).where(j.state == JobState.DEAD.value)
    if job_ids is not None:
        stmt = stmt.where(j.id.in_(list(job_ids)))
    dead = (await conn.execute(stmt.order_by(j.id))).all()
    revived = 0
    for row in dead:
        active = (
            await conn.execute(
                select(j.id).where(
                    j.kind == row.kind, j.key == row.key, j.state != JobState.DEAD.value
                )
            )
        ).first()
        if active is not None:
            await conn.execute(delete(jobs).where(j.id == row.id))
        else:
            await conn.execute(
                update(jobs)
                .where(j.id == row.id)
                .values(
                    state=JobState.PENDING.value,
                    not_before=now,
                    attempts=0,
                    rerun=False,
                    rerun_not_before=None,
                    rerun_priority=None,
                    updated_at=now,
                )
            )
        await mark_wake(conn, row.lane)
        revived += 1
    return revived


async def purge_dead(
    conn: AsyncConnection,
    *,
    job_ids: Sequence[int] | None = None,
    older_than: datetime | None = None,
) -> int:
    """Delete dead letters (all, the given ids, or those that died before ``older_than``)."""
    j = jobs.c
    stmt = delete(jobs).where(j.state == JobState.DEAD.value)
    if job_ids is not None:
        stmt = stmt.where(j.id.in_(list(job_ids)))
    if older_than is not None:
        stmt = stmt.where(j.updated_at < older_than)
    result = await conn.execute(stmt.returning(j.id))
    return len(result.all())


async def pause_lane(
    conn: AsyncConnection,
    lane: str,
    until: datetime,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> None:
    """Lease nothing from ``lane`` before ``until`` (e.g. the store is throttled)."""
    now = now or utcnow()
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(queue_lanes).values(
        lane=lane, paused_until=until, pause_reason=reason, updated_at=now
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[queue_lanes.c.lane],
            set_={
                "paused_until": stmt.excluded.paused_until,
                "pause_reason": stmt.excluded.pause_reason,
                "updated_at": stmt.excluded.updated_at,
            },
        )
    )


async def resume_lane(conn: AsyncConnection, lane: str, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    await conn.execute(
        update(queue_lanes)
        .where(queue_lanes.c.lane == lane)
        .values(paused_until=None, pause_reason=None, updated_at=now)
    )
    await mark_wake(conn, lane)
