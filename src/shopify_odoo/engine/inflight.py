"""The in-flight ledger fed by orders: Shopify orders (any store) Odoo does not hold yet.

Call :func:`record_shopify_order` with the order as read from Shopify (webhook-triggered
``order`` job, order poller) and :func:`record_odoo_order` when the orders flow sees the sale
order confirmed (or cancelled) in Odoo.  Both are level-triggered ("the order's current
state"), idempotent and commutative (``sync/ledger.py``), and mark the stock keys of the
products whose figures may move, so every store sees the sale.

Until the orders flow confirms sale orders, an order stays in flight until it is cancelled.
Each line's units are drawn from the fulfilment order's assigned location (the level Shopify
moved them from), else from the store's first location that sells Odoo stock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.engine.dirty import stock_key
from shopify_odoo.engine.ledger_store import record_orders
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.engine.topology import Topology
from shopify_odoo.queue import Handler, Lease, enqueue_many
from shopify_odoo.shopify.orders import Order
from shopify_odoo.shopify.orders import OrderLine as ShopifyLine
from shopify_odoo.store.tables import product_links
from shopify_odoo.sync.ledger import OdooOrderSeen, OrderLine, ShopifyOrderSeen
from shopify_odoo.sync.model import Direction


async def variant_links(
    conn: AsyncConnection, store: str, variant_gids: Sequence[str]
) -> dict[str, tuple[int, str, str]]:
    """variant GID → (Odoo product id, inventory item GID, SKU) of linked variants."""
    if not variant_gids:
        return {}
    t = product_links.c
    rows = await conn.execute(
        select(t.variant_gid, t.odoo_product_id, t.inventory_item_gid, t.sku).where(
            t.store == store, t.variant_gid.in_(sorted(set(variant_gids)))
        )
    )
    return {v: (int(p), i or "", s or "") for v, p, i, s in rows}


def default_location(topology: Topology, store: str) -> str | None:
    for route in topology.routes_of(store):
        if route.enabled and route.direction is not Direction.SHOPIFY_TO_ODOO:
            return route.location_gid
    return None


def order_seen(
    store: str,
    order: Order,
    links: Mapping[str, tuple[int, str, str]],
    topology: Topology,
) -> ShopifyOrderSeen:
    """The ledger's view of ``order``: linked lines only, with their level and pool."""
    line_location: dict[str, str] = {}
    for fo in order.fulfillment_orders:
        if fo.location_id:
            for fl in fo.lines:
                line_location.setdefault(fl.line_item_id, fo.location_id)
    fallback = default_location(topology, store)
    cancelled = order.cancelled_at is not None

    def quantity(line: ShopifyLine) -> int:
        # a cancelled order's lines read 0 (refunded); what the cancel gave back to the
        # levels is what they held: the ledger explains the restock with it (an edit before
        # the cancel is not known here, so the quantity ordered stands for it)
        return line.quantity if cancelled else line.current_quantity

    routes = {r.location_gid: r for r in topology.routes_of(store)}
    lines: list[OrderLine] = []
    for line in order.lines:
        if line.variant_id is None or line.variant_id not in links:
            continue  # custom item or unlinked variant: draws on no pool we control
        pid, item, sku = links[line.variant_id]
        location = line_location.get(line.id, fallback)
        route = routes.get(location or "")
        if location is None or route is None:
            continue
        lines.append(
            OrderLine(
                product_id=pid,
                pool=route.pool,
                location_gid=location,
                inventory_item_gid=item,
                quantity=max(0, quantity(line)),
                sku=sku,
            )
        )
    return ShopifyOrderSeen(
        store=store,
        order_id=order.id,
        updated_at=order.updated_at,
        placed_at=order.created_at,
        lines=tuple(lines),
        cancelled=order.cancelled_at is not None,
    )


async def record_shopify_order(rt: Runtime, store: str, order: Order) -> set[int]:
    """Merge ``order`` into the ledger and mark its products' stock keys dirty."""
    topo = await rt.topology()
    async with rt.db.begin() as conn:
        links = await variant_links(
            conn, store, [ln.variant_id for ln in order.lines if ln.variant_id]
        )
        seen = order_seen(store, order, links, topo)
        touched = await record_orders(conn, [seen])
        if touched:
            await enqueue_many(conn, [stock_key(p) for p in sorted(touched)])
    return touched


async def record_odoo_order(
    rt: Runtime,
    store: str,
    order_id: str,
    *,
    version: datetime,
    confirmed: bool,
    held: Sequence[tuple[int, int]] | None = None,
) -> set[int]:
    """The sale order of Shopify order ``order_id`` is (or is no longer) confirmed in Odoo;
    ``held`` = units per Odoo product on it (None: it holds every line)."""
    seen = OdooOrderSeen(store, order_id, version, confirmed, None if held is None else tuple(held))
    async with rt.db.begin() as conn:
        touched = await record_orders(conn, odoo=[seen])
        if touched:
            await enqueue_many(conn, [stock_key(p) for p in sorted(touched)])
    return touched


def order_ledger_handler(rt: Runtime) -> Handler:
    """Queue handler of ``order`` keys (``<store>:<order GID>``) that keeps the ledger current.

    The orders flow may replace it with its own handler that imports the order and then
    calls :func:`record_shopify_order` itself.
    """

    async def handle(lease: Lease) -> None:
        store, _, order_gid = lease.key.partition(":")
        order = await rt.shop(store).order(order_gid)
        if order is None:
            return
        await record_shopify_order(rt, store, order)

    return handle
