"""Small builders for stock planner tests: one product, two stores, readable defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from shopify_odoo.sync.ledger import Mark, OrderLine, Pending, ShopifyOrderSeen
from shopify_odoo.sync.model import (
    Allocation,
    Direction,
    Level,
    LevelKey,
    Listing,
    OdooStock,
    Pool,
    Route,
    StockItem,
    StockPolicy,
    StockWorld,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
EU, US = "eu", "us"
PARIS = "gid://shopify/Location/1"
NEW_YORK = "gid://shopify/Location/2"
BERLIN = "gid://shopify/Location/3"
WH_STOCK, WH_3PL, RETAIL = 10, 20, 30
SKU = "TSHIRT-M"
PID = 7


def t(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def item_gid(store: str, pid: int = PID) -> str:
    return f"gid://shopify/InventoryItem/{store}-{pid}"


def stock_item(
    pid: int = PID,
    sku: str = SKU,
    stores: tuple[str, ...] = (EU, US),
    *,
    storable: bool = True,
    untracked: tuple[str, ...] = (),
) -> StockItem:
    return StockItem(
        product_id=pid,
        sku=sku,
        storable=storable,
        listings=tuple(
            Listing(
                s, item_gid(s, pid), f"gid://shopify/ProductVariant/{s}-{pid}", s not in untracked
            )
            for s in stores
        ),
    )


def odoo(
    loc: int, qty: int | str, free: int | str | None = None, out: int | str = 0, pid: int = PID
) -> OdooStock:
    q = Decimal(qty)
    return OdooStock(pid, loc, q, Decimal(free) if free is not None else q, Decimal(out))


def level(store: str, loc: str, available: int, read_at: float = 100, pid: int = PID) -> Level:
    return Level(store, item_gid(store, pid), loc, available, t(read_at))


def key(store: str, loc: str, pid: int = PID) -> LevelKey:
    return LevelKey(store, item_gid(store, pid), loc)


def mark(store: str, loc: str, value: int, at: float = 50, pending: int | None = None) -> Mark:
    p = Pending(pending, t(at)) if pending is not None else None
    return Mark(key(store, loc), value, t(at), p)


def order(
    store: str,
    order_id: str,
    qty: int,
    loc: str,
    *,
    placed: float = 60,
    pool: str = "main",
    pid: int = PID,
    updated: float | None = None,
    cancelled: bool = False,
) -> ShopifyOrderSeen:
    line = OrderLine(pid, pool, loc, item_gid(store, pid), qty, SKU)
    return ShopifyOrderSeen(
        store,
        order_id,
        t(updated if updated is not None else placed),
        t(placed),
        (line,),
        cancelled,
    )


def pool(
    name: str = "main",
    locs: tuple[int, ...] = (WH_STOCK,),
    allocation: Allocation = Allocation.SHARED,
    split: tuple[tuple[str, int], ...] = (),
) -> Pool:
    return Pool(name, locs, allocation, split)


def route(
    store: str,
    loc: str,
    pool_name: str = "main",
    direction: Direction = Direction.ODOO_TO_SHOPIFY,
    buffer: int = 0,
    *,
    enabled: bool = True,
    name: str = "",
) -> Route:
    return Route(store, loc, pool_name, direction, buffer, enabled, name)


def two_store_policy(
    allocation: Allocation = Allocation.SHARED,
    split: tuple[tuple[str, int], ...] = (),
    direction: Direction = Direction.ODOO_TO_SHOPIFY,
    buffer: int = 0,
) -> StockPolicy:
    return StockPolicy(
        pools=(pool(allocation=allocation, split=split),),
        routes=(
            route(EU, PARIS, direction=direction, buffer=buffer, name="Paris"),
            route(US, NEW_YORK, direction=direction, buffer=buffer, name="New York"),
        ),
    )


def world(
    *levels: Level,
    odoo_rows: tuple[OdooStock, ...] = (),
    items: tuple[StockItem, ...] | None = None,
    cursors: dict[str, float] | None = None,
) -> StockWorld:
    return StockWorld(
        items=items if items is not None else (stock_item(),),
        odoo=odoo_rows,
        levels=levels,
        order_cursors=tuple((s, t(v)) for s, v in (cursors or {}).items()),
    )
