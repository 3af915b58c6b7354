"""Errors for people: what the engine parked, listed by ``errors``, re-run by ``reprocess``.

One row per ``(store, kind, key)`` in ``errors_for_people``: the job identity it belongs to, a
short stable ``cause`` (``unmapped_location``, ``unknown_variant``, ``webhook_payload``…), the
message (names the object, where it lives and the cause) and the next step.  A row is resolved
when the same key later succeeds.

:func:`with_problems` wraps a job handler: a :class:`TerminalError` is recorded here (and
still raised, so the queue parks the job in its dead letters), a success resolves the key's
open row.  A job whose worker died on its last allowed attempt never reaches the handler
again: the queue's reaper moves it to the dead letters and :func:`dead_letter_recorder`
records it here, in the reaper's transaction.  :func:`reprocess` gives parked work a fresh
start: the dead job is revived and the key is enqueued again; a webhook kept as unparseable
is parsed again with the current code.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.engine.dirty import DirtyKeys, shopify_dirty
from shopify_odoo.errors import TerminalError
from shopify_odoo.queue import Abandoned, DeadLetterHook, Handler, Lease, enqueue_many
from shopify_odoo.queue.model import JobState
from shopify_odoo.shopify.webhook_events import WebhookPayloadError
from shopify_odoo.shopify.webhooks import parse_webhook
from shopify_odoo.store.database import Database
from shopify_odoo.store.tables import errors_for_people, jobs, webhook_inbox
from shopify_odoo.store.types import utcnow

log = logging.getLogger(__name__)

#: the problem kind of a webhook delivery kept as unparseable (key: its webhook id)
WEBHOOK_KIND = "webhook"
#: the cause of a job moved to the dead letters because its worker stopped on the last attempt
WORKER_STOPPED = "worker_stopped"
#: re-run hooks per job kind: ``async (conn, store, key) -> None`` (the orders flow adds one)
ReprocessHook = Callable[[AsyncConnection, str, str], Awaitable[None]]
REPROCESS_HOOKS: dict[str, ReprocessHook] = {}


@dataclass(frozen=True, slots=True)
class Problem:
    id: int
    store: str
    kind: str
    key: str
    cause: str
    message: str
    next_step: str | None
    first_seen: datetime
    last_seen: datetime
    count: int
    resolved: bool


def store_of_key(key: str, handles: Sequence[str]) -> str:
    """The store a job key belongs to (``<store>:<…>`` keys), else ``""``."""
    head, sep, _rest = key.partition(":")
    return head if sep and head in handles else ""


async def record_problem(
    conn: AsyncConnection,
    *,
    store: str,
    kind: str,
    key: str,
    cause: str,
    message: str,
    next_step: str | None = None,
    now: datetime | None = None,
) -> None:
    """Add or refresh the open problem of ``(store, kind, key)`` (count + 1, reopened)."""
    now = now or utcnow()
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(errors_for_people).values(
        store=store,
        kind=kind,
        key=key,
        cause=cause,
        message=message[:4000],
        next_step=next_step,
        first_seen=now,
        last_seen=now,
        count=1,
        resolved=False,
    )
    e = errors_for_people.c
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[e.store, e.kind, e.key],
            set_={
                "cause": stmt.excluded.cause,
                "message": stmt.excluded.message,
                "next_step": stmt.excluded.next_step,
                "last_seen": stmt.excluded.last_seen,
                "count": e.count + 1,
                "resolved": False,
                "resolved_at": None,
            },
        )
    )


async def resolve_problems(
    conn: AsyncConnection, keys: Sequence[tuple[str, str]], *, now: datetime | None = None
) -> int:
    """Mark the open problems of these ``(kind, key)`` identities resolved; returns how many."""
    if not keys:
        return 0
    e = errors_for_people.c
    result = await conn.execute(
        update(errors_for_people)
        .where(
            e.resolved.is_(False),
            or_(*(and_(e.kind == kind, e.key == key) for kind, key in keys)),
        )
        .values(resolved=True, resolved_at=now or utcnow())
    )
    return int(result.rowcount or 0)


async def list_problems(
    conn: AsyncConnection,
    *,
    store: str | None = None,
    cause: str | None = None,
    include_resolved: bool = False,
    limit: int = 200,
) -> list[Problem]:
    """Problems, most recent first."""
    e = errors_for_people.c
    stmt = select(errors_for_people)
    if not include_resolved:
        stmt = stmt.where(e.resolved.is_(False))
    if store is not None:
        stmt = stmt.where(e.store == store)
    if cause is not None:
        stmt = stmt.where(e.cause == cause)
    rows = await conn.execute(stmt.order_by(e.last_seen.desc(), e.id.desc()).limit(limit))
    return [
        Problem(
            id=r.id,
            store=r.store,
            kind=r.kind,
            key=r.key,
            cause=r.cause,
            message=r.message,
            next_step=r.next_step,
            first_seen=r.first_seen,
            last_seen=r.last_seen,
            count=r._mapping["count"],
            resolved=r.resolved,
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class ReprocessResult:
    enqueued: int
    webhooks_parsed: int
    webhooks_still_unparseable: int


async def reprocess(
    conn: AsyncConnection,
    *,
    ids: Sequence[int] | None = None,
    store: str | None = None,
    cause: str | None = None,
    now: datetime | None = None,
) -> ReprocessResult:
    """Re-run the parked work of the selected open problems (all when nothing is selected)."""
    now = now or utcnow()
    e = errors_for_people.c
    stmt = select(errors_for_people).where(e.resolved.is_(False))
    if ids:
        stmt = stmt.where(e.id.in_(list(ids)))
    if store is not None:
        stmt = stmt.where(e.store == store)
    if cause is not None:
        stmt = stmt.where(e.cause == cause)
    rows = (await conn.execute(stmt.order_by(e.id))).all()
    keys: list[tuple[str, str]] = []
    parsed = still = 0
    for row in rows:
        if row.kind == WEBHOOK_KIND:
            if await _reparse_webhook(conn, row.key, now):
                parsed += 1
            else:
                still += 1
            continue
        hook = REPROCESS_HOOKS.get(row.kind)
        if hook is not None:
            await hook(conn, row.store, row.key)
        keys.append((row.kind, row.key))
    if keys:
        # a dead job of the key would block nothing (the active-key index ignores dead rows),
        # but it stays listed: drop it, the fresh job replaces it
        j = jobs.c
        for kind, key in keys:
            await conn.execute(
                jobs.delete().where(j.kind == kind, j.key == key, j.state == JobState.DEAD.value)
            )
        await enqueue_many(conn, keys, priority=10, now=now)
    return ReprocessResult(len(keys), parsed, still)


async def _reparse_webhook(conn: AsyncConnection, delivery_id: str, now: datetime) -> bool:
    from shopify_odoo.engine.inbox import enqueue_dirty

    w = webhook_inbox.c
    row = (await conn.execute(select(webhook_inbox).where(w.delivery_id == delivery_id))).first()
    if row is None:
        return False
    try:
        event = parse_webhook(row.topic or None, row.body, dict(row.headers))
    except WebhookPayloadError:
        return False
    dirty: DirtyKeys = shopify_dirty(row.store, event)
    await enqueue_dirty(conn, [dirty])
    await conn.execute(
        update(webhook_inbox)
        .where(w.id == row.id)
        .values(state="received", parse_error=None, processed_at=None)
    )
    await resolve_problems(conn, [(WEBHOOK_KIND, delivery_id)], now=now)
    return True


class _OpenKeys:
    """The ``(kind, key)`` identities with an open problem, re-read at most every ``ttl`` s."""

    def __init__(self, db: Database, ttl: float = 30.0) -> None:
        self._db = db
        self._ttl = ttl
        self._keys: set[tuple[str, str]] = set()
        self._read_at = 0.0

    async def get(self) -> set[tuple[str, str]]:
        if time.monotonic() - self._read_at > self._ttl:
            e = errors_for_people.c
            async with self._db.connect() as conn:
                rows = await conn.execute(select(e.kind, e.key).where(e.resolved.is_(False)))
                self._keys = {(k, key) for k, key in rows}
            self._read_at = time.monotonic()
        return self._keys

    def add(self, identity: tuple[str, str]) -> None:
        """Known open now (recorded by this process), before the next re-read."""
        self._keys.add(identity)


async def _record_dead_letter(
    db: Database, lease: Lease, exc: Exception, handles: Sequence[str]
) -> None:
    """A job that failed its last attempt (transient or unexpected error) as a problem."""
    cause = getattr(exc, "cause", None) or "unexpected_error"
    error = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
    hint = getattr(exc, "hint", None)
    try:
        async with db.begin() as conn:
            await record_problem(
                conn,
                store=store_of_key(lease.key, handles),
                kind=lease.kind,
                key=lease.key,
                cause=cause,
                message=(
                    f"{lease.kind} job {lease.key} failed {lease.attempt} times and was moved "
                    f"to the dead letters; last error: {error}"
                ),
                next_step=(
                    (f"{hint}; then " if hint else "fix the cause named in the last error, then ")
                    + 'run "shopify-odoo reprocess" to run it again'
                ),
            )
    except Exception:
        log.exception(
            "could not record dead job %s (%s %s) for a person; it is still listed by "
            '"shopify-odoo jobs list --state dead"',
            lease.job_id,
            lease.kind,
            lease.key,
            extra={"action": "problems", "job": lease.job_id},
        )


def abandoned_problem(job: Abandoned) -> tuple[str, str]:
    """Message and next step for a job whose lease expired on its last allowed attempt."""
    times = "once" if job.abandoned == 1 else f"{job.abandoned} times"
    message = (
        f"{job.kind} job {job.job_id} for {job.key} was abandoned {times} by a worker that "
        f"stopped (crash or kill) or hung while running it; its lease expired at "
        f"{job.expired_at:%Y-%m-%d %H:%M:%S} UTC on attempt {job.attempt} of "
        f"{job.max_attempts}, its last, so it was moved to the dead letters and will not run "
        "again by itself"
    )
    next_step = (
        "check the worker logs around that time for what stopped it (out of memory, a kill, "
        f'a restart, a hang on this key), then run "shopify-odoo jobs retry {job.job_id}" '
        '(or "shopify-odoo reprocess")'
    )
    return message, next_step


def dead_letter_recorder(
    handles: Sequence[str], on_recorded: Callable[[tuple[str, str]], None] | None = None
) -> DeadLetterHook:
    """The queue reaper's hook: each job moved to the dead letters by lease expiry becomes an
    error for people (cause ``worker_stopped``), in the reaper's own transaction, so exactly
    once.  A failure to record is logged and does not hold back the reaping (a savepoint)."""

    async def record(conn: AsyncConnection, dead: Sequence[Abandoned]) -> None:
        for job in dead:
            message, next_step = abandoned_problem(job)
            log.error(message, extra={"action": "reap", "job": job.job_id})
            try:
                async with conn.begin_nested():
                    await record_problem(
                        conn,
                        store=store_of_key(job.key, handles),
                        kind=job.kind,
                        key=job.key,
                        cause=WORKER_STOPPED,
                        message=message,
                        next_step=next_step,
                    )
            except Exception:
                log.exception(
                    "could not record dead job %s (%s %s) for a person; it is still listed by "
                    '"shopify-odoo jobs list --state dead"',
                    job.job_id,
                    job.kind,
                    job.key,
                    extra={"action": "problems", "job": job.job_id},
                )
                continue
            if on_recorded is not None:
                on_recorded((job.kind, job.key))

    return record


def problem_handling(
    db: Database, handler: Handler, handles: Sequence[str]
) -> tuple[Handler, DeadLetterHook]:
    """:func:`with_problems` around ``handler`` and the matching :func:`dead_letter_recorder`
    for the worker (``Worker(on_dead=...)``), sharing what they know of open problems: a key
    recorded by the reaper is resolved by its next success."""
    open_keys = _OpenKeys(db)
    return (
        _with_problems(db, handler, handles, open_keys),
        dead_letter_recorder(handles, open_keys.add),
    )


def with_problems(db: Database, handler: Handler, handles: Sequence[str]) -> Handler:
    """``handler`` that records terminal errors for people (and the last failed attempt of a
    job that goes to the dead letters), and resolves them on success."""
    return _with_problems(db, handler, handles, _OpenKeys(db))


def _with_problems(
    db: Database, handler: Handler, handles: Sequence[str], open_keys: _OpenKeys
) -> Handler:

    async def run(lease: Lease) -> None:
        identity = (lease.kind, lease.key)
        try:
            await handler(lease)
        except TerminalError as exc:
            async with db.begin() as conn:
                await record_problem(
                    conn,
                    store=store_of_key(lease.key, handles),
                    kind=lease.kind,
                    key=lease.key,
                    cause=exc.cause,
                    message=exc.message,
                    next_step=exc.hint,
                )
            (await open_keys.get()).add(identity)
            raise
        except Exception as exc:
            # the queue retries it unless this was its last attempt: then the job goes to the
            # dead letters, and a person must see it here too (errors, errors by cause)
            if lease.attempt >= lease.max_attempts:
                await _record_dead_letter(db, lease, exc, handles)
                (await open_keys.get()).add(identity)
            raise
        if identity in await open_keys.get():
            async with db.begin() as conn:
                await resolve_problems(conn, [identity])
            (await open_keys.get()).discard(identity)

    return run
