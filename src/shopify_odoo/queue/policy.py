"""Pure decisions of the queue: retry timing and coalescing (no I/O, no clock, no randomness
of their own: the caller passes ``now`` and ``rng``), in the shape of procrastinate's
``get_retry_decision``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

ErrorKind = Literal["transient", "terminal"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits ``base * 2**(n-1)`` seconds, capped at
    ``cap``, then scaled by a random factor in ``[1 - jitter, 1]`` ("equal jitter" when 0.5),
    so workers that failed together do not retry together.  After ``max_attempts`` attempts
    the job goes to the dead letters."""

    max_attempts: int = 10
    base: float = 1.0
    cap: float = 600.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base <= 0 or self.cap < self.base:
            raise ValueError("need 0 < base <= cap")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be within [0, 1]")


def backoff_delay(policy: RetryPolicy, attempt: int, rng: Callable[[], float]) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (>= 1).

    ``rng()`` returns a float in ``[0, 1)``; inject ``random.Random(seed).random`` in tests.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    # 2**(attempt-1) overflows floats past ~1000 attempts; the cap is reached long before.
    exponent = min(attempt - 1, 64)
    ceiling = min(policy.cap, policy.base * (2.0**exponent))
    return ceiling * (1.0 - policy.jitter * rng())


@dataclass(frozen=True, slots=True)
class Retry:
    at: datetime


@dataclass(frozen=True, slots=True)
class Dead:
    reason: str


RetryDecision = Retry | Dead


def retry_decision(
    policy: RetryPolicy,
    *,
    attempt: int,
    max_attempts: int | None,
    kind: ErrorKind,
    now: datetime,
    rng: Callable[[], float],
    retry_after: float | None = None,
) -> RetryDecision:
    """What to do with a job whose attempt number ``attempt`` failed with an error of ``kind``.

    Terminal errors go to the dead letters at once.  Transient errors retry after the backoff
    (or the remote side's ``retry_after`` when longer) until ``max_attempts`` (the job's own
    bound, else the policy's) attempts were made.
    """
    if kind == "terminal":
        return Dead("terminal error: retrying cannot help")
    bound = max_attempts if max_attempts is not None else policy.max_attempts
    if attempt >= bound:
        return Dead(f"gave up after {attempt} attempts")
    delay = backoff_delay(policy, attempt, rng)
    if retry_after is not None and retry_after > delay:
        delay = retry_after
    return Retry(now + timedelta(seconds=delay))


@dataclass(frozen=True, slots=True)
class Pending:
    """What a pending job remembers of the enqueues that made it: run no earlier than
    ``not_before``, with ``priority`` (higher first)."""

    not_before: datetime
    priority: int


def coalesce(a: Pending, b: Pending) -> Pending:
    """Two enqueues of one key are one job: the earliest ``not_before``, the highest priority.

    Associative, commutative and idempotent, so any order or duplication of enqueues gives the
    same job (the database's upsert applies the same rule).
    """
    return Pending(min(a.not_before, b.not_before), max(a.priority, b.priority))


def coalesce_batch(
    items: Iterable[tuple[tuple[str, str], Pending]],
) -> dict[tuple[str, str], Pending]:
    """Fold a batch of ``((kind, key), pending)`` into one entry per key."""
    result: dict[tuple[str, str], Pending] = {}
    for ident, pending in items:
        current = result.get(ident)
        result[ident] = pending if current is None else coalesce(current, pending)
    return result
