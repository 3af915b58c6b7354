"""Reading both sides for a set of linked products: the ``StockWorld`` the planner needs.

``read_world(rt, product_ids)`` does, for any number of products, a handful of batched calls:
the links (state database), the products' SKU/storable flags and a stock snapshot (Odoo,
grouped reads), the inventory levels per store (``nodes`` of 25 items per call), the ledger
slice and the order cursors.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.engine.ledger_store import OwedAdjustment, load_slice
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.odoo.stock import StockSnapshot, stock_snapshot
from shopify_odoo.shopify.models import InventoryItemLevels
from shopify_odoo.store.tables import poll_cursors, product_links
from shopify_odoo.sync.ledger import Ledger
from shopify_odoo.sync.model import Level, Listing, OdooStock, StockItem, StockWorld

#: ``poll_cursors`` name of a store's order poller: every order updated before this ISO time
#: (minus the overlap) has been seen.  Written by the order poller, read by the stock planner.
ORDER_CURSOR = "orders:{store}"


@dataclass(frozen=True, slots=True)
class LinkRow:
    store: str
    product_id: int
    variant_gid: str
    inventory_item_gid: str
    sku: str


@dataclass(frozen=True, slots=True)
class WorldRead:
    world: StockWorld
    ledger: Ledger
    links: tuple[LinkRow, ...]
    #: (store, inventory item) → product id
    product_of: Mapping[tuple[str, str], int]
    #: Odoo adjustments a failed pass still owes for these products (not in ``world.odoo``)
    owed: tuple[OwedAdjustment, ...] = ()


async def load_links(conn: AsyncConnection, product_ids: Iterable[int] | None) -> list[LinkRow]:
    t = product_links.c
    query = select(t.store, t.odoo_product_id, t.variant_gid, t.inventory_item_gid, t.sku).where(
        t.status == "linked", t.inventory_item_gid.is_not(None)
    )
    out: list[LinkRow] = []
    if product_ids is None:
        rows = list(await conn.execute(query))
    else:
        ids = sorted(set(product_ids))
        rows = []
        for start in range(0, len(ids), 500):
            rows += list(
                await conn.execute(query.where(t.odoo_product_id.in_(ids[start : start + 500])))
            )
    for store, pid, variant, item, sku in rows:
        out.append(LinkRow(store, int(pid), variant, item, sku or ""))
    return out


async def order_cursors(
    conn: AsyncConnection, stores: Sequence[str]
) -> tuple[tuple[str, datetime], ...]:
    names = {ORDER_CURSOR.format(store=s): s for s in stores}
    rows = await conn.execute(
        select(poll_cursors.c.name, poll_cursors.c.value).where(
            poll_cursors.c.name.in_(list(names))
        )
    )
    out = []
    for name, value in rows:
        try:
            out.append((names[name], datetime.fromisoformat(value)))
        except ValueError:
            continue
    return tuple(sorted(out))


async def odoo_products(rt: Runtime, product_ids: Sequence[int]) -> dict[int, tuple[str, bool]]:
    """product id → (default_code, storable) for the products that still exist."""
    caps = await rt.odoo.connect()
    rows = await rt.odoo.read(
        "product.product",
        list(product_ids),
        ["id", "default_code", *caps.product_fields],
        context={"active_test": False},
    )
    return {int(r["id"]): (str(r.get("default_code") or ""), caps.is_storable(r)) for r in rows}


def odoo_rows(snapshot: StockSnapshot, product_ids: Iterable[int]) -> list[OdooStock]:
    rows = []
    for pid in product_ids:
        if pid not in snapshot.product_ids:
            continue
        for loc in snapshot.location_ids:
            lv = snapshot.get(pid, loc)
            rows.append(OdooStock(pid, loc, lv.qty_available, lv.free_qty, lv.outgoing_qty))
    return rows


def shopify_levels(
    store: str, items: Mapping[str, InventoryItemLevels], read_at: datetime
) -> tuple[list[Level], dict[str, bool]]:
    levels = []
    tracked: dict[str, bool] = {}
    for item_gid, item in items.items():
        tracked[item_gid] = item.tracked
        for lv in item.levels:
            if lv.available is not None:
                levels.append(Level(store, item_gid, lv.location_id, lv.available, read_at))
    return levels, tracked


def build_items(
    links: Sequence[LinkRow],
    products: Mapping[int, tuple[str, bool]],
    tracked: Mapping[tuple[str, str], bool],
) -> tuple[StockItem, ...]:
    by_product: dict[int, list[LinkRow]] = {}
    for link in links:
        by_product.setdefault(link.product_id, []).append(link)
    items = []
    for pid in sorted(by_product):
        if pid not in products:
            continue  # deleted in Odoo: the link service removes the link
        sku, storable = products[pid]
        listings = tuple(
            Listing(
                lk.store,
                lk.inventory_item_gid,
                lk.variant_gid,
                tracked.get((lk.store, lk.inventory_item_gid), True),
            )
            for lk in sorted(by_product[pid], key=lambda r: r.store)
        )
        items.append(StockItem(pid, sku or by_product[pid][0].sku, storable, listings))
    return tuple(items)


async def read_world(rt: Runtime, product_ids: Sequence[int]) -> WorldRead:
    """Both sides of ``product_ids`` now (only linked products appear)."""
    topo = await rt.topology()
    async with rt.db.connect() as conn:
        links = await load_links(conn, product_ids)
    linked = sorted({lk.product_id for lk in links})
    if not linked:
        return WorldRead(StockWorld((), (), ()), Ledger(), (), {})
    by_store: dict[str, list[str]] = {}
    for lk in links:
        by_store.setdefault(lk.store, []).append(lk.inventory_item_gid)
    stores = sorted(by_store)

    async def levels_of(store: str) -> dict[str, InventoryItemLevels]:
        return await rt.shop(store).item_levels(by_store[store])

    products_task = asyncio.ensure_future(odoo_products(rt, linked))
    snapshot_task = asyncio.ensure_future(stock_snapshot(rt.odoo, linked, topo.odoo_location_ids))
    try:
        answers = await asyncio.gather(*(levels_of(s) for s in stores))
        products, snapshot = await products_task, await snapshot_task
    finally:  # a failed read leaves no Odoo call running behind the pass
        for task in (products_task, snapshot_task):
            if not task.done():
                task.cancel()
            with contextlib.suppress(BaseException):
                await task
    read_at = rt.clock()
    levels: list[Level] = []
    tracked: dict[tuple[str, str], bool] = {}
    for store, items in zip(stores, answers, strict=True):
        lv, tr = shopify_levels(store, items, read_at)
        levels += lv
        tracked.update({(store, k): v for k, v in tr.items()})
    # the ledger is read after Shopify: an order seen by Shopify's figure is then in the ledger
    # or counts as an unexplained drop (never both missing)
    async with rt.db.connect() as conn:
        ledger, owed = await load_slice(conn, linked)
        cursors = await order_cursors(conn, stores)
    world = StockWorld(
        items=build_items(links, products, tracked),
        odoo=tuple(odoo_rows(snapshot, linked)),
        levels=tuple(levels),
        order_cursors=cursors,
    )
    product_of = {(lk.store, lk.inventory_item_gid): lk.product_id for lk in links}
    return WorldRead(world, ledger, tuple(links), product_of, tuple(owed))


def zero() -> Decimal:
    return Decimal(0)
