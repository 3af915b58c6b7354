"""Shopify's calculated-cost leaky bucket as a pure state machine (fact sheet §b.1, corr. 3-4).

No clock, no sleeping, no I/O: every function takes ``now`` and returns a new frozen state.  The
async wrapper in ``budget.py`` is the one place that sleeps.

Model (Shopify's own words, §b.1): a request may start only when the bucket holds its *requested*
cost; when it ends the bucket is refunded ``requested - actual``; the bucket refills at
``restoreRate`` up to ``maximumAvailable``.  We never hard-code the bucket: until the first answer
shows ``extensions.cost.throttleStatus`` the limiter lets one request through at a time (the probe),
then follows what Shopify reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import IntEnum


class Priority(IntEnum):
    """Lower runs first.  Sweeps and bulk work also leave headroom for real-time work."""

    REALTIME = 0  # webhook-driven corrections, order imports, fulfilments
    NORMAL = 1  # planned stock pushes, catalogue updates
    SWEEP = 2  # reconciliation sweeps, bulk exports, backfills


#: share of the bucket a call of this priority must leave free for higher priorities
HEADROOM: dict[Priority, float] = {
    Priority.REALTIME: 0.0,
    Priority.NORMAL: 0.0,
    Priority.SWEEP: 0.10,
}

#: back-off after THROTTLED when the answer does not let us compute one (correction 4)
DEFAULT_THROTTLE_BACKOFF = 1.0
#: points kept spare above a call's cost: absorbs float rounding and clock drift between us and
#: Shopify; a constant offset of the bucket level, so it costs no throughput
SAFETY_MARGIN = 1.0


@dataclass(frozen=True)
class ThrottleStatus:
    """``extensions.cost.throttleStatus`` of one answer (floats / int per correction 3)."""

    maximum_available: float
    currently_available: float
    restore_rate: float


@dataclass(frozen=True)
class CostReport:
    """``extensions.cost`` of one answer; ``actual`` is None when the call was throttled."""

    requested: float | None
    actual: float | None
    throttle: ThrottleStatus | None


@dataclass(frozen=True)
class BudgetState:
    """What we know of one store's bucket.  Small and plain so a store can persist it."""

    maximum: float | None = None  # learned maximumAvailable; None until the first answer
    restore_rate: float | None = None  # learned restoreRate (points per second)
    available: float = 0.0  # points in the bucket at ``as_of`` (after our reservations)
    as_of: float = 0.0
    blocked_until: float = 0.0  # THROTTLED / Retry-After: nobody starts before this
    in_flight: int = 0  # requests reserved and not settled
    in_flight_cost: float = 0.0  # their reserved (requested) cost
    throttled_count: int = 0  # THROTTLED answers seen (metrics, benchmarks)

    @property
    def learned(self) -> bool:
        return self.maximum is not None and self.restore_rate is not None


def level(state: BudgetState, now: float) -> float:
    """Points in the bucket at ``now`` by our model (0 while the bucket is unknown)."""
    if state.maximum is None or state.restore_rate is None:
        return 0.0
    elapsed = max(0.0, now - state.as_of)
    return min(state.maximum, state.available + elapsed * state.restore_rate)


def wait_time(state: BudgetState, now: float, cost: float, priority: Priority) -> float | None:
    """Seconds to wait before a call of ``cost`` may start: 0 = go, None = wait for a settle.

    None happens only before the bucket is known and while the probe request is in flight.
    """
    if now < state.blocked_until:
        return state.blocked_until - now
    if state.maximum is None or state.restore_rate is None:
        return 0.0 if state.in_flight == 0 else None
    # a call dearer than the whole bucket can still run once the bucket is full
    need = min(cost, state.maximum) + HEADROOM[priority] * state.maximum
    need = min(need + SAFETY_MARGIN, state.maximum)
    missing = need - level(state, now)
    if missing <= 1e-9:
        return 0.0
    if state.restore_rate <= 0:
        return DEFAULT_THROTTLE_BACKOFF
    return missing / state.restore_rate


def reserve(state: BudgetState, now: float, cost: float) -> BudgetState:
    """Take ``cost`` points for a request that starts now."""
    return replace(
        state,
        available=level(state, now) - cost if state.learned else state.available,
        as_of=now,
        in_flight=state.in_flight + 1,
        in_flight_cost=state.in_flight_cost + cost,
    )


def _after_answer(state: BudgetState, now: float, reserved: float) -> BudgetState:
    return replace(
        state,
        in_flight=max(0, state.in_flight - 1),
        in_flight_cost=max(0.0, state.in_flight_cost - reserved),
    )


def _anchor(state: BudgetState, now: float, throttle: ThrottleStatus) -> BudgetState:
    """Re-anchor the model on what Shopify reported.

    Requests of ours still in flight may or may not be counted in ``currentlyAvailable``; we
    assume they are not (subtracting them again), which can only make us slightly early to
    wait, never late: a constant offset that costs no throughput once the bucket is in balance.
    """
    return replace(
        state,
        maximum=throttle.maximum_available,
        restore_rate=throttle.restore_rate,
        available=min(throttle.maximum_available, throttle.currently_available)
        - state.in_flight_cost,
        as_of=now,
    )


def settle(
    state: BudgetState, now: float, reserved: float, report: CostReport | None
) -> BudgetState:
    """A request that reserved ``reserved`` points has been answered (not throttled)."""
    state = _after_answer(state, now, reserved)
    if report is not None and report.throttle is not None:
        return _anchor(state, now, report.throttle)
    if report is not None and report.requested is not None and report.actual is not None:
        # no throttle status but a cost: apply Shopify's refund rule to our own model
        refund = max(0.0, report.requested - report.actual)
        return replace(state, available=level(state, now) + refund, as_of=now)
    return state  # no information (network error, 5xx): keep the reservation spent


def throttled(
    state: BudgetState, now: float, reserved: float, report: CostReport | None
) -> BudgetState:
    """Shopify answered THROTTLED (HTTP 200 body, correction 4): back off for everyone.

    Back-off = (requested - currentlyAvailable) / restoreRate when the answer has them, else 1 s.
    """
    state = _after_answer(state, now, reserved)
    backoff = DEFAULT_THROTTLE_BACKOFF
    if report is not None and report.throttle is not None:
        state = _anchor(state, now, report.throttle)
        t = report.throttle
        if report.requested is not None and t.restore_rate > 0:
            backoff = max(0.0, (report.requested - t.currently_available) / t.restore_rate)
    return replace(
        state,
        blocked_until=max(state.blocked_until, now + backoff),
        throttled_count=state.throttled_count + 1,
    )


def retry_after(state: BudgetState, now: float, reserved: float, seconds: float) -> BudgetState:
    """HTTP 429 with ``Retry-After`` (other throttles than cost, §b.1): nobody starts before it."""
    state = _after_answer(state, now, reserved)
    return replace(
        state,
        blocked_until=max(state.blocked_until, now + max(0.0, seconds)),
        throttled_count=state.throttled_count + 1,
    )


def abandon(state: BudgetState, now: float, reserved: float) -> BudgetState:
    """The request was never answered (network error, timeout): count the points as spent."""
    return _after_answer(state, now, reserved)


@dataclass
class CostBook:
    """Learned cost per operation name, starting from the requested-cost estimates of the files.

    ``requested`` is what Shopify checks before running a call (it must fit in the bucket);
    ``actual`` is what it finally charges (after the refund).  Mutable, in memory, per process:
    it only speeds up learning and is never a source of truth.
    """

    requested: dict[str, float] = field(default_factory=dict)
    actual: dict[str, float] = field(default_factory=dict)

    def expected(self, operation: str, estimate: float) -> float:
        """Points to reserve for ``operation``: its last requested cost, else the estimate."""
        return self.requested.get(operation, float(estimate))

    def learn(self, operation: str, report: CostReport) -> None:
        if report.requested is not None and math.isfinite(report.requested):
            self.requested[operation] = report.requested
        if report.actual is not None and math.isfinite(report.actual):
            previous = self.actual.get(operation)
            self.actual[operation] = (
                report.actual if previous is None else 0.8 * previous + 0.2 * report.actual
            )
