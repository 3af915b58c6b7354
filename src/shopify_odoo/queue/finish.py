"""Ending a lease: complete, fail (retry or dead letter), release, or extend it.

Every statement is fenced by the lease token: a worker whose lease expired and was taken over
changes nothing (the functions report which jobs they could not touch).  Every outcome also
writes a row to the attempt ledger.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, insert, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.queue.enqueue import CHANNEL_PREFIX, enqueue, mark_wake
from shopify_odoo.queue.model import JobState, Lease, Outcome
from shopify_odoo.queue.policy import (
    Dead,
    ErrorKind,
    Retry,
    RetryDecision,
    RetryPolicy,
    retry_decision,
)
from shopify_odoo.store.tables import attempts, jobs
from shopify_odoo.store.types import UtcDateTime, utcnow

log = logging.getLogger(__name__)

_ERROR_LIMIT = 4000


def _by_token(leases: Iterable[Lease]) -> Iterable[tuple[str, list[Lease]]]:
    ordered = sorted(leases, key=lambda lease: lease.token)
    for token, group in groupby(ordered, key=lambda lease: lease.token):
        yield token, list(group)


def _held(token: str, ids: Sequence[int]) -> Any:
    j = jobs.c
    return and_(j.id.in_(ids), j.lease_token == token, j.state == JobState.RUNNING.value)


def _ledger_row(
    lease: Lease,
    outcome: Outcome,
    now: datetime,
    *,
    duration_ms: float | None = None,
    error: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    return {
        "job_id": lease.job_id,
        "kind": lease.kind,
        "key": lease.key,
        "lane": lease.lane,
        "attempt": lease.attempt,
        "outcome": outcome.value,
        "status": status,
        "duration_ms": duration_ms,
        "error": error,
        "at": now,
    }


async def complete_many(
    conn: AsyncConnection,
    leases: Sequence[Lease],
    *,
    now: datetime | None = None,
    durations_ms: Mapping[int, float] | None = None,
) -> set[int]:
    """Mark leased jobs done; returns the ids completed (a lost lease is left out and logged).

    A job re-enqueued while it ran becomes pending again (due at the earliest time asked for)
    instead of disappearing.
    """
    if not leases:
        return set()
    now = now or utcnow()
    if conn.dialect.name == "postgresql":
        return await _complete_many_postgresql(conn, leases, now, durations_ms or {})
    j = jobs.c
    done: set[int] = set()
    rerun_lanes: set[str] = set()
    for token, group in _by_token(leases):
        ids = [lease.job_id for lease in group]
        # Delete first, then requeue what is left: an enqueue that marks ``rerun`` between the
        # two statements makes the delete skip that row, and the update below requeues it.
        deleted = await conn.execute(
            delete(jobs).where(_held(token, ids), j.rerun.is_(False)).returning(j.id)
        )
        done.update(row[0] for row in deleted)
        requeued = await conn.execute(
            update(jobs)
            .where(_held(token, ids), j.rerun.is_(True))
            .values(
                state=JobState.PENDING.value,
                # the run served the earlier request: the new request's time and priority count
                not_before=case((j.rerun_not_before.is_(None), now), else_=j.rerun_not_before),
                priority=case((j.rerun_priority.is_(None), j.priority), else_=j.rerun_priority),
                rerun=False,
                rerun_not_before=None,
                rerun_priority=None,
                attempts=0,
                lease_token=None,
                lease_expires_at=None,
                last_error=None,
                last_error_kind=None,
                updated_at=now,
            )
            .returning(j.id, j.lane)
        )
        for row in requeued:
            done.add(row[0])
            rerun_lanes.add(row[1])
    lost = [lease for lease in leases if lease.job_id not in done]
    for lease in lost:
        _log_lost(lease, "complete")
    durations = durations_ms or {}
    rows = [
        _ledger_row(lease, Outcome.DONE, now, duration_ms=durations.get(lease.job_id))
        for lease in leases
        if lease.job_id in done
    ]
    if rows:
        await conn.execute(insert(attempts), rows)
    for lane in rerun_lanes:
        await mark_wake(conn, lane)
    return done


# One statement (one round trip) per lease batch: delete what is done, requeue what was
# re-enqueued while it ran, and write the ledger rows of both.
_PG_COMPLETE = text(
    """
WITH deleted AS (
    DELETE FROM jobs
    WHERE id = ANY(CAST(:ids AS bigint[])) AND lease_token = :token AND state = 'running'
      AND NOT rerun
    RETURNING id
),
requeued AS (
    UPDATE jobs SET
        state = 'pending',
        not_before = COALESCE(rerun_not_before, :now),
        priority = COALESCE(rerun_priority, priority),
        rerun = false, rerun_not_before = NULL, rerun_priority = NULL,
        attempts = 0, lease_token = NULL, lease_expires_at = NULL,
        last_error = NULL, last_error_kind = NULL, updated_at = :now
    WHERE id = ANY(CAST(:ids AS bigint[])) AND lease_token = :token AND state = 'running'
      AND rerun
    RETURNING id, lane
),
finished AS (
    SELECT id, NULL AS lane FROM deleted UNION ALL SELECT id, lane FROM requeued
),
ledger AS (
    INSERT INTO attempts (job_id, kind, key, lane, attempt, outcome, duration_ms, at)
    SELECT u.job_id, u.kind, u.key, u.lane, u.attempt, 'done', u.duration_ms, :now
    FROM unnest(CAST(:ids AS bigint[]), CAST(:kinds AS text[]), CAST(:keys AS text[]),
                CAST(:lanes AS text[]), CAST(:attempts AS integer[]),
                CAST(:durations AS double precision[]))
         AS u(job_id, kind, key, lane, attempt, duration_ms)
    WHERE u.job_id IN (SELECT id FROM finished)
)
SELECT id, lane FROM finished
"""
).bindparams(bindparam("now", type_=UtcDateTime))


async def _complete_many_postgresql(
    conn: AsyncConnection,
    leases: Sequence[Lease],
    now: datetime,
    durations: Mapping[int, float],
) -> set[int]:
    done: set[int] = set()
    requeued_lanes: set[str] = set()
    for token, group in _by_token(leases):
        params = {
            "token": token,
            "now": now,
            "ids": [lease.job_id for lease in group],
            "kinds": [lease.kind for lease in group],
            "keys": [lease.key for lease in group],
            "lanes": [lease.lane for lease in group],
            "attempts": [lease.attempt for lease in group],
            "durations": [durations.get(lease.job_id) for lease in group],
        }
        for job_id, lane in await conn.execute(_PG_COMPLETE, params):
            done.add(job_id)
            if lane is not None:
                requeued_lanes.add(lane)
    missing = [lease for lease in leases if lease.job_id not in done]
    if missing:
        # Either the lease was lost, or an enqueue marked ``rerun`` after this statement's
        # snapshot was taken (then neither branch above matched): look again, fresh.
        done |= await _complete_fallback(conn, missing, now, durations, requeued_lanes)
    if requeued_lanes:
        await conn.execute(text(f"SELECT pg_notify('{CHANNEL_PREFIX}' || current_schema(), '')"))
    return done


async def _complete_fallback(
    conn: AsyncConnection,
    leases: Sequence[Lease],
    now: datetime,
    durations: Mapping[int, float],
    requeued_lanes: set[str],
) -> set[int]:
    j = jobs.c
    done: set[int] = set()
    for token, group in _by_token(leases):
        ids = [lease.job_id for lease in group]
        result = await conn.execute(
            update(jobs)
            .where(_held(token, ids))
            .values(
                state=JobState.PENDING.value,
                not_before=case((j.rerun_not_before.is_(None), now), else_=j.rerun_not_before),
                priority=case((j.rerun_priority.is_(None), j.priority), else_=j.rerun_priority),
                rerun=False,
                rerun_not_before=None,
                rerun_priority=None,
                attempts=0,
                lease_token=None,
                lease_expires_at=None,
                last_error=None,
                last_error_kind=None,
                updated_at=now,
            )
            .returning(j.id, j.lane)
        )
        for job_id, lane in result:
            done.add(job_id)
            requeued_lanes.add(lane)
    rows = [
        _ledger_row(lease, Outcome.DONE, now, duration_ms=durations.get(lease.job_id))
        for lease in leases
        if lease.job_id in done
    ]
    if rows:
        await conn.execute(insert(attempts), rows)
    for lease in leases:
        if lease.job_id not in done:
            _log_lost(lease, "complete")
    return done


async def fail(
    conn: AsyncConnection,
    lease: Lease,
    error: str,
    *,
    kind: ErrorKind,
    policy: RetryPolicy | None = None,
    now: datetime | None = None,
    rng: Callable[[], float] = random.random,
    retry_after: float | None = None,
    status: str | None = None,
    duration_ms: float | None = None,
) -> RetryDecision | None:
    """Record a failed attempt: retry later with backoff, or move to the dead letters.

    Returns the decision, or ``None`` when the lease was lost (nothing changed).
    """
    policy = policy or RetryPolicy()
    now = now or utcnow()
    error = error[:_ERROR_LIMIT]
    decision = retry_decision(
        policy,
        attempt=lease.attempt,
        max_attempts=lease.max_attempts,
        kind=kind,
        now=now,
        rng=rng,
        retry_after=retry_after,
    )
    j = jobs.c
    held = _held(lease.token, [lease.job_id])
    common: dict[str, Any] = {
        "lease_token": None,
        "lease_expires_at": None,
        "last_error": error,
        "last_error_kind": kind,
        "updated_at": now,
    }
    if isinstance(decision, Retry):
        result = await conn.execute(
            update(jobs)
            .where(held)
            .values(
                state=JobState.PENDING.value,
                not_before=decision.at,
                priority=case((j.rerun_priority > j.priority, j.rerun_priority), else_=j.priority),
                rerun=False,
                rerun_not_before=None,
                rerun_priority=None,
                **common,
            )
            .returning(j.id)
        )
        if result.first() is None:
            _log_lost(lease, "fail")
            return None
        outcome = Outcome.RETRY
    else:
        result = await conn.execute(
            update(jobs)
            .where(held)
            .values(state=JobState.DEAD.value, **common)
            .returning(j.rerun, j.rerun_not_before, j.rerun_priority)
        )
        row = result.first()
        if row is None:
            _log_lost(lease, "fail")
            return None
        if row.rerun:
            # news arrived while it ran: give the key a fresh look rather than lose the event
            await enqueue(
                conn,
                lease.kind,
                lease.key,
                lane=lease.lane,
                not_before=row.rerun_not_before,
                priority=row.rerun_priority or 0,
                max_attempts=lease.max_attempts,
                now=now,
            )
        outcome = Outcome.DEAD
    text = error if isinstance(decision, Retry) else f"{error} ({_reason(decision)})"
    await conn.execute(
        insert(attempts),
        [_ledger_row(lease, outcome, now, duration_ms=duration_ms, error=text, status=status)],
    )
    return decision


def _reason(decision: Dead) -> str:
    return decision.reason


def _log_lost(lease: Lease, action: str) -> None:
    log.warning(
        "lease of job %s (%s %s) was lost before it could %s: another worker owns it now",
        lease.job_id,
        lease.kind,
        lease.key,
        action,
        extra={"action": action, "job": lease.job_id},
    )


async def release_many(
    conn: AsyncConnection, leases: Sequence[Lease], *, now: datetime | None = None
) -> set[int]:
    """Give jobs back unrun (a worker stopping): pending again at once, the attempt not
    counted.  Returns the ids released."""
    if not leases:
        return set()
    now = now or utcnow()
    j = jobs.c
    released: set[int] = set()
    for token, group in _by_token(leases):
        ids = [lease.job_id for lease in group]
        result = await conn.execute(
            update(jobs)
            .where(_held(token, ids))
            .values(
                state=JobState.PENDING.value,
                not_before=now,
                priority=case((j.rerun_priority > j.priority, j.rerun_priority), else_=j.priority),
                rerun=False,
                rerun_not_before=None,
                rerun_priority=None,
                attempts=case((j.attempts > 0, j.attempts - 1), else_=0),
                lease_token=None,
                lease_expires_at=None,
                updated_at=now,
            )
            .returning(j.id)
        )
        released.update(row[0] for row in result)
    rows = [
        _ledger_row(lease, Outcome.RELEASED, now) for lease in leases if lease.job_id in released
    ]
    if rows:
        await conn.execute(insert(attempts), rows)
    for lane in {lease.lane for lease in leases if lease.job_id in released}:
        await mark_wake(conn, lane)
    return released


async def extend_leases(
    conn: AsyncConnection, leases: Sequence[Lease], *, ttl: float, now: datetime | None = None
) -> set[int]:
    """Push the expiry of held leases ``ttl`` seconds past ``now`` (a heartbeat for long jobs);
    returns the ids still held."""
    if not leases:
        return set()
    now = now or utcnow()
    expires = now + timedelta(seconds=ttl)
    held: set[int] = set()
    for token, group in _by_token(leases):
        ids = [lease.job_id for lease in group]
        result = await conn.execute(
            update(jobs)
            .where(_held(token, ids))
            .values(lease_expires_at=expires, updated_at=now)
            .returning(jobs.c.id)
        )
        held.update(row[0] for row in result)
    return held
