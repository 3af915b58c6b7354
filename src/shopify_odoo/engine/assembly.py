"""Putting the engine together for a process: the job handler and the background loops.

``engine_parts(rt)`` gives :func:`engine.runner.run_process` what it runs besides the receiver:

* the handler: the registry's dispatch (``stock``, ``order``, ``links``, ``odoo_poll``, and
  whatever the orders flow registers), wrapped so terminal errors are listed for people and
  resolved when the key later succeeds (:func:`engine.problems.with_problems`), plus the
  worker's dead-letter hook that lists jobs whose worker died on their last attempt;
* the loops: the Odoo change poll (marks ``("odoo_poll", "now")`` dirty every
  ``sync.odoo_poll_interval``: a queue job, so with several processes only one polls at a
  time), the Shopify order poll, and the periodic reconcile sweep (every
  ``sync.reconcile_interval``: the stock of every linked product marked dirty, in batches).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import select

from shopify_odoo.engine import metrics
from shopify_odoo.engine.dirty import ODOO_POLL, stock_key
from shopify_odoo.engine.order_poller import order_poll_loop
from shopify_odoo.engine.problems import problem_handling
from shopify_odoo.engine.registry import Registry, default_registry
from shopify_odoo.engine.runner import EngineParts, Loop
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.queue import enqueue_many
from shopify_odoo.store.tables import product_links

log = logging.getLogger(__name__)

#: products marked dirty per transaction by the reconcile sweep
SWEEP_BATCH = 1000
#: seconds between two readings of the Shopify points spent
POINTS_EVERY = 2.0


def periodic(
    interval: float,
    action: Callable[[], Awaitable[object]],
    name: str,
    *,
    initial_delay: float = 0.0,
    final: Callable[[], Awaitable[object]] | None = None,
) -> Loop:
    """A loop running ``action`` every ``interval`` seconds until stopped (errors logged),
    then ``final`` once."""

    async def loop(stop: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), initial_delay)
        while not stop.is_set():
            try:
                await action()
            except Exception:
                log.exception(
                    "%s failed; next try in %.0fs", name, interval, extra={"action": name}
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
        if final is not None:
            try:
                await final()
            except Exception:
                log.exception("%s failed at stop", name, extra={"action": name})

    return loop


async def mark_odoo_poll(rt: Runtime) -> None:
    async with rt.db.begin() as conn:
        await enqueue_many(conn, [(ODOO_POLL, "now")])


async def mark_all_stock(rt: Runtime) -> int:
    """The reconcile sweep's trigger: every linked product's stock key, in batches."""
    async with rt.db.connect() as conn:
        ids = sorted(
            {
                int(pid)
                for (pid,) in await conn.execute(
                    select(product_links.c.odoo_product_id).where(
                        product_links.c.status == "linked"
                    )
                )
            }
        )
    for start in range(0, len(ids), SWEEP_BATCH):
        async with rt.db.begin() as conn:
            await enqueue_many(conn, [stock_key(pid) for pid in ids[start : start + SWEEP_BATCH]])
    return len(ids)


class PointsMeter:
    """Records the GraphQL points each store's client spent since the last reading."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._seen: dict[str, float] = {}

    async def record(self) -> None:
        rows = []
        for handle, client in self.rt.shops.items():
            used = client.budget.points_used
            delta = used - self._seen.get(handle, 0.0)
            self._seen[handle] = used
            if delta > 0:
                rows.append((handle, delta))
        if rows:
            async with self.rt.db.begin() as conn:
                for handle, delta in rows:
                    await metrics.record(conn, metrics.SHOPIFY_POINTS, delta, store=handle)


def engine_loops(rt: Runtime) -> list[tuple[str, Loop]]:
    sync = rt.settings.sync
    meter = PointsMeter(rt)
    return [
        ("points-meter", periodic(POINTS_EVERY, meter.record, "points", final=meter.record)),
        ("odoo-poller", periodic(sync.odoo_poll_interval, lambda: mark_odoo_poll(rt), "odoo_poll")),
        ("order-poller", order_poll_loop(rt)),
        (
            "reconcile-sweep",
            periodic(
                sync.reconcile_interval,
                lambda: mark_all_stock(rt),
                "reconcile",
                initial_delay=sync.reconcile_interval,
            ),
        ),
    ]


def engine_parts(
    rt: Runtime,
    *,
    registry: Registry | None = None,
    loops: bool = True,
    extra_loops: Sequence[tuple[str, Loop]] = (),
) -> EngineParts:
    """Handler and loops of the engine for ``rt`` (``loops=False``: a queue-only worker)."""
    reg = registry or default_registry(rt)
    handles = [s.handle for s in rt.settings.stores]
    handler, on_dead = problem_handling(rt.db, reg.dispatch, handles)
    parts_loops = [*engine_loops(rt), *extra_loops] if loops else []
    return EngineParts(handler=handler, loops=parts_loops, close=rt.aclose, on_dead=on_dead)
