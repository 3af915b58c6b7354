"""The in-memory world: stores (shops) with their records and indexes, seeded from the shared
catalogue (``shopify_odoo.sandbox.catalog``)."""

from __future__ import annotations

import secrets
import uuid
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from shopify_odoo.sandbox.catalog import LOCATION_ROLES, Scenario, catalogue

from .clock import Clock, SystemClock
from .cost import LeakyBucket
from .ids import ID_BASE
from .model import (
    AdjustmentGroup,
    BulkOperation,
    Customer,
    Level,
    Location,
    Order,
    Product,
    Variant,
    WebhookSubscription,
)

Plan = Literal["standard", "advanced", "plus", "enterprise"]

#: Bucket size and restore rate per plan (fact sheet correction 3: bucket = 20 × restore rate;
#: Enterprise not captured, presumed 40000/2000).
PLANS: dict[str, tuple[float, float, str]] = {
    "standard": (2000.0, 100.0, "Shopify"),
    "advanced": (4000.0, 200.0, "Advanced"),
    "plus": (20000.0, 1000.0, "Shopify Plus"),
    "enterprise": (40000.0, 2000.0, "Commerce Components"),
}


@dataclass(slots=True)
class Faults:
    """Knobs the control API turns (issue 4 item 7)."""

    http_errors: int = 0  # the next N Admin API calls answer with ``http_status``
    http_status: int = 503
    slow_seconds: float = 0.0  # added latency on every Admin API call


@dataclass(slots=True)
class Token:
    scope: str
    expires_at: float | None  # epoch seconds, None = never (legacy shpat_)
    kind: str  # legacy | client_credentials | offline
    refresh_token: str | None = None


EventSink = Callable[["Store", str, dict[str, Any], str | None], None]

DEFAULT_SCOPES = (
    "read_products,write_products,read_inventory,write_inventory,read_locations,read_orders,"
    "write_orders,read_merchant_managed_fulfillment_orders,write_merchant_managed_fulfillment_orders,"
    "read_customers,write_customers,read_returns,write_returns"
)


@dataclass
class Store:
    """One Shopify shop, reachable at its own base URL."""

    handle: str
    shop_id: int
    plan: str
    clock: Clock
    currency: str = "EUR"
    name: str = ""
    base_url: str = ""
    access_token: str = ""
    client_id: str = ""
    client_secret: str = ""
    scopes: str = DEFAULT_SCOPES
    token_lifetime: float = 86399.0  # correction 20: expires_in is always 86399
    locations: list[Location] = field(default_factory=list)
    products: dict[int, Product] = field(default_factory=dict)
    variants: dict[int, Variant] = field(default_factory=dict)
    items: dict[int, Variant] = field(default_factory=dict)
    variant_order: list[int] = field(default_factory=list)
    product_order: list[int] = field(default_factory=list)
    sku_index: dict[str, list[int]] = field(default_factory=dict)
    barcode_index: dict[str, list[int]] = field(default_factory=dict)
    customers: dict[int, Customer] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    subscriptions: dict[int, WebhookSubscription] = field(default_factory=dict)
    bulk_operations: dict[int, BulkOperation] = field(default_factory=dict)
    adjustment_groups: dict[int, AdjustmentGroup] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    auth_codes: dict[str, str] = field(default_factory=dict)  # code -> scope
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh -> scope
    grants: list[tuple[float, str]] = field(default_factory=list)  # (time, kind) per token issued
    idempotency: dict[str, tuple[tuple[str, Any], Any]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    next_order_number: int = 1001
    installed: bool = True
    same_organisation: bool = True  # False: client credentials answer shop_not_permitted
    rate_limited: bool = True  # False: no bucket (benchmarks of the sandbox itself)
    bucket: LeakyBucket = field(init=False)

    def __post_init__(self) -> None:
        size, rate, _ = PLANS[self.plan]
        self.bucket = LeakyBucket(size, rate, self.clock)
        self.name = self.name or f"Sandbox {self.handle}"

    @property
    def domain(self) -> str:
        return f"{self.handle}.myshopify.com"

    def location(self, location_id: int) -> Location | None:
        for loc in self.locations:
            if loc.id == location_id:
                return loc
        return None

    def location_by_name(self, name: str) -> Location | None:
        for loc in self.locations:
            if loc.name == name or loc.role == name:
                return loc
        return None

    def level(self, variant: Variant, location_id: int) -> Level | None:
        loc = self.location(location_id)
        if loc is None or loc.index >= len(variant.levels):
            return None
        return variant.levels[loc.index]

    def variants_by_sku(self, sku: str) -> list[Variant]:
        return [self.variants[v] for v in self.sku_index.get(sku, ()) if v in self.variants]

    def iter_variants(self, after_id: int = 0) -> Iterator[Variant]:
        start = bisect_right(self.variant_order, after_id)
        for vid in self.variant_order[start:]:
            v = self.variants.get(vid)
            if v is not None:
                yield v

    def index_variant(self, v: Variant) -> None:
        self.sku_index.setdefault(v.sku, []).append(v.id)
        if v.barcode:
            self.barcode_index.setdefault(v.barcode, []).append(v.id)

    def unindex_variant(self, v: Variant) -> None:
        ids = self.sku_index.get(v.sku)
        if ids and v.id in ids:
            ids.remove(v.id)
        if v.barcode:
            bids = self.barcode_index.get(v.barcode)
            if bids and v.id in bids:
                bids.remove(v.id)


class World:
    """Every store of one sandbox, one id counter, one clock, one event sink."""

    def __init__(self, *, clock: Clock | None = None, seed: int = 0) -> None:
        self.clock: Clock = clock or SystemClock()
        self.seed = seed
        self.stores: dict[str, Store] = {}
        self._next_id = ID_BASE + seed * 1_000_000_000
        self.sink: EventSink | None = None

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def now(self) -> float:
        return self.clock.time()

    @staticmethod
    def wants(store: Store, topic: str) -> bool:
        """Whether any subscription of ``store`` listens to ``topic`` (cheap pre-check)."""
        enum = topic.replace("/", "_").upper()
        return store.installed and any(s.topic == enum for s in store.subscriptions.values())

    def emit(self, store: Store, topic: str, body: dict[str, Any], event_id: str | None) -> None:
        """Hand a webhook event to the sink (self-echo included: correction 15)."""
        if self.sink is not None and store.installed:
            self.sink(store, topic, body, event_id)

    def add_store(
        self, handle: str, *, plan: str = "standard", token_lifetime: float | None = None
    ) -> Store:
        if plan not in PLANS:
            raise ValueError(f"unknown plan {plan!r}: choose one of {', '.join(PLANS)}")
        store = Store(handle=handle, shop_id=self.new_id(), plan=plan, clock=self.clock)
        store.access_token = "shpat_" + secrets.token_hex(16)
        store.client_id = secrets.token_hex(16)
        store.client_secret = "shpss_" + secrets.token_hex(16)
        if token_lifetime is not None:
            store.token_lifetime = token_lifetime
        store.tokens[store.access_token] = Token(store.scopes, None, "legacy")
        now = self.now()
        for index, (role, name) in enumerate(LOCATION_ROLES):
            store.locations.append(
                Location(
                    id=self.new_id(),
                    index=index,
                    name=name,
                    role=role,
                    # "Main Warehouse" and the 3PL fulfil online orders; the shop does not
                    # (§a.8 fulfillsOnlineOrders, isFulfillmentService).
                    fulfills_online_orders=role in ("main", "3pl"),
                    is_fulfillment_service=role == "3pl",
                    created_at=now,
                )
            )
        self.stores[handle] = store
        return store

    def seed_catalogue(self, store: Store, scenario: Scenario) -> None:
        """Every store carries every catalogue product, stocked per location role."""
        now = self.now()
        by_role = {loc.role: loc for loc in store.locations}
        nloc = len(store.locations)
        for cp in catalogue(scenario):
            pid = self.new_id()
            product = Product(
                id=pid,
                title=cp.title,
                handle=cp.handle,
                option_names=cp.option_names,
                variant_ids=[],
                created_at=now,
                updated_at=now,
            )
            for pos, cv in enumerate(cp.variants, start=1):
                levels: list[Level | None] = [None] * nloc
                for role, qty in cv.stock:
                    loc = by_role[role]
                    levels[loc.index] = Level(loc.id, now, now, available=qty)
                v = Variant(
                    id=self.new_id(),
                    item_id=self.new_id(),
                    product_id=pid,
                    sku=cv.sku,
                    barcode=cv.barcode,
                    options=cv.option_values,
                    price_cents=int(cv.price * 100),
                    compare_at_cents=(
                        int(cv.compare_at_price * 100) if cv.compare_at_price is not None else None
                    ),
                    position=pos,
                    created_at=now,
                    updated_at=now,
                    levels=levels,
                )
                store.variants[v.id] = v
                store.items[v.item_id] = v
                store.variant_order.append(v.id)
                store.index_variant(v)
                product.variant_ids.append(v.id)
            store.products[pid] = product
            store.product_order.append(pid)


def new_event_id() -> str:
    """``X-Shopify-Event-Id`` is a UUID shared by the deliveries of one action (correction 14)."""
    return str(uuid.uuid4())


def cents(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))
