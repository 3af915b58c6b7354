"""The asyncio wrapper: one budget per store shared by tasks, priorities, one sleeping place."""

from __future__ import annotations

import asyncio

import pytest

from shopify_odoo.shopify.budget import InMemoryBudgetStore, StoreBudget
from shopify_odoo.shopify.limiter import SAFETY_MARGIN, CostReport, Priority, ThrottleStatus

from .fakes import FakeClock


def report(available: float) -> CostReport:
    return CostReport(10, 10, ThrottleStatus(2000.0, available, 100.0))


async def learned_budget(clock: FakeClock, available: float, **kw: object) -> StoreBudget:
    budget = StoreBudget("eu", clock=clock, sleep=clock.sleep, **kw)  # type: ignore[arg-type]
    ticket = await budget.acquire("Probe", 1, Priority.NORMAL)
    await budget.settle(ticket, report(available))
    return budget


async def test_concurrent_tasks_share_one_budget_and_never_overdraw() -> None:
    clock = FakeClock()
    budget = await learned_budget(clock, available=35)
    start = clock.now

    async def call() -> float:
        ticket = await budget.acquire("Set", 10, Priority.NORMAL)
        await budget.settle(ticket, None)
        return clock.now

    times = await asyncio.gather(*(call() for _ in range(8)))
    # 35 points pay for 3 calls at once (5 left); 5 more calls need 45 more points (+ margin)
    assert sum(1 for t in times if t == start) == 3
    assert max(times) - start == pytest.approx((45 + SAFETY_MARGIN) / 100)
    assert (await budget.state()).in_flight == 0


async def test_real_time_work_goes_before_queued_sweeps() -> None:
    clock = FakeClock()
    budget = await learned_budget(clock, available=0)
    order: list[str] = []

    async def call(name: str, priority: Priority) -> None:
        ticket = await budget.acquire(name, 10, priority)
        order.append(name)
        await budget.settle(ticket, None)

    sweeps = [asyncio.create_task(call(f"sweep{i}", Priority.SWEEP)) for i in range(3)]
    await asyncio.sleep(0)
    urgent = asyncio.create_task(call("urgent", Priority.REALTIME))
    await asyncio.gather(*sweeps, urgent)
    assert order[0] == "urgent"


async def test_throttled_answer_blocks_every_task_of_the_store() -> None:
    clock = FakeClock()
    budget = await learned_budget(clock, available=2000)
    ticket = await budget.acquire("Set", 10, Priority.NORMAL)
    wait = await budget.throttled(ticket, CostReport(50, None, ThrottleStatus(2000.0, 20, 100.0)))
    assert wait == pytest.approx(0.3)
    before = clock.now
    other = await budget.acquire("Other", 1, Priority.REALTIME)
    assert clock.now - before == pytest.approx(0.3)
    await budget.settle(other, None)
    assert (await budget.state()).throttled_count == 1


async def test_cancelled_waiter_leaves_the_queue() -> None:
    clock = FakeClock()
    budget = await learned_budget(clock, available=0)
    blocked = asyncio.create_task(budget.acquire("Big", 1000, Priority.SWEEP))
    await asyncio.sleep(0)
    blocked.cancel()
    with pytest.raises(asyncio.CancelledError):
        await blocked
    ticket = await budget.acquire("Small", 1, Priority.NORMAL)
    await budget.settle(ticket, None)


async def test_state_lives_in_the_store_so_two_budgets_can_share_it() -> None:
    clock = FakeClock()
    shared = InMemoryBudgetStore()
    one = StoreBudget("eu", state_store=shared, clock=clock, sleep=clock.sleep)
    two = StoreBudget("eu", state_store=shared, clock=clock, sleep=clock.sleep)
    ticket = await one.acquire("Probe", 1, Priority.NORMAL)
    await one.settle(ticket, report(15))
    t1 = await two.acquire("Set", 10, Priority.NORMAL)
    before = clock.now
    t2 = await one.acquire("Set", 10, Priority.NORMAL)  # only 5 left: waits for 5 (+ margin)
    assert clock.now - before == pytest.approx((5 + SAFETY_MARGIN) / 100)
    await one.settle(t2, None)
    await two.settle(t1, None)


async def test_max_in_flight_caps_concurrency() -> None:
    clock = FakeClock()
    budget = await learned_budget(clock, available=2000, max_in_flight=2)
    a = await budget.acquire("Set", 1, Priority.NORMAL)
    b = await budget.acquire("Set", 1, Priority.NORMAL)
    third = asyncio.create_task(budget.acquire("Set", 1, Priority.NORMAL))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not third.done()
    await budget.settle(a, None)
    c = await asyncio.wait_for(third, 1)
    await budget.settle(b, None)
    await budget.settle(c, None)
