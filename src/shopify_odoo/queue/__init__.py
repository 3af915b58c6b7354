"""Keyed work queue on the state database: enqueue, lease, complete, retry, dead letter.

Jobs are identities ``(kind, key)`` (STYLE.md §3); a worker re-reads both sides itself.
Producers call :func:`enqueue` inside their own transaction; workers run :class:`Worker`.
"""

from shopify_odoo.queue.admin import (
    get_job,
    list_jobs,
    pause_lane,
    purge_dead,
    queue_stats,
    resume_lane,
    retry_dead,
)
from shopify_odoo.queue.enqueue import enqueue, enqueue_many
from shopify_odoo.queue.finish import complete_many, extend_leases, fail, release_many
from shopify_odoo.queue.lease import DeadLetterHook, lease_many, next_due, reap_expired
from shopify_odoo.queue.model import (
    DEFAULT_LANE,
    Abandoned,
    Job,
    JobState,
    Lease,
    Outcome,
    QueueStats,
)
from shopify_odoo.queue.policy import RetryPolicy, backoff_delay, coalesce, retry_decision
from shopify_odoo.queue.worker import Handler, Worker, WorkerStats, run_workers

__all__ = [
    "DEFAULT_LANE",
    "Abandoned",
    "DeadLetterHook",
    "Handler",
    "Job",
    "JobState",
    "Lease",
    "Outcome",
    "QueueStats",
    "RetryPolicy",
    "Worker",
    "WorkerStats",
    "backoff_delay",
    "coalesce",
    "complete_many",
    "enqueue",
    "enqueue_many",
    "extend_leases",
    "fail",
    "get_job",
    "lease_many",
    "list_jobs",
    "next_due",
    "pause_lane",
    "purge_dead",
    "queue_stats",
    "reap_expired",
    "release_many",
    "resume_lane",
    "retry_dead",
    "retry_decision",
    "run_workers",
]
