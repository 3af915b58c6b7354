"""Property tests of the queue's pure decisions: retry timing and coalescing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopify_odoo.queue.policy import (
    Dead,
    Pending,
    Retry,
    RetryPolicy,
    backoff_delay,
    coalesce,
    coalesce_batch,
    retry_decision,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)

policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 30),
    base=st.floats(0.01, 10),
    cap=st.floats(10, 3600),
    jitter=st.floats(0, 1),
)
rngs = st.floats(0, 1, exclude_max=True).map(lambda x: lambda: x)


@given(policies, st.integers(1, 200), rngs)
def test_backoff_stays_within_its_jitter_band_and_cap(
    policy: RetryPolicy, attempt: int, rng: object
) -> None:
    delay = backoff_delay(policy, attempt, rng)  # type: ignore[arg-type]
    ceiling = min(policy.cap, policy.base * 2.0 ** (attempt - 1))
    assert ceiling * (1 - policy.jitter) - 1e-9 <= delay <= ceiling + 1e-9
    assert delay <= policy.cap + 1e-9
    assert delay > 0 or policy.jitter == 1


@given(policies, st.integers(1, 60), st.floats(0, 1, exclude_max=True))
def test_backoff_ceiling_grows_and_never_shrinks(
    policy: RetryPolicy, attempt: int, u: float
) -> None:
    """With the same random draw, a later attempt never waits less than an earlier one."""
    first = backoff_delay(policy, attempt, lambda: u)
    second = backoff_delay(policy, attempt + 1, lambda: u)
    assert second >= first - 1e-9
    if policy.base * 2.0**attempt <= policy.cap:
        assert second == pytest.approx(2 * first)


@given(st.integers(0, 2**32))
def test_jitter_spreads_workers_that_failed_together(seed: int) -> None:
    policy = RetryPolicy(base=10, cap=600, jitter=0.5)
    rng = random.Random(seed)
    delays = {round(backoff_delay(policy, 3, rng.random), 6) for _ in range(20)}
    assert len(delays) > 1
    assert all(20 <= d <= 40 for d in delays)


@given(
    policies,
    st.integers(1, 40),
    st.sampled_from(["transient", "terminal"]),
    st.none() | st.floats(0, 10_000),
    rngs,
)
def test_retry_decision(
    policy: RetryPolicy, attempt: int, kind: str, retry_after: float | None, rng: object
) -> None:
    decision = retry_decision(
        policy,
        attempt=attempt,
        max_attempts=None,
        kind=kind,  # type: ignore[arg-type]
        now=NOW,
        rng=rng,  # type: ignore[arg-type]
        retry_after=retry_after,
    )
    if kind == "terminal" or attempt >= policy.max_attempts:
        assert isinstance(decision, Dead)
        return
    assert isinstance(decision, Retry)
    wait = (decision.at - NOW).total_seconds()
    expected = backoff_delay(policy, attempt, rng)  # type: ignore[arg-type]
    assert wait == pytest.approx(max(expected, retry_after or 0), abs=1e-5)


def test_retry_timing_example() -> None:
    policy = RetryPolicy(max_attempts=4, base=2, cap=5, jitter=0)
    waits = [
        retry_decision(
            policy, attempt=a, max_attempts=None, kind="transient", now=NOW, rng=lambda: 0.0
        )
        for a in (1, 2, 3, 4)
    ]
    assert waits[:3] == [Retry(NOW + timedelta(seconds=s)) for s in (2, 4, 5)]
    assert waits[3] == Dead("gave up after 4 attempts")


def test_the_jobs_own_bound_wins_over_the_policy() -> None:
    policy = RetryPolicy(max_attempts=10)
    decision = retry_decision(
        policy, attempt=2, max_attempts=2, kind="transient", now=NOW, rng=lambda: 0.5
    )
    assert isinstance(decision, Dead)


def test_invalid_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=1.5)


pendings = st.builds(
    Pending,
    not_before=st.integers(0, 10_000).map(lambda s: NOW + timedelta(seconds=s)),
    priority=st.integers(-5, 5),
)


@given(pendings, pendings, pendings)
def test_coalesce_is_associative_commutative_idempotent(a: Pending, b: Pending, c: Pending) -> None:
    assert coalesce(a, b) == coalesce(b, a)
    assert coalesce(coalesce(a, b), c) == coalesce(a, coalesce(b, c))
    assert coalesce(a, a) == a
    merged = coalesce(a, b)
    assert merged.not_before == min(a.not_before, b.not_before)
    assert merged.priority == max(a.priority, b.priority)


events = st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), pendings), max_size=40)


@given(events, st.randoms(use_true_random=False))
def test_any_order_or_duplication_of_enqueues_gives_the_same_jobs(
    items: list[tuple[str, Pending]], rnd: random.Random
) -> None:
    batch = [(("stock", key), p) for key, p in items]
    shuffled = batch + rnd.sample(batch, k=len(batch) // 2)  # duplicates
    rnd.shuffle(shuffled)
    assert coalesce_batch(batch) == coalesce_batch(shuffled)
    assert set(coalesce_batch(batch)) == {("stock", key) for key, _p in items}
