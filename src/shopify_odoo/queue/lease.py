"""Taking work: fair leases across lanes, lease expiry, and when the next job is due.

A lease marks jobs ``running`` until ``lease_expires_at``.  Jobs are taken round-robin across
lanes (every lane's first due job before any lane's second), so one store's backlog never
starves another; a paused lane (a throttled store) is skipped until its pause ends.

PostgreSQL: one statement; ``FOR UPDATE SKIP LOCKED`` lets any number of workers lease at once
without waiting on each other.  SQLite: the transaction holds the write lock (``BEGIN
IMMEDIATE``), so the candidate read and the update cannot race.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, insert, select, text, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.queue.enqueue import enqueue, mark_wake
from shopify_odoo.queue.model import Abandoned, JobState, Lease, Outcome
from shopify_odoo.store.tables import attempts, jobs, queue_lanes
from shopify_odoo.store.types import UtcDateTime, utcnow

_SQLITE_LANES_PER_QUERY = 400  # SQLite allows 500 terms in a compound SELECT


def new_token() -> str:
    return secrets.token_hex(8)


async def lease_many(
    conn: AsyncConnection,
    limit: int,
    *,
    ttl: float = 60.0,
    now: datetime | None = None,
    token: str | None = None,
) -> list[Lease]:
    """Lease up to ``limit`` due jobs for ``ttl`` seconds; call inside a transaction."""
    if limit <= 0:
        return []
    now = now or utcnow()
    token = token or new_token()
    expires = now + timedelta(seconds=ttl)
    if conn.dialect.name == "postgresql":
        rows = await _lease_postgresql(conn, limit, now, expires, token)
    else:
        rows = await _lease_sqlite(conn, limit, now, expires, token)
    leases = [
        Lease(
            job_id=r.id,
            kind=r.kind,
            key=r.key,
            lane=r.lane,
            priority=r.priority,
            attempt=r.attempts,
            max_attempts=r.max_attempts,
            token=token,
            expires_at=expires,
            last_error=r.last_error,
        )
        for r in rows
    ]
    # keep the round-robin order the candidates were chosen in
    return sorted(leases, key=_fair_order(leases))


def _fair_order(leases: Sequence[Lease]) -> Any:
    rank: dict[int, int] = {}
    for _lane, group in itertools.groupby(
        sorted(leases, key=lambda lease: (lease.lane, -lease.priority, lease.job_id)),
        key=lambda lease: lease.lane,
    ):
        for position, lease in enumerate(group):
            rank[lease.job_id] = position
    return lambda lease: (rank[lease.job_id], -lease.priority, lease.job_id)


_LANES_CTE = """
lanes AS (
    SELECT min(lane) AS lane FROM jobs WHERE state = 'pending'
    UNION ALL
    SELECT (SELECT min(j.lane) FROM jobs j WHERE j.state = 'pending' AND j.lane > lanes.lane)
    FROM lanes WHERE lanes.lane IS NOT NULL
)"""

_PG_LEASE = text(
    f"""
WITH RECURSIVE {_LANES_CTE},
ranked AS (
    SELECT c.id, c.priority, c.not_before,
           row_number() OVER (PARTITION BY c.lane
                              ORDER BY c.priority DESC, c.not_before, c.id) AS rn
    FROM lanes l
    CROSS JOIN LATERAL (
        SELECT j.id, j.lane, j.priority, j.not_before FROM jobs j
        WHERE j.state = 'pending' AND j.lane = l.lane AND j.not_before <= :now
        ORDER BY j.priority DESC, j.not_before, j.id
        LIMIT :per_lane
    ) c
    WHERE l.lane IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM queue_lanes q
                      WHERE q.lane = l.lane AND q.paused_until > :now)
),
candidates AS (
    SELECT id, rn, priority, not_before FROM ranked
    ORDER BY rn, priority DESC, not_before, id
    LIMIT :candidates
),
locked AS (
    SELECT j.id FROM candidates c JOIN jobs j ON j.id = c.id
    WHERE j.state = 'pending'
    ORDER BY c.rn, c.priority DESC, c.not_before, c.id
    LIMIT :limit
    FOR UPDATE OF j SKIP LOCKED
)
UPDATE jobs SET state = 'running', lease_token = :token, lease_expires_at = :expires,
       attempts = jobs.attempts + 1, updated_at = :now
FROM locked WHERE jobs.id = locked.id
RETURNING jobs.id, jobs.kind, jobs.key, jobs.lane, jobs.priority, jobs.attempts,
          jobs.max_attempts, jobs.last_error
"""  # noqa: S608 (constant SQL, values are bound)
).bindparams(
    bindparam("now", type_=UtcDateTime),
    bindparam("expires", type_=UtcDateTime),
)


async def _lease_postgresql(
    conn: AsyncConnection, limit: int, now: datetime, expires: datetime, token: str
) -> Sequence[Any]:
    # Candidates beyond ``limit`` leave room for rows other workers lock at the same moment.
    params = {"now": now, "expires": expires, "token": token, "limit": limit}
    result = await conn.execute(
        _PG_LEASE, {**params, "per_lane": limit * 2, "candidates": limit * 2}
    )
    return result.all()


_SQLITE_LANES = text(
    f"""
WITH RECURSIVE {_LANES_CTE}
SELECT lanes.lane FROM lanes
WHERE lanes.lane IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM queue_lanes q WHERE q.lane = lanes.lane AND q.paused_until > :now)
"""  # noqa: S608 (constant SQL, values are bound)
).bindparams(bindparam("now", type_=UtcDateTime))


async def _lease_sqlite(
    conn: AsyncConnection, limit: int, now: datetime, expires: datetime, token: str
) -> Sequence[Any]:
    lanes = [row[0] for row in (await conn.execute(_SQLITE_LANES, {"now": now})).all()]
    if not lanes:
        return []
    j = jobs.c
    candidates: list[tuple[int, int, datetime, int]] = []
    for start in range(0, len(lanes), _SQLITE_LANES_PER_QUERY):
        parts = [
            select(j.id, j.lane, j.priority, j.not_before)
            .where(j.state == JobState.PENDING.value, j.lane == lane, j.not_before <= now)
            .order_by(j.priority.desc(), j.not_before, j.id)
            .limit(limit)
            .subquery()
            .select()
            for lane in lanes[start : start + _SQLITE_LANES_PER_QUERY]
        ]
        query = parts[0] if len(parts) == 1 else union_all(*parts)
        rank: dict[str, int] = {}
        for row in (await conn.execute(query)).all():
            position = rank.get(row.lane, 0)
            rank[row.lane] = position + 1
            candidates.append((position, -row.priority, row.not_before, row.id))
    candidates.sort()
    chosen = [c[3] for c in candidates[:limit]]
    if not chosen:
        return []
    stmt = (
        update(jobs)
        .where(j.id.in_(chosen))
        .values(
            state=JobState.RUNNING.value,
            lease_token=token,
            lease_expires_at=expires,
            attempts=j.attempts + 1,
            updated_at=now,
        )
        .returning(
            j.id, j.kind, j.key, j.lane, j.priority, j.attempts, j.max_attempts, j.last_error
        )
    )
    return (await conn.execute(stmt)).all()


async def next_due(conn: AsyncConnection) -> datetime | None:
    """When the earliest pending job becomes due (a paused lane's jobs: when its pause ends)."""
    j = jobs.c
    q = queue_lanes.c
    due = case((q.paused_until > j.not_before, q.paused_until), else_=j.not_before)
    stmt = (
        select(func.min(due))
        .select_from(jobs.outerjoin(queue_lanes, q.lane == j.lane))
        .where(j.state == JobState.PENDING.value)
    )
    value = (await conn.execute(stmt)).scalar()
    if value is None:
        return None
    if isinstance(value, str):  # SQLite gives text for an expression over two columns
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: called inside the reaper's transaction with the jobs it moved to the dead letters
DeadLetterHook = Callable[[AsyncConnection, Sequence[Abandoned]], Awaitable[None]]


async def reap_expired(
    conn: AsyncConnection,
    *,
    now: datetime | None = None,
    limit: int = 500,
    on_dead: DeadLetterHook | None = None,
) -> int:
    """Take back jobs whose lease expired (their worker died or hung).

    They become pending again, due at once; a job that already used all its attempts this way
    goes to the dead letters instead, so a job that kills its worker cannot loop for ever.  No
    handler sees such a job fail, so ``on_dead`` is told about it here, in this transaction: a
    row is reaped by one transaction only (``SKIP LOCKED`` / SQLite's write lock, and the
    update re-checks the state), so the hook runs exactly once per dead letter.
    """
    now = now or utcnow()
    j = jobs.c
    stmt = (
        select(
            j.id,
            j.kind,
            j.key,
            j.lane,
            j.attempts,
            j.max_attempts,
            j.priority,
            j.rerun,
            j.rerun_priority,
            j.lease_expires_at,
            j.created_at,
        )
        .where(j.state == JobState.RUNNING.value, j.lease_expires_at < now)
        .order_by(j.lease_expires_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = (await conn.execute(stmt)).all()
    if not rows:
        return 0
    ledger: list[dict[str, Any]] = []
    reaped: list[Any] = []
    dead_rows: list[Any] = []
    for row in rows:
        message = (
            f"lease expired during attempt {row.attempts}: the worker stopped, was killed or "
            "hung while running it"
        )
        dead = row.attempts >= row.max_attempts
        values: dict[str, Any] = {
            "lease_token": None,
            "lease_expires_at": None,
            "last_error": message,
            "last_error_kind": "lease",
            "updated_at": now,
        }
        if dead:
            values |= {"state": JobState.DEAD.value}
        else:
            priority = max(row.priority, row.rerun_priority or row.priority)
            values |= {
                "state": JobState.PENDING.value,
                "not_before": now,
                "priority": priority,
                "rerun": False,
                "rerun_not_before": None,
                "rerun_priority": None,
            }
        updated = await conn.execute(
            update(jobs)
            .where(j.id == row.id, j.state == JobState.RUNNING.value, j.lease_expires_at < now)
            .values(**values)
            .returning(j.id)
        )
        if updated.first() is None:
            continue  # taken back (or finished) by someone else meanwhile
        reaped.append(row)
        if dead:
            dead_rows.append(row)
        if dead and row.rerun:
            await enqueue(
                conn,
                row.kind,
                row.key,
                lane=row.lane,
                priority=row.rerun_priority or 0,
                max_attempts=row.max_attempts,
                now=now,
            )
        ledger.append(
            {
                "job_id": row.id,
                "kind": row.kind,
                "key": row.key,
                "lane": row.lane,
                "attempt": row.attempts,
                "outcome": Outcome.DEAD.value if dead else Outcome.LEASE_EXPIRED.value,
                "error": message,
                "at": now,
            }
        )
    if not reaped:
        return 0
    if dead_rows and on_dead is not None:
        counts = await _lease_expiries(conn, dead_rows)
        await on_dead(
            conn,
            [
                Abandoned(
                    job_id=row.id,
                    kind=row.kind,
                    key=row.key,
                    lane=row.lane,
                    attempt=row.attempts,
                    max_attempts=row.max_attempts,
                    abandoned=counts.get(row.id, 0) + 1,
                    expired_at=row.lease_expires_at,
                )
                for row in dead_rows
            ],
        )
    await conn.execute(insert(attempts), ledger)
    for lane in {row.lane for row in reaped}:
        await mark_wake(conn, lane)
    return len(reaped)


async def _lease_expiries(conn: AsyncConnection, rows: Sequence[Any]) -> dict[int, int]:
    """Earlier attempts of these jobs that ended by lease expiry, in the job's present life
    (since it was created, and since it last succeeded or was revived from the dead letters)."""
    a = attempts.c
    created = {row.id: row.created_at for row in rows}
    history = await conn.execute(
        select(a.job_id, a.outcome, a.at)
        .where(
            a.job_id.in_(list(created)),
            a.outcome.in_([Outcome.DONE.value, Outcome.DEAD.value, Outcome.LEASE_EXPIRED.value]),
        )
        .order_by(a.id)
    )
    counts: dict[int, int] = {}
    for job_id, outcome, when in history:
        if when < created[job_id]:
            continue  # a ledger row of an earlier job that had the same id (SQLite reuses ids)
        if outcome != Outcome.LEASE_EXPIRED.value:
            counts[job_id] = 0
        else:
            counts[job_id] = counts.get(job_id, 0) + 1
    return counts
