"""The worker loop: lease a batch, run the handler on each job concurrently, record outcomes.

``Worker(db, handler).run()`` leases up to ``concurrency`` jobs at a time (in batches), runs
``await handler(lease)`` for each, and records the outcomes in batches: success completes the
job, :class:`TransientError` (or any unexpected exception) retries it with backoff,
:class:`TerminalError` sends it to the dead letters for a person.  Leases of running jobs are
extended while they run.  When idle it sleeps until woken (new work, in-process or NOTIFY),
until the next job is due, or the safety poll, whichever is first.

``stop()`` lets the running jobs finish within a grace period, releases the rest unrun and
returns when the loop has ended; signal handling belongs to the caller.  A job counts against
``concurrency`` until its outcome is recorded (its row stays ``running`` until then), so the
jobs marked running never exceed ``concurrency``.  Recording outcomes is retried a bounded
number of times, each try in a fresh transaction; what still cannot be recorded is left to
lease expiry (the reaper takes the job back) rather than retried for ever.  A job task that
is cancelled from outside (the process torn down) is released like an unfinished one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from shopify_odoo.errors import TerminalError, TransientError
from shopify_odoo.queue.finish import complete_many, extend_leases, fail, release_many
from shopify_odoo.queue.lease import (
    DeadLetterHook,
    lease_many,
    new_token,
    next_due,
    reap_expired,
)
from shopify_odoo.queue.model import Lease
from shopify_odoo.queue.policy import Dead, RetryPolicy
from shopify_odoo.queue.wake import Waker
from shopify_odoo.store.database import Database
from shopify_odoo.store.types import utcnow

log = logging.getLogger(__name__)

Handler = Callable[[Lease], Awaitable[None]]


@dataclass
class WorkerStats:
    leased: int = 0
    done: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0
    lost: int = 0
    #: outcomes that could not be recorded after the bounded retries (left to lease expiry)
    unrecorded: int = 0


@dataclass(frozen=True, slots=True)
class _Result:
    lease: Lease
    outcome: Literal["done", "failed"]
    duration_ms: float
    error: str | None = None
    kind: Literal["transient", "terminal"] = "transient"
    retry_after: float | None = None
    status: str | None = None


@dataclass
class Worker:
    db: Database
    handler: Handler
    concurrency: int = 8
    batch_size: int = 100
    lease_ttl: float = 60.0
    poll_interval: float = 5.0
    grace: float = 30.0
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rng: Callable[[], float] = random.random
    clock: Callable[[], datetime] = utcnow
    name: str = field(default_factory=new_token)
    stats: WorkerStats = field(default_factory=WorkerStats)
    #: tries to record one batch of outcomes (each in a fresh transaction) before giving up
    flush_attempts: int = 4
    #: seconds before the second try; doubled for each further one
    flush_backoff: float = 0.2
    #: told (in the reaper's transaction) about jobs whose lease expired on their last attempt
    on_dead: DeadLetterHook | None = None

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._waker = Waker(self.db)
        self._active: dict[int, tuple[Lease, asyncio.Task[None]]] = {}
        self._results: list[_Result] = []
        #: the batch of outcomes being written right now (still counts as held)
        self._flushing: list[_Result] = []
        #: leases whose job task was cancelled before it finished: released at shutdown
        self._unrun: list[Lease] = []
        self._results_ready = asyncio.Event()
        self._slot_freed = asyncio.Event()
        self._stopping = False
        self._running = False
        self._finished = asyncio.Event()
        self._next_reap = 0.0
        self._reap_every = max(0.5, min(self.lease_ttl / 2, 10.0))
        self._refill_at = max(1, min(self.batch_size, self.concurrency // 2))

    # -- public -------------------------------------------------------------------------
    async def run(self) -> None:
        """Work until :meth:`stop` is called (or this task is cancelled)."""
        self._running = True
        await self._waker.start()
        flusher = asyncio.create_task(self._flush_loop(), name=f"queue-flush-{self.name}")
        heartbeat = asyncio.create_task(self._heartbeat_loop(), name=f"queue-hb-{self.name}")
        try:
            await self._loop()
        finally:
            await self._shutdown(flusher, heartbeat)

    def request_stop(self) -> None:
        """Ask the loop to stop (safe from a signal handler); see :meth:`stop`."""
        self._stopping = True
        self._waker.set()
        self._slot_freed.set()

    async def stop(self, grace: float | None = None) -> None:
        """Stop leasing, let running jobs finish within ``grace`` seconds, release the rest;
        returns when the loop has ended."""
        if grace is not None:
            self.grace = grace
        self.request_stop()
        if self._running:
            await self._finished.wait()

    # -- loop ---------------------------------------------------------------------------
    async def _loop(self) -> None:
        failures = 0
        while not self._stopping:
            free = self.concurrency - self._held_count()
            # Lease in batches: with jobs running, wait until a worthwhile number of slots is
            # free instead of paying one lease transaction per finished job.
            if free <= 0 or (self._active and free < self._refill_at):
                self._slot_freed.clear()
                await self._slot_freed.wait()
                continue
            try:
                leases, sleep_for = await self._lease(min(free, self.batch_size))
                failures = 0
            except Exception:
                failures += 1
                delay = min(30.0, 0.5 * 2**failures)
                log.exception(
                    "leasing jobs failed; retrying in %.1fs", delay, extra={"action": "lease"}
                )
                await self._waker.wait(delay)
                continue
            if self._stopping:
                # stop arrived while leasing: give these back without running them
                self._unrun.extend(leases)
                break
            for lease in leases:
                task = asyncio.create_task(self._run_one(lease), name=f"job-{lease.job_id}")
                self._active[lease.job_id] = (lease, task)
            self.stats.leased += len(leases)
            if not leases and not self._stopping:
                await self._waker.wait(sleep_for)

    async def _lease(self, limit: int) -> tuple[list[Lease], float]:
        now = self.clock()
        if time.monotonic() >= self._next_reap:
            self._next_reap = time.monotonic() + self._reap_every
            async with self.db.begin() as conn:
                await reap_expired(conn, now=now, on_dead=self.on_dead)
        # one statement: autocommit on PostgreSQL saves the BEGIN and COMMIT round trips
        async with self.db.single() as conn:
            leases = await lease_many(conn, limit, ttl=self.lease_ttl, now=now)
            if leases:
                return leases, 0.0
            due = await next_due(conn)
        if due is None:
            return [], self.poll_interval
        wait = (due - self.clock()).total_seconds()
        # due now but nothing leased: other workers hold those rows this instant
        return [], min(self.poll_interval, max(wait, 0.02))

    async def _run_one(self, lease: Lease) -> None:
        started = time.perf_counter()
        result: _Result | None = None
        try:
            await self.handler(lease)
            result = _Result(lease, "done", _ms(started))
        except asyncio.CancelledError:
            # released by _shutdown (also when cancelled from outside, e.g. process teardown)
            self._unrun.append(lease)
            raise
        except TransientError as exc:
            result = _Result(
                lease, "failed", _ms(started), str(exc), "transient", exc.retry_after, exc.cause
            )
        except TerminalError as exc:
            result = _Result(lease, "failed", _ms(started), str(exc), "terminal", None, exc.cause)
        except Exception as exc:
            log.exception(
                "job %s (%s %s) raised an unexpected error; it will be retried",
                lease.job_id,
                lease.kind,
                lease.key,
                extra={"action": "run", "job": lease.job_id},
            )
            result = _Result(lease, "failed", _ms(started), f"{type(exc).__name__}: {exc}")
        finally:
            if result is not None:
                self._results.append(result)
                self._results_ready.set()
            self._active.pop(lease.job_id, None)
            if result is None:
                self._slot_freed.set()

    def _held_count(self) -> int:
        """Jobs this worker holds as ``running``: active, or finished but not yet recorded."""
        return len(self._active) + len(self._results) + len(self._flushing)

    def _held_leases(self) -> list[Lease]:
        held = [lease for lease, _task in self._active.values()]
        return held + [r.lease for r in self._results] + [r.lease for r in self._flushing]

    def _unrecorded_leases(self) -> list[Lease]:
        """Held leases whose outcome no write has started recording: running, or finished
        and waiting for the next flush."""
        return [lease for lease, _task in self._active.values()] + [r.lease for r in self._results]

    # -- outcomes -----------------------------------------------------------------------
    async def _flush_loop(self) -> None:
        while True:
            await self._results_ready.wait()
            self._results_ready.clear()
            await self._flush()

    async def _flush(self) -> None:
        """Record the outcomes gathered so far: a bounded number of tries of the whole batch,
        each in a fresh transaction (a failed one is rolled back when its block ends), then one
        try per outcome so a single bad one cannot hold back the others.  What still fails is
        logged and left to lease expiry: never retried for ever."""
        batch, self._results = self._results, []
        if not batch:
            return
        self._flushing = batch
        try:
            if not await self._record_with_retries(batch):
                for result in batch if len(batch) > 1 else []:
                    if not await self._record_with_retries([result], attempts=1):
                        self._give_up([result])
                if len(batch) == 1:
                    self._give_up(batch)
        except asyncio.CancelledError:
            # cancelled mid-write (shutdown): keep the outcomes for the final flush; a write
            # that did commit is fenced by the lease token and is not applied twice
            self._results[:0] = batch
            raise
        finally:
            self._flushing = []
            self._slot_freed.set()

    async def _record_with_retries(self, batch: list[_Result], attempts: int = 0) -> bool:
        attempts = attempts or self.flush_attempts
        for attempt in range(1, attempts + 1):
            try:
                await self._record(batch)
                return True
            except Exception as exc:
                log.warning(
                    "recording %d job outcome(s) failed (try %d of %d): %s",
                    len(batch),
                    attempt,
                    attempts,
                    f"{type(exc).__name__}: {exc}",
                    exc_info=attempt == attempts,
                    extra={"action": "flush"},
                )
                if attempt < attempts:
                    await asyncio.sleep(self.flush_backoff * 2 ** (attempt - 1))
        return False

    def _give_up(self, batch: list[_Result]) -> None:
        self.stats.unrecorded += len(batch)
        for r in batch:
            log.error(
                "the outcome (%s) of job %s (%s %s) could not be recorded in the state "
                "database; its lease expires at %s and the job is then taken back and run "
                "again: check that the database is reachable and writable",
                r.outcome,
                r.lease.job_id,
                r.lease.kind,
                r.lease.key,
                r.lease.expires_at.isoformat(),
                extra={"action": "flush", "job": r.lease.job_id},
            )

    async def _record(self, batch: list[_Result]) -> None:
        """Write one batch of outcomes in one fresh transaction (all or nothing)."""
        done = [r for r in batch if r.outcome == "done"]
        failures = len(done) < len(batch)
        done_count = lost = retried = dead = 0
        # completions alone are one statement on PostgreSQL (see complete_many)
        async with self.db.begin() if failures else self.db.single() as conn:
            completed = await complete_many(
                conn,
                [r.lease for r in done],
                now=self.clock(),
                durations_ms={r.lease.job_id: r.duration_ms for r in done},
            )
            done_count += len(completed)
            lost += len(done) - len(completed)
            for r in batch:
                if r.outcome != "failed":
                    continue
                decision = await fail(
                    conn,
                    r.lease,
                    r.error or "failed",
                    kind=r.kind,
                    policy=self.policy,
                    now=self.clock(),
                    rng=self.rng,
                    retry_after=r.retry_after,
                    status=r.status,
                    duration_ms=r.duration_ms,
                )
                if decision is None:
                    lost += 1
                elif isinstance(decision, Dead):
                    dead += 1
                else:
                    retried += 1
        # counted only once the transaction committed
        self.stats.done += done_count
        self.stats.lost += lost
        self.stats.dead += dead
        self.stats.retried += retried

    async def _heartbeat_loop(self) -> None:
        interval = self.lease_ttl / 3
        while True:
            await asyncio.sleep(interval)
            held = self._held_leases()
            if not held:
                continue
            try:
                async with self.db.begin() as conn:
                    kept = await extend_leases(conn, held, ttl=self.lease_ttl, now=self.clock())
            except Exception:
                log.warning("extending leases failed", exc_info=True, extra={"action": "heartbeat"})
                continue
            # The snapshot above may include leases whose outcome the flusher recorded while
            # this update waited (SQLite's write lock, or simply the event loop): their rows
            # are rightly no longer running.  Only a lease not yet recorded can have expired;
            # one being recorded right now is checked by the recording itself (``_log_lost``).
            unrecorded = {(lease.job_id, lease.token) for lease in self._unrecorded_leases()}
            for lease in held:
                if lease.job_id not in kept and (lease.job_id, lease.token) in unrecorded:
                    log.warning(
                        "lease of job %s (%s %s) expired while it ran",
                        lease.job_id,
                        lease.kind,
                        lease.key,
                        extra={"action": "heartbeat", "job": lease.job_id},
                    )

    async def _shutdown(self, flusher: asyncio.Task[None], heartbeat: asyncio.Task[None]) -> None:
        """Let running jobs finish within the grace period, record every outcome, release what
        did not run to the end.  A cancellation (the process torn down) cuts the grace short
        but not the bookkeeping: the leases are still released before this returns, then the
        cancellation goes on."""
        self._stopping = True
        cancelled = False
        try:
            tasks = [task for _lease, task in self._active.values()]
            if tasks:
                try:
                    await asyncio.wait(tasks, timeout=self.grace)
                except asyncio.CancelledError:
                    cancelled = True
            for _lease, task in list(self._active.values()):
                task.cancel()
            cancelled |= await _settle([t for _l, t in self._active.values()] + [flusher])
            for job_id, (lease, task) in list(self._active.items()):
                if task.done():  # cancelled before it started: its body never ran
                    self._active.pop(job_id, None)
                    self._unrun.append(lease)
            for attempt in range(3):
                try:
                    await self._final_bookkeeping()
                    break
                except asyncio.CancelledError:
                    cancelled = True
                    log.warning(
                        "stopping was cancelled while job outcomes were recorded (try %d of 3)",
                        attempt + 1,
                        extra={"action": "stop"},
                    )
        finally:
            heartbeat.cancel()
            cancelled |= await _settle([heartbeat])
            with contextlib.suppress(Exception):
                await self._waker.close()
            self._running = False
            self._finished.set()
        if cancelled:
            raise asyncio.CancelledError

    async def _final_bookkeeping(self) -> None:
        if self._results:
            await self._flush()
        unrun, self._unrun = self._unrun, []
        if not unrun:
            return
        for attempt in range(1, self.flush_attempts + 1):
            try:
                async with self.db.begin() as conn:
                    released = await release_many(conn, unrun)
                self.stats.released += len(released)
                return
            except asyncio.CancelledError:
                self._unrun[:0] = unrun
                raise
            except Exception:
                log.warning(
                    "releasing %d lease(s) failed (try %d of %d)",
                    len(unrun),
                    attempt,
                    self.flush_attempts,
                    exc_info=True,
                    extra={"action": "stop"},
                )
                if attempt < self.flush_attempts:
                    await asyncio.sleep(self.flush_backoff * 2 ** (attempt - 1))
        log.error(
            "could not release %d lease(s) at stop: those jobs are taken back when their "
            "lease expires (at most %.0fs); check that the state database is reachable",
            len(unrun),
            self.lease_ttl,
            extra={"action": "stop"},
        )


async def _settle(tasks: list[asyncio.Task[None]], limit: float = 10.0) -> bool:
    """Cancel ``tasks`` and wait (at most ``limit`` seconds) until they have ended; True if the
    waiting was cancelled.  A task that ignores cancellation keeps its lease until expiry."""
    for task in tasks:
        task.cancel()
    pending = [t for t in tasks if not t.done()]
    cancelled = False
    deadline = time.monotonic() + limit
    while pending and time.monotonic() < deadline:
        try:
            await asyncio.wait(pending, timeout=deadline - time.monotonic())
        except asyncio.CancelledError:
            cancelled = True
        pending = [t for t in pending if not t.done()]
    if pending:
        log.error(
            "%d task(s) did not stop within %.0fs of being cancelled: %s",
            len(pending),
            limit,
            ", ".join(t.get_name() for t in pending),
            extra={"action": "stop"},
        )
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: logged by the task itself
    return cancelled


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


async def run_workers(
    db: Database,
    handler: Handler,
    *,
    concurrency: int = 8,
    stop: asyncio.Event,
    **options: object,
) -> WorkerStats:
    """Run one :class:`Worker` with ``concurrency`` jobs at a time until ``stop`` is set, then
    stop it gracefully; returns its statistics.  (Options: the other fields of ``Worker``.)"""
    worker = Worker(db, handler, concurrency=concurrency, **options)  # type: ignore[arg-type]
    task = asyncio.create_task(worker.run())
    stop_wait = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
    stop_wait.cancel()
    await worker.stop()
    await task
    return worker.stats
