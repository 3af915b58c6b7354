"""Snapshot types the order planners read: one Shopify order as it is now, and the Odoo side.

Everything here is a frozen dataclass filled by the engine from what it read (the Shopify order
through GraphQL or a webhook body, Odoo through batched ``search_read``), so that the planners in
:mod:`shopify_odoo.sync.orders`, :mod:`shopify_odoo.sync.customers` and
:mod:`shopify_odoo.sync.fulfillment` stay pure.

Money is :class:`~decimal.Decimal` everywhere.  Shopify sends every amount twice (a ``MoneyBag``,
Shopify fact sheet §e.1; REST/webhook ``*_set = {shop_money, presentment_money}``, correction 18):
the shop currency and the currency the buyer paid in.  Sale orders are written in the presentment
currency, so the planners read ``.presentment``; ``.shop`` is kept for reports and the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

# ---------------------------------------------------------------------------------------------
# Shopify side
# ---------------------------------------------------------------------------------------------

#: REST/webhook ``financial_status`` domain (Shopify fact sheet, correction 18).
FinancialStatus = Literal[
    "pending",
    "authorized",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
    "expired",
]

#: What a line item is for.  Shopify marks gift card purchases (``gift_card``/``isGiftCard``,
#: fact sheet §e.1) and tips (a ``TipSale`` whose ``lineItem`` is the tip, lineType ``TIP``);
#: everything else is a product line.  A gift card used as *payment* is not a line at all: it is
#: a transaction with gateway ``gift_card`` (``payment_gateway_names``) and does not change the
#: order total, so it does not change the sale order either.
LineKind = Literal["product", "gift_card", "tip"]

#: ``FulfillmentOrder.status`` (fact sheet §e.2).
FulfillmentOrderStatus = Literal[
    "OPEN", "IN_PROGRESS", "CANCELLED", "INCOMPLETE", "CLOSED", "SCHEDULED", "ON_HOLD"
]


@dataclass(frozen=True, slots=True)
class MoneyBag:
    """One amount in the shop currency and in the presentment (buyer's) currency."""

    shop: Decimal
    presentment: Decimal

    @staticmethod
    def same(amount: Decimal | str) -> MoneyBag:
        """An amount for an order whose presentment currency is the shop currency."""
        value = Decimal(amount)
        return MoneyBag(value, value)


@dataclass(frozen=True, slots=True)
class TaxLine:
    """One Shopify tax line: ``rate`` is a fraction (0.2 = 20 %), ``price`` the tax amount."""

    title: str
    rate: Decimal
    price: MoneyBag
    channel_liable: bool = False


@dataclass(frozen=True, slots=True)
class DiscountApplication:
    """An order's ``discount_applications[i]``; allocations point at it by ``index``."""

    index: int
    kind: Literal["discount_code", "automatic", "manual", "script"]
    #: the code for discount codes, the title otherwise
    title: str
    value_type: Literal["percentage", "fixed_amount"] = "fixed_amount"
    value: Decimal = Decimal(0)
    target_type: Literal["line_item", "shipping_line"] = "line_item"


@dataclass(frozen=True, slots=True)
class DiscountAllocation:
    """How much of one discount application Shopify allocated to one line."""

    amount: MoneyBag
    application_index: int


@dataclass(frozen=True, slots=True)
class LineItem:
    """One order line.  ``quantity`` includes removed/refunded units, ``current_quantity`` not."""

    id: str
    title: str
    variant_id: str | None
    sku: str | None
    quantity: int
    current_quantity: int
    #: unit price before discounts (``price_set``), tax included when the order's
    #: ``taxes_included`` is true
    unit_price: MoneyBag
    discount_allocations: tuple[DiscountAllocation, ...] = ()
    tax_lines: tuple[TaxLine, ...] = ()
    requires_shipping: bool = True
    kind: LineKind = "product"


@dataclass(frozen=True, slots=True)
class ShippingLine:
    id: str
    title: str
    #: price before shipping discounts
    price: MoneyBag
    discount_allocations: tuple[DiscountAllocation, ...] = ()
    tax_lines: tuple[TaxLine, ...] = ()
    code: str | None = None
    is_removed: bool = False


@dataclass(frozen=True, slots=True)
class Address:
    """A billing or shipping address; ``country_code`` ISO 3166-1, ``province_code`` as sent."""

    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    zip: str | None = None
    province_code: str | None = None
    country_code: str | None = None
    phone: str | None = None

    @property
    def name(self) -> str:
        return " ".join(p.strip() for p in (self.first_name, self.last_name) if p and p.strip())


@dataclass(frozen=True, slots=True)
class Customer:
    """The order's customer account (absent for guest checkouts)."""

    id: str
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True, slots=True)
class FulfillmentOrderLine:
    id: str
    line_item_id: str
    total_quantity: int
    remaining_quantity: int


@dataclass(frozen=True, slots=True)
class FulfillmentOrder:
    """Shopify splits an order into one fulfillment order per assigned location (§e.2)."""

    id: str
    assigned_location_id: str
    status: FulfillmentOrderStatus = "OPEN"
    lines: tuple[FulfillmentOrderLine, ...] = ()
    #: name of the assigned location, for messages
    location_name: str = ""


@dataclass(frozen=True, slots=True)
class ShopifyOrder:
    """A Shopify order as the worker reads it now (never an event payload's stale copy)."""

    id: str
    #: "#1001"
    name: str
    #: our store handle (the connector's name for the store, e.g. "eu")
    store: str
    shop_currency: str
    presentment_currency: str
    taxes_included: bool
    financial_status: FinancialStatus
    processed_at: datetime
    line_items: tuple[LineItem, ...]
    #: the order's current total (``currentTotalPriceSet``: after edits and removals)
    total_price: MoneyBag
    shipping_lines: tuple[ShippingLine, ...] = ()
    discount_applications: tuple[DiscountApplication, ...] = ()
    customer: Customer | None = None
    #: the order's contact email/phone (set for guest checkouts too)
    email: str | None = None
    phone: str | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    cancelled_at: datetime | None = None
    fulfillment_orders: tuple[FulfillmentOrder, ...] = ()
    payment_gateway_names: tuple[str, ...] = ()

    @property
    def client_order_ref(self) -> str:
        """``<store handle>#<order name>`` (DESIGN.md §1), e.g. ``eu#1001``."""
        return f"{self.store}#{self.name.lstrip('#')}"

    @property
    def paid_with_gift_card(self) -> bool:
        return "gift_card" in self.payment_gateway_names


# ---------------------------------------------------------------------------------------------
# Odoo side and configuration
# ---------------------------------------------------------------------------------------------

#: confirm_paid: confirm once Shopify says paid; confirm_all: confirm every order at once;
#: quotation: leave every order as a quotation for a person to confirm.
ConfirmationPolicy = Literal["confirm_paid", "confirm_all", "quotation"]

#: Who ships the units of a Shopify location: Odoo (our deliveries become Shopify fulfillments)
#: or Shopify (3PL apps, POS: Shopify fulfillments validate the Odoo delivery).
FulfilledBy = Literal["odoo", "shopify"]

#: ``sale.order.state`` in 16-19 (``done`` only in 16.0-16.3; 16.4+ uses ``locked``).
SaleOrderState = Literal["draft", "sent", "sale", "done", "cancel"]


@dataclass(frozen=True, slots=True)
class VariantLink:
    """One row of the link table: a Shopify variant (and its SKU) ⇄ one Odoo product."""

    variant_id: str | None
    sku: str | None
    product_id: int


@dataclass(frozen=True, slots=True)
class OdooTax:
    """An ``account.tax`` as the engine read it.

    ``price_include`` is the *effective* flag: the Boolean field in 16/17; in 18/19 the engine
    resolves ``price_include_override`` against ``res.company.account_price_include`` (Odoo fact
    sheet §4.2) before filling this.  ``rate_percent`` is ``amount`` of a ``percent`` tax.
    """

    id: int
    name: str
    rate_percent: Decimal
    price_include: bool


@dataclass(frozen=True, slots=True)
class TaxRule:
    """Maps Shopify tax lines to Odoo taxes.

    A tax line matches when its rate equals ``rate`` (a fraction, as Shopify sends it), its title
    equals ``title`` case-insensitively (``None`` = any title) and the order's
    ``taxes_included`` equals ``taxes_included``.  Rules with a title win over catch-alls.
    """

    rate: Decimal
    taxes_included: bool
    tax_ids: tuple[int, ...]
    title: str | None = None


@dataclass(frozen=True, slots=True)
class LocationRoute:
    """A Shopify location of this store, the Odoo warehouse that ships it, and who fulfils."""

    location_id: str
    warehouse_id: int
    fulfilled_by: FulfilledBy = "odoo"


@dataclass(frozen=True, slots=True)
class CurrencyInfo:
    """An active ``res.currency`` and the pricelist orders in it use."""

    code: str
    currency_id: int
    pricelist_id: int
    #: Odoo's decimal places for the currency (from ``rounding``: 0.01 → 2, 1.0 → 0)
    decimal_places: int = 2


@dataclass(frozen=True, slots=True)
class OrderSettings:
    """Per-store configuration the order planner needs (the engine builds it from config)."""

    store: str
    confirmation: ConfirmationPolicy = "confirm_paid"
    team_id: int | None = None
    company_id: int | None = None
    shipping_product_id: int | None = None
    carrier_id: int | None = None
    discount_product_id: int | None = None
    gift_card_product_id: int | None = None
    tip_product_id: int | None = None
    rounding_product_id: int | None = None
    #: partner used for orders with neither email nor phone (POS walk-ins)
    guest_partner_id: int | None = None
    tax_rules: tuple[TaxRule, ...] = ()
    locations: tuple[LocationRoute, ...] = ()


@dataclass(frozen=True, slots=True)
class OdooAddress:
    """A child contact (``res.partner`` with ``parent_id``) or a partner's own address."""

    id: int
    type: Literal["contact", "invoice", "delivery", "other"]
    name: str = ""
    street: str | None = None
    street2: str | None = None
    city: str | None = None
    zip: str | None = None
    state_id: int | None = None
    country_id: int | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class OdooPartner:
    """A commercial partner (``parent_id`` False) found by email or phone, with its children."""

    id: int
    name: str
    email: str | None = None
    phone: str | None = None
    #: the partner's own address (its street, city, ... fields)
    own_address: OdooAddress | None = None
    children: tuple[OdooAddress, ...] = ()


@dataclass(frozen=True, slots=True)
class ExistingLine:
    """A ``sale.order.line`` of an order we created.  ``key`` is our line key when known."""

    id: int
    product_id: int
    name: str
    quantity: Decimal
    price_unit: Decimal
    tax_ids: frozenset[int] = frozenset()
    discount: Decimal = Decimal(0)
    qty_delivered: Decimal = Decimal(0)
    key: str | None = None


@dataclass(frozen=True, slots=True)
class ExistingSaleOrder:
    """The sale order already holding this Shopify order (link table or ``client_order_ref``)."""

    id: int
    name: str
    state: SaleOrderState
    client_order_ref: str
    lines: tuple[ExistingLine, ...] = ()
    locked: bool = False


@dataclass(frozen=True, slots=True)
class OdooOrderState:
    """What the worker read from Odoo (and the link table) for one Shopify order."""

    links: tuple[VariantLink, ...] = ()
    taxes: tuple[OdooTax, ...] = ()
    currencies: tuple[CurrencyInfo, ...] = ()
    #: ISO country code → ``res.country`` id
    countries: Mapping[str, int] = field(default_factory=dict)
    #: (ISO country code, state code) → ``res.country.state`` id
    states: Mapping[tuple[str, str], int] = field(default_factory=dict)
    partners: tuple[OdooPartner, ...] = ()
    existing: ExistingSaleOrder | None = None


# ---------------------------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """Something a person must fix; ``code`` is a stable label, ``message`` names the object,
    where it lives, the cause and the next step (STYLE.md §6)."""

    code: str
    message: str


def reprocess_command(order: ShopifyOrder) -> str:
    """The command that re-plans one order after a person fixed its cause."""
    return f"shopify-odoo reprocess --store {order.store} --order {order.name.lstrip('#')}"
