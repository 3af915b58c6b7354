"""The connector's figures: for ``/metrics`` (Prometheus), ``status`` and the dashboard.

Figures are computed from the state database, so every process (receiver replicas, workers)
reports the same numbers: ``metric_events`` rows written by the parts that see them, the
queue's statistics and the errors kept for people.

``metric_events`` kinds (``value`` in the unit given; ``store`` when it belongs to one):

=======================  ==================================================================
kind                     written by, meaning
=======================  ==================================================================
``time_to_correction``   stock worker: seconds from the change (Odoo move, order, edit) to
                         the new figure written in a store
``stock_mismatches``     reconcile sweep / stock worker: gauge, mismatching levels found in
                         a store at that time (the latest row per store counts)
``oversold_units``       stock worker: units Shopify could sell beyond the target when a
                         pass started (exposure inside the propagation window); the
                         figure is the peak over the window
``shopify_points``       Shopify client: GraphQL cost points used by one call
``webhook_lag``          receiver: seconds from ``X-Shopify-Triggered-At`` to receipt
``webhook_received``     receiver: one new delivery
``webhook_unparseable``  receiver: one signed delivery kept for a person
=======================  ==================================================================
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.engine.inbox import (
    METRIC_WEBHOOK_LAG,
    METRIC_WEBHOOK_RECEIVED,
    METRIC_WEBHOOK_UNPARSEABLE,
)
from shopify_odoo.queue import JobState, queue_stats
from shopify_odoo.store.database import Database
from shopify_odoo.store.status import StatusSection, status_contributor
from shopify_odoo.store.tables import errors_for_people, metric_events
from shopify_odoo.store.types import utcnow

TIME_TO_CORRECTION = "time_to_correction"
STOCK_MISMATCHES = "stock_mismatches"
OVERSOLD_UNITS = "oversold_units"
SHOPIFY_POINTS = "shopify_points"

#: figures over this window (percentiles, sums); gauges use their latest value
DEFAULT_WINDOW = timedelta(hours=1)
_MAX_SAMPLES = 100_000


async def record(
    conn: AsyncConnection,
    kind: str,
    value: float,
    *,
    store: str | None = None,
    at: datetime | None = None,
) -> None:
    """Write one metric event inside the caller's transaction."""
    await conn.execute(
        metric_events.insert().values(kind=kind, store=store, value=value, at=at or utcnow())
    )


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by the nearest-rank method; ``None`` for no values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass(frozen=True, slots=True)
class Percentiles:
    count: int = 0
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None

    @classmethod
    def of(cls, values: Sequence[float]) -> Percentiles:
        ordered = sorted(values)
        if not ordered:
            return cls()
        return cls(
            count=len(ordered),
            p50=percentile(ordered, 0.50),
            p95=percentile(ordered, 0.95),
            p99=percentile(ordered, 0.99),
            max=ordered[-1],
        )

    def text(self) -> str:
        if not self.count:
            return "-"
        return f"p50 {_s(self.p50)}  p95 {_s(self.p95)}  p99 {_s(self.p99)}  (n={self.count})"


@dataclass(frozen=True, slots=True)
class Figures:
    """Every figure of ``status`` / ``/metrics`` at one time."""

    at: datetime
    window_seconds: float
    stock_mismatches: int | None
    mismatches_by_store: dict[str, int]
    time_to_correction: Percentiles
    oversold_units: float
    errors_by_cause: dict[str, int]
    webhook_lag: Percentiles
    webhooks_received: int
    webhooks_unparseable: int
    queue_pending: int
    queue_running: int
    queue_dead: int
    oldest_due_age: float | None
    points_by_store: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        def pct(p: Percentiles) -> dict[str, object]:
            return {"count": p.count, "p50": p.p50, "p95": p.p95, "p99": p.p99, "max": p.max}

        return {
            "window_seconds": self.window_seconds,
            "stock_mismatches": self.stock_mismatches,
            "mismatches_by_store": self.mismatches_by_store,
            "time_to_correction_seconds": pct(self.time_to_correction),
            "oversold_units": self.oversold_units,
            "errors_by_cause": self.errors_by_cause,
            "webhook_lag_seconds": pct(self.webhook_lag),
            "webhooks_received": self.webhooks_received,
            "webhooks_unparseable": self.webhooks_unparseable,
            "queue": {
                "pending": self.queue_pending,
                "running": self.queue_running,
                "dead": self.queue_dead,
                "oldest_due_age_seconds": self.oldest_due_age,
            },
            "shopify_points_by_store": self.points_by_store,
        }


async def _values(conn: AsyncConnection, kind: str, since: datetime) -> list[float]:
    m = metric_events.c
    rows = await conn.execute(
        select(m.value)
        .where(m.kind == kind, m.at >= since)
        .order_by(m.at.desc())
        .limit(_MAX_SAMPLES)
    )
    return [float(v) for (v,) in rows]


async def _sum_by_store(conn: AsyncConnection, kind: str, since: datetime) -> dict[str, float]:
    m = metric_events.c
    rows = await conn.execute(
        select(m.store, func.sum(m.value))
        .where(m.kind == kind, m.at >= since)
        .group_by(m.store)
        .order_by(m.store)
    )
    return {store or "": float(total or 0) for store, total in rows}


async def _latest_by_store(conn: AsyncConnection, kind: str) -> dict[str, int]:
    m = metric_events.c
    latest = (
        select(m.store, func.max(m.id).label("id")).where(m.kind == kind).group_by(m.store)
    ).subquery()
    rows = await conn.execute(
        select(m.store, m.value).join(latest, m.id == latest.c.id).order_by(m.store)
    )
    return {store or "": int(value) for store, value in rows}


async def compute_figures(
    db: Database, *, window: timedelta = DEFAULT_WINDOW, now: datetime | None = None
) -> Figures:
    """Read every figure from the state database (one read-only connection)."""
    now = now or utcnow()
    since = now - window
    async with db.connect() as conn:
        mismatches = await _latest_by_store(conn, STOCK_MISMATCHES)
        corrections = await _values(conn, TIME_TO_CORRECTION, since)
        oversold = await _values(conn, OVERSOLD_UNITS, since)
        lags = await _values(conn, METRIC_WEBHOOK_LAG, since)
        received = await _sum_by_store(conn, METRIC_WEBHOOK_RECEIVED, since)
        unparseable = await _sum_by_store(conn, METRIC_WEBHOOK_UNPARSEABLE, since)
        points = await _sum_by_store(conn, SHOPIFY_POINTS, since)
        e = errors_for_people.c
        errors = {
            cause: int(n)
            for cause, n in await conn.execute(
                select(e.cause, func.count())
                .where(e.resolved.is_(False))
                .group_by(e.cause)
                .order_by(e.cause)
            )
        }
        stats = await queue_stats(conn, now=now)
    return Figures(
        at=now,
        window_seconds=window.total_seconds(),
        stock_mismatches=sum(mismatches.values()) if mismatches else None,
        mismatches_by_store=mismatches,
        time_to_correction=Percentiles.of(corrections),
        oversold_units=max(oversold, default=0.0),
        errors_by_cause=errors,
        webhook_lag=Percentiles.of(lags),
        webhooks_received=int(sum(received.values())),
        webhooks_unparseable=int(sum(unparseable.values())),
        queue_pending=stats.total(JobState.PENDING),
        queue_running=stats.total(JobState.RUNNING),
        queue_dead=stats.total(JobState.DEAD),
        oldest_due_age=stats.oldest_due_age,
        points_by_store=points,
    )


def prometheus_text(figures: Figures) -> bytes:
    """The figures in the Prometheus text exposition format."""
    registry = CollectorRegistry(auto_describe=False)

    def gauge(name: str, doc: str, labels: Sequence[str] = ()) -> Gauge:
        return Gauge(name, doc, labelnames=labels, registry=registry)

    mism = gauge("shopify_odoo_stock_mismatches", "Mismatching stock levels (latest)", ["store"])
    for store, n in figures.mismatches_by_store.items():
        mism.labels(store=store).set(n)
    ttc = gauge(
        "shopify_odoo_time_to_correction_seconds",
        "Time from a change to the new figure in a store, over the window",
        ["quantile"],
    )
    lag = gauge(
        "shopify_odoo_webhook_lag_seconds",
        "Shopify triggered-at to receipt, over the window",
        ["quantile"],
    )
    for g, p in ((ttc, figures.time_to_correction), (lag, figures.webhook_lag)):
        for q, v in (("0.5", p.p50), ("0.95", p.p95), ("0.99", p.p99)):
            if v is not None:
                g.labels(quantile=q).set(v)
    gauge(
        "shopify_odoo_oversold_units",
        "Peak units sellable beyond the target before a push, over the window",
    ).set(figures.oversold_units)
    errors = gauge("shopify_odoo_errors", "Unresolved errors for people", ["cause"])
    for cause, n in figures.errors_by_cause.items():
        errors.labels(cause=cause).set(n)
    queue = gauge("shopify_odoo_queue_jobs", "Jobs in the work queue", ["state"])
    queue.labels(state="pending").set(figures.queue_pending)
    queue.labels(state="running").set(figures.queue_running)
    queue.labels(state="dead").set(figures.queue_dead)
    gauge("shopify_odoo_webhooks_received", "New webhook deliveries, over the window").set(
        figures.webhooks_received
    )
    gauge(
        "shopify_odoo_webhooks_unparseable", "Signed deliveries kept for a person, over the window"
    ).set(figures.webhooks_unparseable)
    points = gauge(
        "shopify_odoo_shopify_points_used", "GraphQL cost points used, over the window", ["store"]
    )
    for store, used in figures.points_by_store.items():
        points.labels(store=store).set(used)
    return generate_latest(registry)


def metrics_section(figures: Figures) -> StatusSection:
    f = figures
    rows: list[tuple[str, str]] = [
        ("stock mismatches", "-" if f.stock_mismatches is None else str(f.stock_mismatches)),
        ("time to correction", f.time_to_correction.text()),
        ("oversell exposure (peak units)", f"{f.oversold_units:g}"),
        (
            "errors by cause",
            ", ".join(f"{c} {n}" for c, n in f.errors_by_cause.items()) or "none",
        ),
        ("webhook lag", f.webhook_lag.text()),
        ("webhooks", f"{f.webhooks_received} received, {f.webhooks_unparseable} unparseable"),
        ("queue depth", f"{f.queue_pending} pending, {f.queue_running} running"),
        (
            "Shopify points used",
            ", ".join(f"{s} {p:g}" for s, p in f.points_by_store.items()) or "-",
        ),
    ]
    attention: list[str] = []
    if f.stock_mismatches:
        attention.append(
            f"{f.stock_mismatches} stock level(s) differ from Odoo's target: they are corrected "
            'by the running engine; run "shopify-odoo sync --dry-run" to see them'
        )
    if f.errors_by_cause:
        attention.append(
            f'{sum(f.errors_by_cause.values())} problem(s) need a person: run "shopify-odoo errors"'
        )
    title = f"Sync figures (last {_window(f.window_seconds)})"
    return StatusSection(title, tuple(rows), tuple(attention), f.as_dict())


@status_contributor("metrics", order=20)
async def metrics_status(db: Database) -> StatusSection:
    return metrics_section(await compute_figures(db))


def _s(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.2f}s"


def _window(seconds: float) -> str:
    return f"{seconds / 3600:g}h" if seconds >= 3600 else f"{seconds / 60:g}min"
