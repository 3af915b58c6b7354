"""The pure cost limiter: decisions from throttleStatus with an injected clock (§b.1)."""

from __future__ import annotations

import pytest

from shopify_odoo.shopify import limiter
from shopify_odoo.shopify.limiter import (
    SAFETY_MARGIN,
    BudgetState,
    CostBook,
    CostReport,
    Priority,
    ThrottleStatus,
)


def standard(available: float) -> CostReport:
    return CostReport(10, 10, ThrottleStatus(2000.0, available, 100.0))


def learned(available: float = 2000.0, now: float = 0.0) -> BudgetState:
    return limiter.settle(limiter.reserve(BudgetState(), now, 10), now, 10, standard(available))


def test_unknown_bucket_lets_one_probe_through_then_waits_for_its_answer() -> None:
    state = BudgetState()
    assert limiter.wait_time(state, 0.0, 10, Priority.NORMAL) == 0.0
    state = limiter.reserve(state, 0.0, 10)
    assert limiter.wait_time(state, 0.0, 10, Priority.NORMAL) is None


def test_bucket_size_and_rate_are_learned_from_the_answer_not_hard_coded() -> None:
    plus = CostReport(10, 10, ThrottleStatus(20000.0, 19990, 1000.0))
    state = limiter.settle(limiter.reserve(BudgetState(), 0.0, 10), 0.0, 10, plus)
    assert (state.maximum, state.restore_rate) == (20000.0, 1000.0)
    assert limiter.level(state, 0.0) == 19990


def test_waits_exactly_until_the_requested_cost_fits() -> None:
    state = learned(available=30)
    assert limiter.wait_time(state, 0.0, 10, Priority.NORMAL) == 0.0
    # 50 points (+ the safety margin) with 30 in the bucket, refilling at 100 points/s
    assert limiter.wait_time(state, 0.0, 50, Priority.NORMAL) == pytest.approx(
        (50 + SAFETY_MARGIN - 30) / 100
    )
    # the bucket refills at restoreRate and never beyond maximumAvailable
    assert limiter.level(state, 1.0) == 130
    assert limiter.level(state, 100.0) == 2000.0


def test_reservations_of_concurrent_calls_add_up() -> None:
    state = learned(available=25)
    state = limiter.reserve(state, 0.0, 10)
    state = limiter.reserve(state, 0.0, 10)
    assert limiter.level(state, 0.0) == 5
    assert limiter.wait_time(state, 0.0, 10, Priority.NORMAL) == pytest.approx(
        (10 + SAFETY_MARGIN - 5) / 100
    )
    assert state.in_flight == 2


def test_answer_reanchors_on_shopify_minus_calls_still_in_flight() -> None:
    state = learned(available=100)
    state = limiter.reserve(state, 0.0, 12)  # a
    state = limiter.reserve(state, 0.0, 12)  # b
    # a's answer: Shopify says 90 available; b is still in flight and may not be counted there
    state = limiter.settle(state, 0.1, 12, standard(90))
    assert limiter.level(state, 0.1) == 78
    assert state.in_flight == 1


def test_sweeps_leave_headroom_for_real_time_work() -> None:
    state = learned(available=150)
    assert limiter.wait_time(state, 0.0, 10, Priority.REALTIME) == 0.0
    # a sweep must leave 10% of the 2000-point bucket free
    assert limiter.wait_time(state, 0.0, 10, Priority.SWEEP) == pytest.approx(
        (210 + SAFETY_MARGIN - 150) / 100
    )


def test_a_call_dearer_than_the_bucket_waits_for_a_full_bucket_only() -> None:
    state = learned(available=0)
    assert limiter.wait_time(state, 0.0, 5000, Priority.NORMAL) == pytest.approx(20.0)


def test_throttled_backs_off_by_missing_points_over_restore_rate() -> None:
    state = limiter.reserve(learned(available=2000), 0.0, 10)
    report = CostReport(requested=50, actual=None, throttle=ThrottleStatus(2000.0, 20, 100.0))
    state = limiter.throttled(state, 0.0, 10, report)
    assert state.blocked_until == pytest.approx(0.3)  # (50 - 20) / 100
    assert state.throttled_count == 1
    assert limiter.wait_time(state, 0.1, 1, Priority.REALTIME) == pytest.approx(0.2)


def test_throttled_without_figures_backs_off_one_second() -> None:
    state = limiter.throttled(limiter.reserve(learned(), 5.0, 10), 5.0, 10, None)
    assert state.blocked_until == 6.0


def test_retry_after_blocks_everyone() -> None:
    state = limiter.retry_after(limiter.reserve(learned(), 0.0, 10), 0.0, 10, 2.5)
    assert limiter.wait_time(state, 1.0, 1, Priority.REALTIME) == pytest.approx(1.5)


def test_abandoned_call_keeps_its_points_spent() -> None:
    state = limiter.reserve(learned(available=100), 0.0, 40)
    state = limiter.abandon(state, 0.0, 40)
    assert limiter.level(state, 0.0) == 60
    assert state.in_flight == 0


def test_cost_book_starts_from_the_estimate_and_learns_requested_cost() -> None:
    book = CostBook()
    assert book.expected("InventorySetQuantities", 11) == 11
    book.learn("InventorySetQuantities", CostReport(13, 10, None))
    assert book.expected("InventorySetQuantities", 11) == 13
    assert book.actual["InventorySetQuantities"] == 10


def test_sustained_rate_matches_restore_rate_with_a_fake_clock() -> None:
    """Simulate 60 s of back-to-back calls through the pure functions: throughput = rate/cost."""
    now = 0.0
    state = learned(available=0)
    calls = 0
    while now < 60.0:
        wait = limiter.wait_time(state, now, 10, Priority.NORMAL)
        assert wait is not None
        now += wait
        state = limiter.reserve(state, now, 10)
        state = limiter.settle(state, now, 10, None)
        calls += 1
    assert calls == pytest.approx(600, abs=2)
