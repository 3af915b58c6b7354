"""Snapshot and policy types shared by the pure planners (links, stock, ledger).

Everything here is a frozen dataclass: a *snapshot* is what a worker read from one side at one
moment, a *policy* is the configuration that decides what to do with it.  The engine builds
them from the clients and the configuration; the planners never touch I/O.

Conventions:

* Shopify identifiers are GIDs (``gid://shopify/InventoryItem/1``); a store is named by its
  handle (``"eu"``).  Odoo records are named by integer ids.
* Shopify quantities are ``int``.  Odoo quantities are ``Decimal`` (Odoo stores floats and a
  unit of measure may be fractional); the engine converts with ``Decimal(str(value))`` and the
  stock formula floors at the end.
* Times are timezone-aware ``datetime`` values passed in by the caller; the planners never read
  a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


def normalise_sku(raw: str | None) -> str:
    """The SKU as we compare it: surrounding whitespace trimmed, case kept.

    Shopify documents ``InventoryItem.sku`` as case-sensitive and Odoo's ``default_code`` is a
    plain char field, so ``"tshirt-m"`` and ``"TSHIRT-M"`` are different SKUs.  Pairs that differ
    only in case are reported by the link planner (never linked silently).  ``""`` means blank.
    """
    return (raw or "").strip()


def normalise_barcode(raw: str | None) -> str:
    """Barcodes compare trimmed; ``""`` means blank."""
    return (raw or "").strip()


# --------------------------------------------------------------------------- catalogue side


@dataclass(frozen=True, slots=True)
class OdooProduct:
    """One ``product.product`` as the link planner needs it."""

    id: int
    default_code: str | None
    barcode: str | None = None
    name: str = ""
    active: bool = True
    #: ``company_id`` of the product; ``None`` = shared between companies
    company_id: int | None = None
    #: 16/17 ``type == 'product'``; 18/19 ``is_storable``
    storable: bool = True

    @property
    def sku(self) -> str:
        return normalise_sku(self.default_code)


@dataclass(frozen=True, slots=True)
class ShopifyVariant:
    """One product variant of one store with its inventory item."""

    store: str
    variant_gid: str
    inventory_item_gid: str
    sku: str | None
    barcode: str | None = None
    tracked: bool = True
    product_title: str = ""
    variant_title: str = ""

    @property
    def norm_sku(self) -> str:
        return normalise_sku(self.sku)

    @property
    def label(self) -> str:
        """How a person recognises the variant in Shopify's admin."""
        title = self.product_title or "untitled product"
        if self.variant_title and self.variant_title != "Default Title":
            title = f"{title} / {self.variant_title}"
        return f"{title} ({self.variant_gid})"


class MatchedBy(StrEnum):
    SKU = "sku"
    BARCODE = "barcode"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class Link:
    """One Odoo product ⇄ one variant (and its inventory item) in one store.

    ``sku`` is the Odoo SKU when the link was made or last confirmed: comparing it with the
    product's current ``default_code`` is how an Odoo-side SKU change is noticed.
    """

    store: str
    variant_gid: str
    inventory_item_gid: str
    product_id: int
    sku: str
    matched_by: MatchedBy = MatchedBy.SKU


# --------------------------------------------------------------------------- stock policy


class Direction(StrEnum):
    """Which side is the master of the count at one Shopify location (DESIGN.md §2)."""

    ODOO_TO_SHOPIFY = "odoo_to_shopify"
    SHOPIFY_TO_ODOO = "shopify_to_odoo"
    TWO_WAY = "two_way"


class Allocation(StrEnum):
    SHARED = "shared"
    SPLIT = "split"


@dataclass(frozen=True, slots=True)
class Pool:
    """A set of Odoo locations that Shopify locations (of any store) draw on.

    ``odoo_location_ids`` is M(L) of the formula; it never holds a location together with one
    of its descendants (the configuration check refuses it; Odoo's figures include children).
    ``split`` gives each store's percentage (0-100, may be fractional, sum ≤ 100) when
    ``allocation`` is split; a store that draws on a split pool without a share gets 0.
    ``adjust_location_id`` is where Shopify-side counts land in Odoo (``shopify_to_odoo`` and
    ``two_way``); default: the first location of the pool.
    """

    name: str
    odoo_location_ids: tuple[int, ...]
    allocation: Allocation = Allocation.SHARED
    split: tuple[tuple[str, Decimal | int], ...] = ()
    adjust_location_id: int | None = None

    @property
    def adjustment_location(self) -> int:
        if self.adjust_location_id is not None:
            return self.adjust_location_id
        return self.odoo_location_ids[0]

    def share_percent(self, store: str) -> Decimal:
        return Decimal(dict(self.split).get(store, 0))


@dataclass(frozen=True, slots=True)
class Route:
    """One row of the location map: a Shopify location of a store → a pool."""

    store: str
    location_gid: str
    pool: str
    direction: Direction = Direction.ODOO_TO_SHOPIFY
    #: safety stock kept back at this location (units), overridable per SKU
    buffer: int = 0
    #: ``False`` = excluded: the planner leaves the location alone
    enabled: bool = True
    location_name: str = ""

    @property
    def label(self) -> str:
        return self.location_name or self.location_gid


@dataclass(frozen=True, slots=True)
class BufferOverride:
    """A per-SKU buffer; ``store``/``location_gid`` ``None`` = every store/location."""

    sku: str
    buffer: int
    store: str | None = None
    location_gid: str | None = None


@dataclass(frozen=True, slots=True)
class StockPolicy:
    pools: tuple[Pool, ...]
    routes: tuple[Route, ...]
    buffer_overrides: tuple[BufferOverride, ...] = ()

    def pool(self, name: str) -> Pool | None:
        for pool in self.pools:
            if pool.name == name:
                return pool
        return None

    def route(self, store: str, location_gid: str) -> Route | None:
        for route in self.routes:
            if route.store == store and route.location_gid == location_gid:
                return route
        return None

    def buffer(self, sku: str, route: Route) -> int:
        """The buffer of ``sku`` at ``route``: the most specific override wins, else the row's."""
        return buffer_for(self.buffer_overrides, sku, route)


def buffer_for(overrides: Iterable[BufferOverride], sku: str, route: Route) -> int:
    """Most specific matching override (store and location > one of them > SKU only)."""
    best: tuple[int, int] | None = None
    for o in overrides:
        if normalise_sku(o.sku) != sku:
            continue
        if o.store is not None and o.store != route.store:
            continue
        if o.location_gid is not None and o.location_gid != route.location_gid:
            continue
        rank = (o.store is not None) + (o.location_gid is not None)
        if best is None or rank > best[0]:
            best = (rank, o.buffer)
    return max(0, best[1] if best is not None else route.buffer)


# --------------------------------------------------------------------------- stock snapshots


@dataclass(frozen=True, slots=True)
class OdooStock:
    """Odoo's figures for one product at one location (context ``location`` = that id)."""

    product_id: int
    location_id: int
    qty_available: Decimal
    free_qty: Decimal
    outgoing_qty: Decimal = Decimal(0)

    @property
    def sellable(self) -> Decimal:
        """min(free_qty, qty_available − outgoing_qty); may be negative (backorders)."""
        return min(self.free_qty, self.qty_available - self.outgoing_qty)


@dataclass(frozen=True, slots=True)
class Listing:
    """A linked product's inventory item in one store."""

    store: str
    inventory_item_gid: str
    variant_gid: str = ""
    tracked: bool = True


@dataclass(frozen=True, slots=True)
class StockItem:
    """One linked Odoo product and its listings in every store."""

    product_id: int
    sku: str
    storable: bool
    listings: tuple[Listing, ...]


@dataclass(frozen=True, slots=True)
class Level:
    """Shopify's ``available`` for one inventory item at one location, and when it was read."""

    store: str
    inventory_item_gid: str
    location_gid: str
    available: int
    read_at: datetime
    #: (store, item, location), computed once
    key: LevelKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "key", LevelKey(self.store, self.inventory_item_gid, self.location_gid)
        )


@dataclass(frozen=True, slots=True, order=True)
class LevelKey:
    store: str
    inventory_item_gid: str
    location_gid: str

    def __str__(self) -> str:
        return f"{self.store}:{self.inventory_item_gid}@{self.location_gid}"


@dataclass(frozen=True, slots=True)
class StockWorld:
    """Everything the stock planner reads for a set of products (usually one SKU).

    ``order_cursors`` is, per store, the time up to which the order poller has seen every
    order (its cursor minus the overlap window): an unexplained drop read before that time was
    not an order.  A store missing from it has seen nothing yet.
    """

    items: tuple[StockItem, ...]
    odoo: tuple[OdooStock, ...]
    levels: tuple[Level, ...]
    order_cursors: tuple[tuple[str, datetime], ...] = field(default=())

    def cursor(self, store: str) -> datetime | None:
        return dict(self.order_cursors).get(store)
