"""One shared cost budget per store for every concurrent task (asyncio), with priorities.

The decisions are the pure functions of ``limiter.py``; this module only queues callers by
priority, applies the decisions to the stored state, and sleeps (``_pause`` is the one place that
waits).  The state lives behind ``BudgetStore`` so a later step can keep it in the database and
share it between worker processes (each ``update`` then runs in one transaction, with a wall
clock); for now ``InMemoryBudgetStore`` keeps it in this process.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from shopify_odoo.shopify import limiter
from shopify_odoo.shopify.limiter import BudgetState, CostBook, CostReport, Priority

R = TypeVar("R")


class BudgetStore(Protocol):
    """Where the bucket state of each store lives.  ``update`` must be atomic per store."""

    async def read(self, store: str) -> BudgetState: ...

    async def update(
        self, store: str, change: Callable[[BudgetState], tuple[BudgetState, R]]
    ) -> R: ...


class InMemoryBudgetStore:
    """The state of every store in a dict (one process; asyncio is single-threaded)."""

    def __init__(self) -> None:
        self._states: dict[str, BudgetState] = {}

    async def read(self, store: str) -> BudgetState:
        return self._states.get(store, BudgetState())

    async def update(self, store: str, change: Callable[[BudgetState], tuple[BudgetState, R]]) -> R:
        new, result = change(self._states.get(store, BudgetState()))
        self._states[store] = new
        return result


@dataclass(frozen=True)
class Ticket:
    """A reservation: which operation, how many points were taken."""

    operation: str
    reserved: float
    priority: Priority


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    cost: float = field(compare=False)


class StoreBudget:
    """The cost budget of one store, shared by every task that calls it."""

    def __init__(
        self,
        store: str,
        *,
        state_store: BudgetStore | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_in_flight: int = 8,
    ) -> None:
        self.store = store
        self.costs = CostBook()
        self._states = state_store or InMemoryBudgetStore()
        self._clock = clock
        self._sleep = sleep
        self._max_in_flight = max_in_flight
        self._local_in_flight = 0
        self._queue: list[_Waiter] = []
        self._seq = itertools.count()
        self._wakeup = asyncio.Event()
        #: GraphQL cost points this process spent (actual cost of answered calls), for metrics
        self.points_used = 0.0

    async def state(self) -> BudgetState:
        return await self._states.read(self.store)

    async def level(self) -> float:
        """Points in the bucket now, by our model (0 until the first answer; for metrics)."""
        return limiter.level(await self.state(), self._clock())

    async def acquire(self, operation: str, estimate: float, priority: Priority) -> Ticket:
        """Wait until a call of ``operation`` fits, then reserve its expected cost."""
        cost = self.costs.expected(operation, estimate)
        me = _Waiter(int(priority), next(self._seq), cost)
        heapq.heappush(self._queue, me)
        try:
            while True:
                delay: float | None = None
                if self._queue[0] is me and self._local_in_flight < self._max_in_flight:
                    now = self._clock()

                    def take(s: BudgetState, now: float = now) -> tuple[BudgetState, float | None]:
                        wait = limiter.wait_time(s, now, cost, priority)
                        if wait == 0.0:
                            return limiter.reserve(s, now, cost), 0.0
                        return s, wait

                    delay = await self._states.update(self.store, take)
                    if delay == 0.0:
                        heapq.heappop(self._queue)
                        self._local_in_flight += 1
                        self._notify()
                        return Ticket(operation, cost, priority)
                await self._pause(delay)
        except BaseException:
            if me in self._queue:
                self._queue.remove(me)
                heapq.heapify(self._queue)
                self._notify()
            raise

    async def settle(self, ticket: Ticket, report: CostReport | None) -> None:
        """The call was answered normally (its cost report, when it had one)."""
        if report is not None:
            self.costs.learn(ticket.operation, report)
            if report.actual is not None:
                self.points_used += report.actual
        await self._finish(lambda s, now: limiter.settle(s, now, ticket.reserved, report))

    async def throttled(self, ticket: Ticket, report: CostReport | None) -> float:
        """The call was THROTTLED; returns the seconds everybody now waits."""
        if report is not None and report.requested is not None:
            self.costs.requested[ticket.operation] = report.requested
        state = await self._finish(
            lambda s, now: limiter.throttled(s, now, ticket.reserved, report)
        )
        return max(0.0, state.blocked_until - self._clock())

    async def retry_after(self, ticket: Ticket, seconds: float) -> None:
        """HTTP 429 with Retry-After."""
        await self._finish(lambda s, now: limiter.retry_after(s, now, ticket.reserved, seconds))

    async def abandon(self, ticket: Ticket) -> None:
        """No answer (network error, timeout, cancelled)."""
        await self._finish(lambda s, now: limiter.abandon(s, now, ticket.reserved))

    async def _finish(self, step: Callable[[BudgetState, float], BudgetState]) -> BudgetState:
        now = self._clock()

        def change(s: BudgetState) -> tuple[BudgetState, BudgetState]:
            new = step(s, now)
            return new, new

        try:
            return await self._states.update(self.store, change)
        finally:
            self._local_in_flight = max(0, self._local_in_flight - 1)
            self._notify()

    def _notify(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    async def _pause(self, delay: float | None) -> None:
        """The one place that waits: until something changes, or ``delay`` seconds passed."""
        event = self._wakeup
        if delay is None:
            await event.wait()
            return
        sleeper = asyncio.ensure_future(self._sleep(delay))
        watcher = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait({sleeper, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, watcher):
                if not task.done():
                    task.cancel()
