"""``shopify-odoo demo``: the whole product on local sandboxes, explained as it runs.

1. Start the Shopify sandbox (two stores sharing one catalogue) and the Odoo 17 sandbox (a main
   warehouse, a 3PL and a retail shop), in this process, on loopback ports.
2. Write a configuration for them (``.demo/shopify-odoo.toml``), migrate a fresh SQLite state
   database (``.demo/state.db``) and serve the web app (dashboard, receiver, ``/metrics``):
   its URL and login are printed at once.
3. Link every variant of both stores to its Odoo product by SKU, then reconcile: every stock
   level of both stores is set from Odoo (sellable − in-flight orders − buffer, per pool).
4. Subscribe to the stores' webhooks and to an Odoo automation rule, and start the connector:
   the same worker and pollers as ``shopify-odoo run``.
5. Drive the world for ``--duration`` seconds (orders in both stores, Odoo receipts, deliveries
   and transfers, merchant edits in Shopify) with a live view of what the connector does.
6. Stop the traffic, let the connector settle, then check every level of every store against
   Odoo from scratch, and every Shopify order against Odoo's sale orders, and print the figures
   and a verdict.  Exit 1 when a stock mismatch remains, an order has not exactly one confirmed
   sale order, or a split pool is oversold (shared pools may be, inside the propagation window:
   reported, DESIGN.md §2).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.live import Live
from rich.panel import Panel
from sqlalchemy import func, select

from shopify_odoo.engine.dirty import STOCK_RECHECK
from shopify_odoo.engine.metrics import compute_figures
from shopify_odoo.engine.order_poller import OVERLAP, read_cursor
from shopify_odoo.engine.runner import install_stop_signals
from shopify_odoo.engine.stock import sync_products
from shopify_odoo.engine.stock_world import ORDER_CURSOR
from shopify_odoo.errors import TransientError
from shopify_odoo.queue import JobState, list_jobs, queue_stats
from shopify_odoo.sandbox.demo_setup import (
    ConnectorEnv,
    Dashboard,
    connector_on_sandboxes,
    linked_products,
)
from shopify_odoo.sandbox.demo_traffic import Driver
from shopify_odoo.sandbox.demo_view import FinalCheck, OrderCheck, final_report, live_view
from shopify_odoo.store.database import Database
from shopify_odoo.store.tables import stock_pushes
from shopify_odoo.store.types import utcnow

log = logging.getLogger(__name__)


@dataclass
class DemoOptions:
    duration: float = 60.0
    rate: float = 4.0
    workdir: Path = Path(".demo")
    serve: bool = False
    seed: int = 1
    #: Shopify plan of the sandbox stores (its GraphQL bucket: standard 100 points/s, plus 1000)
    plan: str = "plus"
    settle_timeout: float = 60.0
    #: seconds between Odoo polls: the product's default (the poll is the backstop of the Odoo
    #: automation webhook; each poll re-checks everything changed in its 120 s overlap window)
    odoo_poll_interval: float = 30.0
    #: seconds between Shopify order polls (the backstop of the orders/* webhooks; short, so
    #: the order cursor passes the end of the traffic soon and the final check can start)
    order_poll_interval: float = 3.0
    concurrency: int = 64


@dataclass
class _Run:
    dashboard: Dashboard | None = None
    started: float = field(default_factory=time.monotonic)
    cpu: float = field(default_factory=time.process_time)


def _say(console: Console, text: str) -> None:
    console.print(text, markup=False, highlight=False)


def _dashboard_panel(
    d: Dashboard, note: str = "served while the demo runs; add --serve to keep it up afterwards"
) -> Panel:
    return Panel(
        f"Dashboard: {d.url}\nLogin:     any name, password {d.password}\n({note})",
        title="Open in a browser",
        expand=False,
    )


async def run_demo(opts: DemoOptions, console: Console) -> int:
    """Run the demo; returns the exit status (0: no mismatch after the connector settled)."""
    _say(console, "shopify-odoo demo: two Shopify stores and one Odoo, all local sandboxes.")
    run = _Run()
    stop = asyncio.Event()
    restore = install_stop_signals(stop)

    def dashboard_up(d: Dashboard) -> None:
        run.dashboard = d
        console.print(_dashboard_panel(d))

    try:
        async with connector_on_sandboxes(
            opts.workdir.resolve(),
            plan=opts.plan,
            seed=opts.seed,
            sync_overrides={
                "odoo_poll_interval": opts.odoo_poll_interval,
                "order_poll_interval": opts.order_poll_interval,
            },
            say=lambda text: _say(console, text),
            on_dashboard=dashboard_up,
            concurrency=opts.concurrency,
        ) as env:
            idle = await _idle(env, 30.0)
            _say(
                console,
                f"  ✓ Connector {'idle' if idle else 'still busy'}: it looked at every product "
                f"once more after start-up (ready {time.monotonic() - run.started:.1f}s after "
                "launch)",
            )
            return await _scenario_and_verdict(opts, console, env, stop, run)
    finally:
        restore()


async def _scenario_and_verdict(
    opts: DemoOptions, console: Console, env: ConnectorEnv, stop: asyncio.Event, run: _Run
) -> int:
    driver = Driver(env.sandboxes, seed=opts.seed)
    try:
        _say(
            console,
            f"\nScenario: {opts.duration:g}s of storefront orders in both stores, Odoo receipts, "
            f"deliveries and transfers, and merchant edits in Shopify, about {opts.rate:g} "
            f"events/s (seed {opts.seed}).",
        )
        since = utcnow()
        await _live(opts, console, driver, env, stop, run, since)
        traffic_end = utcnow()
        if stop.is_set():
            _say(console, "\nInterrupted.")
            return 130
        _say(console, "\nTraffic stopped; waiting for the connector to settle…")
        waited = time.monotonic()
        settled = await _settle(env, driver, traffic_end, opts.settle_timeout)
        settle_seconds = time.monotonic() - waited
        products = await linked_products(env.db)
        check = await _patiently(lambda: sync_products(env.rt, products, apply=False))
        orders = await _patiently(lambda: _check_orders(env, driver))
        figures = await compute_figures(env.db, window=utcnow() - since)
        final = FinalCheck.of(
            check,
            (await env.rt.topology()).policy,
            orders,
            settled,
            settle_seconds,
            hold_seconds=OVERLAP.total_seconds() + opts.order_poll_interval,
        )
        final.cpu_share = (time.process_time() - run.cpu) / (time.monotonic() - run.started)
        status = final_report(console, figures, final, driver.traffic)
        if opts.serve and not stop.is_set():
            if run.dashboard is not None:
                console.print(_dashboard_panel(run.dashboard, "still served; Ctrl+C to stop"))
            _say(
                console,
                f"The connector keeps running (metrics: {env.base_url}/metrics). From another "
                f"terminal: shopify-odoo --config {env.config_path} status",
            )
            await stop.wait()
        return status
    finally:
        await driver.aclose()


async def _live(
    opts: DemoOptions,
    console: Console,
    driver: Driver,
    env: ConnectorEnv,
    stop: asyncio.Event,
    run: _Run,
    since: datetime,
) -> None:
    traffic = asyncio.create_task(driver.run(opts.duration, opts.rate, stop))
    started = time.monotonic()
    url = run.dashboard.url if run.dashboard else None
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        while not traffic.done():
            figures = await compute_figures(env.db, window=utcnow() - since)
            elapsed = time.monotonic() - started
            live.update(live_view(figures, driver.traffic, elapsed, opts.duration, url))
            await asyncio.wait({traffic}, timeout=0.5)
        figures = await compute_figures(env.db, window=utcnow() - since)
        live.update(live_view(figures, driver.traffic, opts.duration, opts.duration, url))
    traffic.result()


async def _idle(env: ConnectorEnv, wait_seconds: float) -> bool:
    """Wait until no job is due or running (the start-up's own echoes: the first Odoo poll
    and the webhooks of the reconcile's writes mark every product once), so the scenario's
    figures measure the connector at work, not its start-up backlog."""
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        async with env.db.connect() as conn:
            stats = await queue_stats(conn)
        if stats.total(JobState.RUNNING) == 0 and stats.oldest_due_age is None:
            return True
        await asyncio.sleep(0.25)
    return False


async def _pushes(db: Database) -> tuple[int, datetime | None]:
    async with db.connect() as conn:
        row = (await conn.execute(select(func.count(), func.max(stock_pushes.c.at)))).one()
    return int(row[0]), row[1]


_T = TypeVar("_T")


async def _patiently(read: Callable[[], Awaitable[_T]], attempts: int = 5) -> _T:
    """The final check's reads, retried like the connector retries them: on a busy machine a
    loopback call to a sandbox can time out or drop, which says nothing about the sync."""
    for attempt in range(1, attempts + 1):
        try:
            return await read()
        except TransientError:
            if attempt == attempts:
                raise
            log.info("final check: a read failed (attempt %d), trying again", attempt)
            await asyncio.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


async def _settle(
    env: ConnectorEnv, driver: Driver, traffic_end: datetime, wait_seconds: float
) -> bool:
    """Wait until the connector has caught up with the world (or ``wait_seconds`` passed).

    Every webhook delivered; every store's order poll cursor past the end of the traffic (until
    then an unexplained Shopify drop is held back as a possible late order, DESIGN.md §2, and
    an order whose webhook was lost is not yet found); no second look at a product holding such
    a drop still scheduled; every order placed has reached Odoo as a sale order; and no stock
    level written for 2 seconds.  The pollers keep re-checking what
    changed within their overlap windows: those passes find nothing to do and are not waited
    for.  Returns False when the wait ran out (the verdict then says so).
    """
    deadline = time.monotonic() + wait_seconds
    with contextlib.suppress(TimeoutError):
        await env.sandboxes.shopify.drain(wait_seconds)
    quiet_since: float | None = None
    last: tuple[int, datetime | None] = (-1, None)
    while time.monotonic() < deadline:
        async with env.db.connect() as conn:
            cursors = [await read_cursor(conn, ORDER_CURSOR.format(store=s)) for s in env.rt.shops]
            # delayed second looks at products holding a drop (engine/stock.py)
            rechecks = [
                job
                for state in (JobState.PENDING, JobState.RUNNING)
                for job in await list_jobs(conn, state=state, kind=STOCK_RECHECK, limit=1)
            ]
        passed = all(c is not None and c >= traffic_end for c in cursors)
        orders = await _patiently(lambda: _check_orders(env, driver)) if passed else None
        pushes = await _pushes(env.db)
        if rechecks or not passed or orders is None or orders.missing or pushes != last:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        last = pushes
        if quiet_since is not None and time.monotonic() - quiet_since >= 2.0:
            return True
        await asyncio.sleep(0.5)
    return False


async def _check_orders(env: ConnectorEnv, driver: Driver) -> OrderCheck:
    """Every order placed in a store against Odoo's sale orders (by ``<store>#<number>``)."""
    rows = await env.odoo.read("sale.order", [], ["client_order_ref", "state"])
    refs = Counter(str(r["client_order_ref"]) for r in rows if r.get("client_order_ref"))
    confirmed = Counter(
        str(r["client_order_ref"]) for r in rows if r.get("state") in ("sale", "done")
    )
    placed = [f"{store}#{name.lstrip('#')}" for store, name in driver.orders]
    return OrderCheck(
        placed=len(placed),
        one_sale_order=sum(1 for ref in placed if refs[ref] == 1),
        confirmed=sum(1 for ref in placed if confirmed[ref] == 1),
        missing=[ref for ref in placed if refs[ref] == 0],
        duplicated=[ref for ref in placed if refs[ref] > 1],
    )
