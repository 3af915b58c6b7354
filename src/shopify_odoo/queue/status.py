"""The queue's part of ``shopify-odoo status``: depth per lane and state, dead letters, age."""

from __future__ import annotations

from datetime import datetime

from shopify_odoo.queue.admin import queue_stats
from shopify_odoo.queue.model import JobState, QueueStats
from shopify_odoo.store.database import Database
from shopify_odoo.store.status import StatusSection, status_contributor
from shopify_odoo.store.types import utcnow


def queue_section(stats: QueueStats, now: datetime) -> StatusSection:
    rows: list[tuple[str, str]] = [
        ("pending", str(stats.total(JobState.PENDING))),
        ("running", str(stats.total(JobState.RUNNING))),
        ("dead letters", str(stats.total(JobState.DEAD))),
        (
            "oldest due job waiting",
            "-" if stats.oldest_due_age is None else _age(stats.oldest_due_age),
        ),
    ]
    for lane, states in sorted(stats.by_lane().items()):
        parts = ", ".join(f"{s.value} {n}" for s, n in sorted(states.items()) if n)
        rows.append((f"lane {lane}", parts))
    for lane, until in stats.paused_lanes:
        rows.append((f"lane {lane}", f"paused for {_age((until - now).total_seconds())}"))
    attention = []
    dead = stats.total(JobState.DEAD)
    if dead:
        attention.append(
            f'{dead} job(s) in the dead letters: see them with "shopify-odoo jobs list --state '
            'dead", then fix the cause and run "shopify-odoo jobs retry --all-dead"'
        )
    figures: dict[str, object] = {
        "pending": stats.total(JobState.PENDING),
        "running": stats.total(JobState.RUNNING),
        "dead": dead,
        "oldest_due_age_seconds": stats.oldest_due_age,
        "lanes": {
            lane: {s.value: n for s, n in states.items()}
            for lane, states in stats.by_lane().items()
        },
        "paused_lanes": {lane: until.isoformat() for lane, until in stats.paused_lanes},
    }
    return StatusSection("Work queue", tuple(rows), tuple(attention), figures)


@status_contributor("queue", order=10)
async def queue_status(db: Database) -> StatusSection:
    now = utcnow()
    async with db.connect() as conn:
        stats = await queue_stats(conn, now=now)
    return queue_section(stats, now)


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"
