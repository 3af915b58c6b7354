"""Orders: the updated-since poll and one order with everything the import needs (§e.1, §e.2)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from shopify_odoo.errors import TerminalError
from shopify_odoo.shopify.limiter import Priority
from shopify_odoo.shopify.models import _int, _opt_str, _str
from shopify_odoo.shopify.transport import ShopifyGraphQL

LINES_PER_PAGE = 100


@dataclass(frozen=True)
class Money:
    """A ``MoneyBag``: the amount in the shop currency and in the customer's currency."""

    shop: Decimal
    shop_currency: str
    presentment: Decimal
    presentment_currency: str

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None) -> Money:
        raw = raw or {}
        shop = raw.get("shopMoney") or {}
        pres = raw.get("presentmentMoney") or shop
        return cls(
            shop=Decimal(str(shop.get("amount", "0"))),
            shop_currency=str(shop.get("currencyCode", "")),
            presentment=Decimal(str(pres.get("amount", "0"))),
            presentment_currency=str(pres.get("currencyCode", "")),
        )


ZERO = Money(Decimal(0), "", Decimal(0), "")


@dataclass(frozen=True)
class TaxLine:
    title: str
    rate: Decimal | None
    channel_liable: bool
    price: Money

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> TaxLine:
        rate = raw.get("rate")
        return cls(
            title=str(raw.get("title", "")),
            rate=Decimal(str(rate)) if rate is not None else None,
            channel_liable=bool(raw.get("channelLiable")),
            price=Money.parse(raw.get("priceSet")),
        )


def _taxes(raw: Mapping[str, Any]) -> tuple[TaxLine, ...]:
    return tuple(TaxLine.parse(t) for t in raw.get("taxLines") or [])


def _discounts(raw: Mapping[str, Any]) -> tuple[Money, ...]:
    return tuple(
        Money.parse(d.get("allocatedAmountSet")) for d in raw.get("discountAllocations") or []
    )


@dataclass(frozen=True)
class OrderLine:
    id: str
    name: str
    sku: str | None
    variant_id: str | None  # None: custom item or deleted variant
    product_id: str | None
    quantity: int
    current_quantity: int  # after refunds and removals
    requires_shipping: bool
    is_gift_card: bool
    unit_price: Money  # original unit price
    discounted_unit_price: Money
    discounts: tuple[Money, ...]
    taxes: tuple[TaxLine, ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> OrderLine:
        variant = raw.get("variant")
        product = raw.get("product")
        return cls(
            id=_str(raw, "id"),
            name=_opt_str(raw, "name") or _opt_str(raw, "title") or "",
            sku=_opt_str(raw, "sku") or None,
            variant_id=_opt_str(variant, "id") if isinstance(variant, Mapping) else None,
            product_id=_opt_str(product, "id") if isinstance(product, Mapping) else None,
            quantity=int(raw.get("quantity") or 0),
            current_quantity=int(raw.get("currentQuantity") or 0),
            requires_shipping=bool(raw.get("requiresShipping")),
            is_gift_card=bool(raw.get("isGiftCard")),
            unit_price=Money.parse(raw.get("originalUnitPriceSet")),
            discounted_unit_price=Money.parse(raw.get("discountedUnitPriceSet")),
            discounts=_discounts(raw),
            taxes=_taxes(raw),
        )


@dataclass(frozen=True)
class ShippingLine:
    id: str | None
    title: str
    code: str | None
    source: str | None
    carrier: str | None
    is_removed: bool
    price: Money
    discounted_price: Money
    taxes: tuple[TaxLine, ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ShippingLine:
        return cls(
            id=_opt_str(raw, "id"),
            title=str(raw.get("title", "")),
            code=_opt_str(raw, "code"),
            source=_opt_str(raw, "source"),
            carrier=_opt_str(raw, "carrierIdentifier"),
            is_removed=bool(raw.get("isRemoved")),
            price=Money.parse(raw.get("originalPriceSet")),
            discounted_price=Money.parse(raw.get("discountedPriceSet")),
            taxes=_taxes(raw),
        )


@dataclass(frozen=True)
class Address:
    name: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    address1: str | None
    address2: str | None
    city: str | None
    province: str | None
    province_code: str | None
    zip: str | None
    country: str | None
    country_code: str | None
    phone: str | None

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None) -> Address | None:
        if not isinstance(raw, Mapping):
            return None
        return cls(
            name=_opt_str(raw, "name"),
            first_name=_opt_str(raw, "firstName"),
            last_name=_opt_str(raw, "lastName"),
            company=_opt_str(raw, "company"),
            address1=_opt_str(raw, "address1"),
            address2=_opt_str(raw, "address2"),
            city=_opt_str(raw, "city"),
            province=_opt_str(raw, "province"),
            province_code=_opt_str(raw, "provinceCode"),
            zip=_opt_str(raw, "zip"),
            country=_opt_str(raw, "country"),
            country_code=_opt_str(raw, "countryCodeV2"),
            phone=_opt_str(raw, "phone"),
        )


@dataclass(frozen=True)
class Customer:
    id: str
    legacy_id: int
    first_name: str | None
    last_name: str | None
    display_name: str
    email: str | None
    phone: str | None

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None) -> Customer | None:
        if not isinstance(raw, Mapping):
            return None
        return cls(
            id=_str(raw, "id"),
            legacy_id=_int(raw, "legacyResourceId"),
            first_name=_opt_str(raw, "firstName"),
            last_name=_opt_str(raw, "lastName"),
            display_name=_opt_str(raw, "displayName") or "",
            email=_opt_str(raw.get("defaultEmailAddress"), "emailAddress"),
            phone=_opt_str(raw, "phone"),
        )


@dataclass(frozen=True)
class FulfillmentOrderLine:
    id: str
    line_item_id: str
    remaining_quantity: int
    total_quantity: int


@dataclass(frozen=True)
class FulfillmentOrder:
    id: str
    status: str
    request_status: str
    location_id: str | None  # assigned location (where it is expected to ship from)
    location_name: str
    lines: tuple[FulfillmentOrderLine, ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> FulfillmentOrder:
        assigned = raw.get("assignedLocation") or {}
        location = assigned.get("location")
        return cls(
            id=_str(raw, "id"),
            status=str(raw.get("status", "")),
            request_status=str(raw.get("requestStatus", "")),
            location_id=_opt_str(location, "id") if isinstance(location, Mapping) else None,
            location_name=str(assigned.get("name", "")),
            lines=tuple(
                FulfillmentOrderLine(
                    id=_str(n, "id"),
                    line_item_id=_str(n.get("lineItem") or {}, "id"),
                    remaining_quantity=int(n.get("remainingQuantity") or 0),
                    total_quantity=int(n.get("totalQuantity") or 0),
                )
                for n in (raw.get("lineItems") or {}).get("nodes") or []
            ),
        )


@dataclass(frozen=True)
class OrderSummary:
    """One row of the updated-since poll."""

    id: str
    legacy_id: int
    name: str
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    financial_status: str | None
    fulfillment_status: str

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> OrderSummary:
        return cls(
            id=_str(raw, "id"),
            legacy_id=_int(raw, "legacyResourceId"),
            name=_str(raw, "name"),
            created_at=parse_datetime(_str(raw, "createdAt")),
            updated_at=parse_datetime(_str(raw, "updatedAt")),
            cancelled_at=_opt_datetime(raw, "cancelledAt"),
            financial_status=_opt_str(raw, "displayFinancialStatus"),
            fulfillment_status=str(raw.get("displayFulfillmentStatus", "")),
        )


@dataclass(frozen=True)
class Order:
    id: str
    legacy_id: int
    name: str
    email: str | None
    phone: str | None
    created_at: datetime
    updated_at: datetime
    processed_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str | None
    test: bool
    tags: tuple[str, ...]
    note: str | None
    source_name: str | None
    currency: str
    presentment_currency: str
    taxes_included: bool
    financial_status: str | None
    fulfillment_status: str
    total: Money
    subtotal: Money
    total_tax: Money
    total_discounts: Money
    total_shipping: Money
    customer: Customer | None
    billing_address: Address | None
    shipping_address: Address | None
    lines: tuple[OrderLine, ...]
    shipping_lines: tuple[ShippingLine, ...]
    fulfillment_orders: tuple[FulfillmentOrder, ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any], lines: tuple[OrderLine, ...]) -> Order:
        def money(key: str) -> Money:
            value = raw.get(key)
            return Money.parse(value) if isinstance(value, Mapping) else ZERO

        return cls(
            id=_str(raw, "id"),
            legacy_id=_int(raw, "legacyResourceId"),
            name=_str(raw, "name"),
            email=_opt_str(raw, "email"),
            phone=_opt_str(raw, "phone"),
            created_at=parse_datetime(_str(raw, "createdAt")),
            updated_at=parse_datetime(_str(raw, "updatedAt")),
            processed_at=parse_datetime(_str(raw, "processedAt")),
            cancelled_at=_opt_datetime(raw, "cancelledAt"),
            cancel_reason=_opt_str(raw, "cancelReason"),
            test=bool(raw.get("test")),
            tags=tuple(str(t) for t in raw.get("tags") or []),
            note=_opt_str(raw, "note"),
            source_name=_opt_str(raw, "sourceName"),
            currency=_str(raw, "currencyCode"),
            presentment_currency=_opt_str(raw, "presentmentCurrencyCode")
            or _str(raw, "currencyCode"),
            taxes_included=bool(raw.get("taxesIncluded")),
            financial_status=_opt_str(raw, "displayFinancialStatus"),
            fulfillment_status=str(raw.get("displayFulfillmentStatus", "")),
            total=money("totalPriceSet"),
            subtotal=money("subtotalPriceSet"),
            total_tax=money("totalTaxSet"),
            total_discounts=money("totalDiscountsSet"),
            total_shipping=money("totalShippingPriceSet"),
            customer=Customer.parse(raw.get("customer")),
            billing_address=Address.parse(raw.get("billingAddress")),
            shipping_address=Address.parse(raw.get("shippingAddress")),
            lines=lines,
            shipping_lines=tuple(
                ShippingLine.parse(s) for s in (raw.get("shippingLines") or {}).get("nodes") or []
            ),
            fulfillment_orders=tuple(
                FulfillmentOrder.parse(f)
                for f in (raw.get("fulfillmentOrders") or {}).get("nodes") or []
            ),
        )


def parse_datetime(value: str) -> datetime:
    """Shopify's ISO 8601 timestamps (``Z`` or an offset), as aware datetimes."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise TerminalError(
            f"Shopify sent the timestamp {value!r}, not ISO 8601", cause="bad_payload"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _opt_datetime(raw: Mapping[str, Any], key: str) -> datetime | None:
    value = raw.get(key)
    return parse_datetime(value) if isinstance(value, str) and value else None


def updated_since_query(since: datetime) -> str:
    """Search syntax for orders updated at or after ``since`` (UTC, whole seconds)."""
    moment = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"updated_at:>='{moment}'"


async def orders_updated_since(
    client: ShopifyGraphQL,
    since: datetime,
    *,
    page_size: int = 50,
    priority: Priority = Priority.NORMAL,
) -> AsyncIterator[OrderSummary]:
    """Orders updated at or after ``since``, oldest first (the poll backstop of the webhooks).

    Keep an overlap window in the cursor you store: timestamps are whole seconds here.
    """
    async for node in client.paginate(
        "orders_updated",
        {"query": updated_since_query(since), "first": page_size},
        ("orders",),
        priority=priority,
    ):
        yield OrderSummary.parse(node)


async def get_order(
    client: ShopifyGraphQL, order_id: str, *, priority: Priority = Priority.REALTIME
) -> Order | None:
    """One order by GID with all its lines (further pages of lines fetched); None if unknown."""
    lines: list[OrderLine] = []
    after: str | None = None
    first_raw: Mapping[str, Any] | None = None
    while True:
        data = await client.execute(
            "order", {"id": order_id, "lines": LINES_PER_PAGE, "after": after}, priority=priority
        )
        raw = data.get("order")
        if not isinstance(raw, Mapping):
            return None
        first_raw = first_raw or raw
        connection = raw.get("lineItems") or {}
        lines.extend(OrderLine.parse(n) for n in connection.get("nodes") or [])
        info = connection.get("pageInfo") or {}
        if not info.get("hasNextPage") or not info.get("endCursor"):
            break
        after = info["endCursor"]
    return Order.parse(first_raw, tuple(lines))
