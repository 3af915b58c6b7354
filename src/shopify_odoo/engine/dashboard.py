"""What the dashboard shows and does, as service functions over the runtime (web/ has no SQL).

* :func:`overview`: per store and for Odoo: connection health, last webhook, last poll, queue
  depth, mismatches, time to correction (p50/p95/p99 and a series over time), oversold units,
  errors by cause;
* :func:`orders_page`: imported and parked orders of one store, problems grouped by cause,
  jobs and dead letters;
* :func:`reprocess_problem`, :func:`retry_dead_jobs`, :func:`purge_dead_jobs`: the buttons,
  each checked against the store named in the URL and written to the audit log.

Connection health is read live (a cheap call to each side) at most every ``HEALTH_TTL``
seconds, so a page view never hammers the remote APIs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.engine.dashboard_audit import record_audit
from shopify_odoo.engine.metrics import (
    OVERSOLD_UNITS,
    TIME_TO_CORRECTION,
    Figures,
    Percentiles,
    compute_figures,
    percentile,
)
from shopify_odoo.engine.odoo_poller import CURSOR as ODOO_CURSOR
from shopify_odoo.engine.problems import Problem, list_problems, reprocess
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.engine.stock_world import ORDER_CURSOR
from shopify_odoo.queue import Job, JobState, list_jobs, purge_dead, retry_dead
from shopify_odoo.store.tables import (
    errors_for_people,
    jobs,
    metric_events,
    order_links,
    poll_cursors,
    webhook_inbox,
)
from shopify_odoo.store.types import utcnow

HEALTH_TTL = 15.0
HEALTH_TIMEOUT = 5.0
#: the time-to-correction chart: this many buckets over the figures' window
CHART_BUCKETS = 12


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    detail: str
    checked_at: datetime


@dataclass(frozen=True, slots=True)
class ChartPoint:
    at: datetime
    count: int
    p50: float | None
    p95: float | None
    p99: float | None


@dataclass(frozen=True, slots=True)
class SideOverview:
    """One store (``handle``) or Odoo (``handle == ""``)."""

    handle: str
    label: str
    health: Health | None
    last_webhook: datetime | None
    last_poll: datetime | None
    queue_depth: int
    mismatches: int | None
    time_to_correction: Percentiles
    oversold_units: float
    errors_by_cause: dict[str, int]


@dataclass(frozen=True, slots=True)
class Overview:
    sides: tuple[SideOverview, ...]
    figures: Figures
    chart: tuple[ChartPoint, ...]


class HealthChecks:
    """Live connection checks, cached for ``ttl`` seconds (one per side)."""

    def __init__(self, rt: Runtime, ttl: float = HEALTH_TTL) -> None:
        self.rt = rt
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Health]] = {}
        self._lock = asyncio.Lock()

    async def _check(self, side: str) -> Health:
        now = utcnow()
        try:
            if side == "":
                version = await asyncio.wait_for(self.rt.odoo.detect_version(), HEALTH_TIMEOUT)
                # an authenticated call too: the login and API key still work
                await asyncio.wait_for(
                    self.rt.odoo.search("res.company", [], limit=1), HEALTH_TIMEOUT
                )
                return Health(True, f"Odoo {version}, signed in", now)
            shop = await asyncio.wait_for(self.rt.shop(side).shop(), HEALTH_TIMEOUT)
            return Health(True, f"{shop.name} ({shop.plan})", now)
        except TimeoutError:
            return Health(False, f"no answer within {HEALTH_TIMEOUT:g}s", now)
        except Exception as exc:
            # the exception text of our clients never carries a token (they redact)
            return Health(False, f"{type(exc).__name__}: {str(exc)[:200]}", now)

    async def get(self, sides: Sequence[str]) -> dict[str, Health]:
        async with self._lock:
            stale = [
                s
                for s in sides
                if s not in self._cache or time.monotonic() - self._cache[s][0] > self.ttl
            ]
            if stale:
                answers = await asyncio.gather(*(self._check(s) for s in stale))
                for side, health in zip(stale, answers, strict=True):
                    self._cache[side] = (time.monotonic(), health)
            return {s: self._cache[s][1] for s in sides}


async def _last_webhooks(conn: AsyncConnection) -> dict[str, datetime]:
    w = webhook_inbox.c
    rows = await conn.execute(select(w.store, func.max(w.received_at)).group_by(w.store))
    return {store: at for store, at in rows if at is not None}


async def _cursor_times(conn: AsyncConnection, names: Sequence[str]) -> dict[str, datetime]:
    p = poll_cursors.c
    rows = await conn.execute(select(p.name, p.updated_at).where(p.name.in_(list(names))))
    return {name: at for name, at in rows}


async def _store_values(
    conn: AsyncConnection, kind: str, since: datetime
) -> dict[str, list[float]]:
    m = metric_events.c
    out: dict[str, list[float]] = {}
    rows = await conn.execute(select(m.store, m.value).where(m.kind == kind, m.at >= since))
    for store, value in rows:
        out.setdefault(store or "", []).append(float(value))
    return out


async def _errors_by_store(conn: AsyncConnection) -> dict[str, dict[str, int]]:
    e = errors_for_people.c
    rows = await conn.execute(
        select(e.store, e.cause, func.count())
        .where(e.resolved.is_(False))
        .group_by(e.store, e.cause)
        .order_by(e.store, e.cause)
    )
    out: dict[str, dict[str, int]] = {}
    for store, cause, n in rows:
        out.setdefault(store, {})[cause] = int(n)
    return out


async def _queue_by_store(conn: AsyncConnection, handles: Sequence[str]) -> dict[str, int]:
    """Pending and running jobs per store (keys ``<store>:…``); the rest counts for Odoo."""
    j = jobs.c
    rows = await conn.execute(
        select(j.key).where(j.state.in_([JobState.PENDING.value, JobState.RUNNING.value]))
    )
    out = {h: 0 for h in (*handles, "")}
    for (key,) in rows:
        head, sep, _ = str(key).partition(":")
        out[head if sep and head in out else ""] += 1
    return out


async def time_series(
    conn: AsyncConnection, since: datetime, until: datetime, buckets: int = CHART_BUCKETS
) -> tuple[ChartPoint, ...]:
    """Time to correction per bucket of the window: count and p50/p95/p99 of each."""
    m = metric_events.c
    rows = await conn.execute(
        select(m.at, m.value).where(m.kind == TIME_TO_CORRECTION, m.at >= since, m.at <= until)
    )
    width = (until - since) / buckets
    values: list[list[float]] = [[] for _ in range(buckets)]
    for at, value in rows:
        index = min(buckets - 1, int((at - since) / width))
        values[index].append(float(value))
    points = []
    for i, vs in enumerate(values):
        vs.sort()
        points.append(
            ChartPoint(
                since + width * (i + 1),
                len(vs),
                percentile(vs, 0.5),
                percentile(vs, 0.95),
                percentile(vs, 0.99),
            )
        )
    return tuple(points)


async def overview(
    rt: Runtime, health: HealthChecks | None, *, window: timedelta = timedelta(hours=1)
) -> Overview:
    now = utcnow()
    since = now - window
    handles = [s.handle for s in rt.settings.stores]
    figures = await compute_figures(rt.db, window=window, now=now)
    async with rt.db.connect() as conn:
        hooks = await _last_webhooks(conn)
        cursors = await _cursor_times(
            conn, [ODOO_CURSOR, *(ORDER_CURSOR.format(store=h) for h in handles)]
        )
        ttc = await _store_values(conn, TIME_TO_CORRECTION, since)
        oversold = await _store_values(conn, OVERSOLD_UNITS, since)
        errors = await _errors_by_store(conn)
        queue = await _queue_by_store(conn, handles)
        chart = await time_series(conn, since, now)
    checks = await health.get([*handles, ""]) if health is not None else {}
    sides = [
        SideOverview(
            handle=h,
            label=f"{h} ({rt.settings.store(h).shop_domain})",
            health=checks.get(h),
            last_webhook=hooks.get(h),
            last_poll=cursors.get(ORDER_CURSOR.format(store=h)),
            queue_depth=queue.get(h, 0),
            mismatches=figures.mismatches_by_store.get(h),
            time_to_correction=Percentiles.of(ttc.get(h, [])),
            oversold_units=max(oversold.get(h, []), default=0.0),
            errors_by_cause=errors.get(h, {}),
        )
        for h in handles
    ]
    sides.append(
        SideOverview(
            handle="",
            label=f"Odoo ({rt.settings.odoo.url})",
            health=checks.get(""),
            last_webhook=None,
            last_poll=cursors.get(ODOO_CURSOR),
            queue_depth=queue.get("", 0),
            mismatches=None,
            time_to_correction=Percentiles(),
            oversold_units=0.0,
            errors_by_cause=errors.get("", {}),
        )
    )
    return Overview(tuple(sides), figures, chart)


# -- orders, errors, jobs ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: int
    store: str
    order_gid: str
    name: str
    sale_order_id: int | None
    state: str
    parked_reason: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CauseGroup:
    cause: str
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class OrdersPage:
    store: str
    orders: tuple[OrderRow, ...]
    counts: dict[str, int]
    groups: tuple[CauseGroup, ...]
    jobs: tuple[Job, ...] = field(default=())
    dead: tuple[Job, ...] = field(default=())


def _job_store(job: Job, handles: Sequence[str]) -> str:
    head, sep, _ = job.key.partition(":")
    return head if sep and head in handles else ""


async def orders_page(rt: Runtime, store: str, *, state: str | None = None) -> OrdersPage:
    """Orders of ``store`` (most recent first), its open problems by cause, its jobs."""
    handles = [s.handle for s in rt.settings.stores]
    o = order_links.c
    stmt = select(order_links).where(o.store == store)
    if state:
        stmt = stmt.where(o.state == state)
    async with rt.db.connect() as conn:
        rows = await conn.execute(stmt.order_by(o.updated_at.desc(), o.id.desc()).limit(200))
        orders = tuple(
            OrderRow(
                r.id,
                r.store,
                r.shopify_order_gid,
                r.order_name or r.shopify_order_gid,
                r.sale_order_id,
                r.state,
                r.parked_reason,
                r.updated_at,
            )
            for r in rows
        )
        counts = {
            st: int(n)
            for st, n in await conn.execute(
                select(o.state, func.count()).where(o.store == store).group_by(o.state)
            )
        }
        problems = await list_problems(conn, store=store, limit=500)
        active = [
            j
            for s in (JobState.PENDING, JobState.RUNNING)
            for j in await list_jobs(conn, state=s, limit=500)
        ]
        dead = await list_jobs(conn, state=JobState.DEAD, limit=500)
    groups: dict[str, list[Problem]] = {}
    for p in problems:
        groups.setdefault(p.cause, []).append(p)
    return OrdersPage(
        store=store,
        orders=orders,
        counts=counts,
        groups=tuple(CauseGroup(c, tuple(ps)) for c, ps in sorted(groups.items())),
        jobs=tuple(j for j in active if _job_store(j, handles) == store),
        dead=tuple(j for j in dead if _job_store(j, handles) == store),
    )


async def system_jobs(rt: Runtime) -> tuple[tuple[Job, ...], tuple[Job, ...]]:
    """Jobs and dead letters that belong to no store (stock keys, Odoo poll, links)."""
    handles = [s.handle for s in rt.settings.stores]
    async with rt.db.connect() as conn:
        active = [
            j
            for s in (JobState.PENDING, JobState.RUNNING)
            for j in await list_jobs(conn, state=s, limit=500)
        ]
        dead = await list_jobs(conn, state=JobState.DEAD, limit=500)
    return (
        tuple(j for j in active if _job_store(j, handles) == ""),
        tuple(j for j in dead if _job_store(j, handles) == ""),
    )


class NotFound(LookupError):
    """The object does not exist in the scope the request named (never shown across stores)."""


async def _problem_in(conn: AsyncConnection, problem_id: int, store: str) -> None:
    e = errors_for_people.c
    row = (
        await conn.execute(select(e.store).where(e.id == problem_id, e.resolved.is_(False)))
    ).first()
    if row is None or row.store != store:
        raise NotFound(f"no open problem {problem_id} in store {store!r}")


async def reprocess_problem(rt: Runtime, store: str, problem_id: int, *, actor: str) -> int:
    """Run the parked work of one problem of ``store`` again; returns jobs queued."""
    async with rt.db.begin() as conn:
        await _problem_in(conn, problem_id, store)
        result = await reprocess(conn, ids=[problem_id])
        await record_audit(
            conn, actor=actor, action="problem.reprocess", target=f"{store}/problem/{problem_id}"
        )
    return result.enqueued + result.webhooks_parsed


async def reprocess_cause(rt: Runtime, store: str, cause: str, *, actor: str) -> int:
    async with rt.db.begin() as conn:
        result = await reprocess(conn, store=store, cause=cause)
        await record_audit(
            conn, actor=actor, action="problem.reprocess", target=f"{store}/cause/{cause}"
        )
    return result.enqueued + result.webhooks_parsed


async def _scoped_dead(
    conn: AsyncConnection, handles: Sequence[str], store: str, ids: Sequence[int] | None
) -> list[int]:
    dead = await list_jobs(conn, state=JobState.DEAD, limit=100_000)
    scoped = [j for j in dead if _job_store(j, handles) == store]
    if ids is None:
        return [j.id for j in scoped]
    wanted = set(ids)
    found = [j.id for j in scoped if j.id in wanted]
    if len(found) != len(wanted):
        raise NotFound(f"dead letter(s) {sorted(wanted - set(found))} not in scope {store!r}")
    return found


async def retry_dead_jobs(rt: Runtime, store: str, ids: Sequence[int] | None, *, actor: str) -> int:
    """Retry dead letters of ``store`` ("": those of no store); ``ids`` None: all of them."""
    handles = [s.handle for s in rt.settings.stores]
    async with rt.db.begin() as conn:
        chosen = await _scoped_dead(conn, handles, store, ids)
        n = await retry_dead(conn, chosen) if chosen else 0
        await record_audit(
            conn, actor=actor, action="jobs.retry", target=store or "(odoo)", detail=chosen
        )
    return n


async def purge_dead_jobs(rt: Runtime, store: str, ids: Sequence[int] | None, *, actor: str) -> int:
    handles = [s.handle for s in rt.settings.stores]
    async with rt.db.begin() as conn:
        chosen = await _scoped_dead(conn, handles, store, ids)
        n = await purge_dead(conn, job_ids=chosen) if chosen else 0
        await record_audit(
            conn, actor=actor, action="jobs.purge", target=store or "(odoo)", detail=chosen
        )
    return n
