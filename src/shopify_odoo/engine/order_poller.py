"""The order poller: the backstop of the ``orders/*`` webhooks (DESIGN.md §1, §2).

Every ``sync.order_poll_interval`` each store is asked for the orders updated since its cursor
(minus an overlap window: Shopify's search matches whole seconds and its index trails writes by
a few seconds), and each order found marks ``("order", "<store>:<order GID>")`` dirty, exactly
as its webhook would.  A missed, late or dropped webhook therefore costs at most one interval.

The cursor (``poll_cursors`` row ``orders:<store>``, read by the stock planner) says "every
order updated before this time has been seen": it is the poll's start minus the overlap, so an
unexplained drop of Shopify stock is counted as in flight until the poller has looked past it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.engine.dirty import order_key
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.engine.stock_world import ORDER_CURSOR
from shopify_odoo.errors import ShopifyOdooError
from shopify_odoo.odoo.sales import pickings_done_since
from shopify_odoo.queue import enqueue_many
from shopify_odoo.store.tables import order_links, poll_cursors

log = logging.getLogger(__name__)

#: Shopify's order search trails writes by a few seconds and matches whole seconds
OVERLAP = timedelta(seconds=10)
#: the cursor of the done-deliveries poll (Odoo → Shopify fulfillments)
PICKING_CURSOR = "pickings:odoo"
#: where a store's first poll starts when no cursor is stored yet
FIRST_LOOKBACK = timedelta(days=1)


async def read_cursor(conn: AsyncConnection, name: str) -> datetime | None:
    value = (
        await conn.execute(select(poll_cursors.c.value).where(poll_cursors.c.name == name))
    ).scalar()
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


async def write_cursor(conn: AsyncConnection, name: str, value: datetime, now: datetime) -> None:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(poll_cursors).values(name=name, value=value.isoformat(), updated_at=now)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[poll_cursors.c.name],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
    )


async def poll_pickings(rt: Runtime) -> int:
    """One poll of Odoo's done deliveries since the cursor: the Shopify orders of their sale
    orders are marked dirty, so their pass creates the Shopify fulfillments (issue 8, Build 5).

    ``pickings_done_since`` re-reads an overlap window (``write_date`` is the start of the
    writing transaction, Odoo fact sheet §3.6); marking an order twice is harmless (the
    fulfillment plan is level-triggered).  Returns how many orders were marked."""
    async with rt.db.connect() as conn:
        cursor = await read_cursor(conn, PICKING_CURSOR)
    page = await pickings_done_since(rt.odoo, cursor or rt.clock() - FIRST_LOOKBACK)
    sale_ids = sorted({p.sale_id for p in page.pickings if p.sale_id})
    async with rt.db.begin() as conn:
        keys: list[tuple[str, str]] = []
        t = order_links.c
        for start in range(0, len(sale_ids), 500):
            rows = await conn.execute(
                select(t.store, t.shopify_order_gid).where(
                    t.sale_order_id.in_(sale_ids[start : start + 500])
                )
            )
            keys += [order_key(store, gid) for store, gid in rows]
        if keys:
            await enqueue_many(conn, sorted(set(keys)))
        if cursor is None or page.cursor > cursor:
            await write_cursor(conn, PICKING_CURSOR, page.cursor, rt.clock())
    return len(set(keys))


async def poll_store(rt: Runtime, store: str, *, overlap: timedelta = OVERLAP) -> int:
    """One poll of ``store``: enqueue every order updated since the cursor; returns how many."""
    name = ORDER_CURSOR.format(store=store)
    started = rt.clock()
    async with rt.db.connect() as conn:
        cursor = await read_cursor(conn, name)
    # the cursor already trails the last poll's start by the overlap: read from it as it is
    # (subtracting the overlap again re-marked every order of the last 2 x overlap each poll)
    since = cursor if cursor is not None else started - FIRST_LOOKBACK - overlap
    keys: list[tuple[str, str]] = []
    async for summary in rt.shop(store).orders_updated_since(since):
        keys.append(order_key(store, summary.id))
    async with rt.db.begin() as conn:
        if keys:
            await enqueue_many(conn, keys)
        # never move the cursor backwards (another process may have polled further)
        new = started - overlap
        if cursor is None or new > cursor:
            await write_cursor(conn, name, new, rt.clock())
    return len(keys)


def order_poll_loop(
    rt: Runtime, *, interval: float | None = None
) -> Callable[[asyncio.Event], Awaitable[None]]:
    """The background loop (``engine.runner.Loop``) polling every store in turn."""
    period = interval if interval is not None else rt.settings.sync.order_poll_interval
    importing = any(s.orders.tax_rules for s in rt.settings.stores)

    async def loop(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if importing:  # only stores that import orders have deliveries to report
                    await poll_pickings(rt)
            except ShopifyOdooError as exc:
                log.warning(
                    "poll of Odoo's done deliveries failed (%s); next try in %.0fs",
                    exc,
                    period,
                    extra={"action": "picking_poll"},
                )
            for store in rt.shops:
                if stop.is_set():
                    break
                try:
                    found = await poll_store(rt, store)
                    if found:
                        log.debug(
                            "order poll of %s: %d order(s) marked",
                            store,
                            found,
                            extra={"action": "order_poll", "store": store},
                        )
                except ShopifyOdooError as exc:
                    log.warning(
                        "order poll of store %s failed (%s); next try in %.0fs",
                        store,
                        exc,
                        period,
                        extra={"action": "order_poll", "store": store},
                    )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), period)

    return loop
