"""What the queue holds: identity-only jobs ``(kind, key)`` in a lane, and their states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class JobState(StrEnum):
    PENDING = "pending"  # waiting for its not_before and a worker
    RUNNING = "running"  # leased by a worker until lease_expires_at
    DEAD = "dead"  # failed for good: kept with its last error for a person


class Outcome(StrEnum):
    """What happened to one attempt (the attempt ledger's ``outcome``)."""

    DONE = "done"
    RETRY = "retry"
    DEAD = "dead"
    LEASE_EXPIRED = "lease_expired"
    RELEASED = "released"


DEFAULT_LANE = "default"
DEFAULT_PRIORITY = 0


@dataclass(frozen=True, slots=True)
class Job:
    """One row of the queue, as read."""

    id: int
    kind: str
    key: str
    lane: str
    state: JobState
    priority: int
    not_before: datetime
    attempts: int
    max_attempts: int
    lease_token: str | None
    lease_expires_at: datetime | None
    rerun: bool
    last_error: str | None
    last_error_kind: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Lease:
    """A job a worker holds: run it, then complete, fail or release it with this lease.

    ``attempt`` counts from 1; ``token`` fences the lease, so a worker whose lease expired and
    was taken over cannot complete the job behind the new holder's back.
    """

    job_id: int
    kind: str
    key: str
    lane: str
    priority: int
    attempt: int
    max_attempts: int
    token: str
    expires_at: datetime
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Abandoned:
    """A job the reaper moved to the dead letters: its lease expired on its last allowed
    attempt (the worker running it stopped, was killed or hung), so no handler saw it fail."""

    job_id: int
    kind: str
    key: str
    lane: str
    #: the attempt that was abandoned (its last allowed one)
    attempt: int
    max_attempts: int
    #: how many attempts in this job's life ended by lease expiry, this one included
    abandoned: int
    #: when the lease of that attempt expired
    expired_at: datetime


@dataclass(frozen=True, slots=True)
class LaneCount:
    lane: str
    state: JobState
    count: int


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Queue depth for ``status`` and the dashboard."""

    counts: tuple[LaneCount, ...]
    #: age in seconds of the oldest pending job that is due, ``None`` when none is due
    oldest_due_age: float | None
    paused_lanes: tuple[tuple[str, datetime], ...]

    def total(self, state: JobState) -> int:
        return sum(c.count for c in self.counts if c.state == state)

    def by_lane(self) -> dict[str, dict[JobState, int]]:
        result: dict[str, dict[JobState, int]] = {}
        for c in self.counts:
            result.setdefault(c.lane, {})[c.state] = c.count
        return result
