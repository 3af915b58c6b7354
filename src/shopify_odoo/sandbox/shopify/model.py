"""The sandbox's records: compact mutable dataclasses (slots, ints) so that the ``large``
scenario (100,000 variants per store) fits in memory.  Money on variants is integer cents;
money on orders is Decimal."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

#: Named inventory quantities (fact sheet §a.2).
QUANTITY_NAMES = (
    "available",
    "committed",
    "on_hand",
    "incoming",
    "reserved",
    "damaged",
    "safety_stock",
    "quality_control",
    "unavailable",
)
#: States that are on hand but not sellable (§a.2); their sum is ``unavailable``.
UNAVAILABLE_STATES = ("reserved", "damaged", "safety_stock", "quality_control")


@dataclass(slots=True)
class Level:
    """One inventory item at one location.  ``on_hand`` and ``unavailable`` are derived (§a.2):
    on_hand = available + committed + reserved + damaged + safety_stock + quality_control."""

    location_id: int
    created_at: float
    updated_at: float
    available: int = 0
    committed: int = 0
    reserved: int = 0
    damaged: int = 0
    safety_stock: int = 0
    quality_control: int = 0
    incoming: int = 0
    active: bool = True

    @property
    def unavailable(self) -> int:
        return self.reserved + self.damaged + self.safety_stock + self.quality_control

    @property
    def on_hand(self) -> int:
        return self.available + self.committed + self.unavailable

    def get(self, name: str) -> int:
        if name == "on_hand":
            return self.on_hand
        if name == "unavailable":
            return self.unavailable
        value: int = getattr(self, name)
        return value


@dataclass(slots=True)
class Location:
    id: int
    index: int
    name: str
    role: str
    fulfills_online_orders: bool
    is_fulfillment_service: bool
    created_at: float
    active: bool = True
    city: str = "Lyon"
    country_code: str = "FR"


@dataclass(slots=True)
class Variant:
    """A product variant and its inventory item (one each, §a.1)."""

    id: int
    item_id: int
    product_id: int
    sku: str
    barcode: str | None
    options: tuple[str, ...]
    price_cents: int
    compare_at_cents: int | None
    position: int
    created_at: float
    updated_at: float
    levels: list[Level | None]
    policy_continue: bool = False
    tracked: bool = True
    requires_shipping: bool = True
    taxable: bool = True

    @property
    def title(self) -> str:
        return " / ".join(self.options) if self.options else "Default Title"


@dataclass(slots=True)
class Product:
    id: int
    title: str
    handle: str
    option_names: tuple[str, ...]
    variant_ids: list[int]
    created_at: float
    updated_at: float
    status: str = "ACTIVE"
    vendor: str = "Sandbox Apparel"
    product_type: str = "Apparel"
    tags: tuple[str, ...] = ()
    description_html: str = ""


@dataclass(slots=True)
class Customer:
    id: int
    email: str
    first_name: str
    last_name: str
    created_at: float
    updated_at: float
    phone: str | None = None
    orders_count: int = 0
    amount_spent: Decimal = Decimal("0.00")
    tags: tuple[str, ...] = ()
    state: str = "ENABLED"
    address: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class DiscountApplication:
    index: int
    kind: Literal["code", "automatic"]
    title: str  # the code for a discount code
    value_type: Literal["percentage", "fixed_amount"]
    value: Decimal
    target: Literal["line_item", "shipping_line"] = "line_item"
    allocation: Literal["across", "each"] = "across"


@dataclass(slots=True)
class TaxLine:
    title: str
    rate: Decimal
    amount: Decimal  # shop money
    presentment: Decimal


@dataclass(slots=True)
class LineItem:
    id: int
    variant_id: int | None
    product_id: int | None
    sku: str | None
    title: str
    variant_title: str | None
    quantity: int
    price: Decimal  # unit price, shop money
    presentment_price: Decimal
    discount_allocations: list[
        tuple[int, Decimal, Decimal]
    ]  # (application index, shop, presentment)
    tax_lines: list[TaxLine]
    gift_card: bool = False
    requires_shipping: bool = True
    taxable: bool = True
    fulfilled: int = 0
    removed: int = 0  # refunded or removed units

    @property
    def current_quantity(self) -> int:
        return self.quantity - self.removed

    @property
    def fulfillable(self) -> int:
        return max(0, self.current_quantity - self.fulfilled)

    def total_discount(self) -> tuple[Decimal, Decimal]:
        return (
            sum((a[1] for a in self.discount_allocations), Decimal("0.00")),
            sum((a[2] for a in self.discount_allocations), Decimal("0.00")),
        )


@dataclass(slots=True)
class ShippingLine:
    id: int
    title: str
    code: str
    price: Decimal
    presentment_price: Decimal
    tax_lines: list[TaxLine]
    discount_allocations: list[tuple[int, Decimal, Decimal]] = field(default_factory=list)


@dataclass(slots=True)
class FulfillmentOrderLine:
    id: int
    line_item_id: int
    total: int
    remaining: int


@dataclass(slots=True)
class FulfillmentOrder:
    id: int
    order_id: int
    location_id: int
    lines: list[FulfillmentOrderLine]
    created_at: float
    updated_at: float
    status: str = "OPEN"  # FulfillmentOrderStatus (§e.2)


@dataclass(slots=True)
class Fulfillment:
    id: int
    order_id: int
    location_id: int
    name: str
    lines: list[tuple[int, int, int]]  # (fulfillment line item id, line item id, quantity)
    created_at: float
    updated_at: float
    tracking_company: str | None = None
    tracking_numbers: list[str] = field(default_factory=list)
    tracking_urls: list[str] = field(default_factory=list)
    status: str = "SUCCESS"
    shipment_status: str | None = None


@dataclass(slots=True)
class Refund:
    id: int
    order_id: int
    created_at: float
    lines: list[tuple[int, int, int, str, int | None]]  # (id, line item id, qty, restock type, loc)
    amount: Decimal
    presentment_amount: Decimal
    note: str | None = None


@dataclass(slots=True)
class Order:
    id: int
    number: int
    name: str
    customer_id: int | None
    email: str | None
    created_at: float
    updated_at: float
    currency: str
    presentment_currency: str
    rate: Decimal  # presentment = shop × rate
    taxes_included: bool
    line_items: list[LineItem]
    shipping_lines: list[ShippingLine]
    discounts: list[DiscountApplication]
    shipping_address: dict[str, Any]
    billing_address: dict[str, Any]
    fulfillment_orders: list[FulfillmentOrder] = field(default_factory=list)
    fulfillments: list[Fulfillment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    financial_status: str = "paid"  # REST financial_status (correction 18)
    gift_card_amount: Decimal = Decimal("0.00")
    tip: Decimal = Decimal("0.00")
    cancelled_at: float | None = None
    cancel_reason: str | None = None
    closed_at: float | None = None
    tags: tuple[str, ...] = ()
    note: str | None = None
    source_name: str = "web"
    gateways: tuple[str, ...] = ("shopify_payments",)
    edited: bool = False
    test: bool = False


@dataclass(slots=True)
class WebhookSubscription:
    id: int
    topic: str  # WebhookSubscriptionTopic enum value, e.g. ORDERS_CREATE
    uri: str
    created_at: float
    updated_at: float
    format: str = "JSON"
    include_fields: tuple[str, ...] = ()
    filter: str | None = None
    name: str | None = None


@dataclass(slots=True)
class BulkOperation:
    id: int
    query: str
    created_at: float
    status: str = "CREATED"
    completed_at: float | None = None
    object_count: int = 0
    root_object_count: int = 0
    file_size: int | None = None
    url: str | None = None
    error_code: str | None = None
    data: bytes = b""


@dataclass(slots=True)
class AdjustmentGroup:
    id: int
    created_at: float
    reason: str
    reference_document_uri: str | None
    changes: list[tuple[str, int, int, int, int | None, str | None]]
    # (name, delta, item id, location id, quantity after change, ledger document uri)
