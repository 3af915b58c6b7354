"""Thin wrappers giving records their GraphQL identity, and GID lookup (``node``/``nodes``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .ids import gid, parse_gid
from .model import (
    AdjustmentGroup,
    BulkOperation,
    Customer,
    Fulfillment,
    FulfillmentOrder,
    FulfillmentOrderLine,
    Level,
    LineItem,
    Location,
    Order,
    Product,
    Variant,
    WebhookSubscription,
)
from .world import Store


@dataclass(slots=True, frozen=True)
class Item:
    """The InventoryItem of a variant (same record, different GraphQL type)."""

    v: Variant

    @property
    def id(self) -> int:
        return self.v.item_id


@dataclass(slots=True, frozen=True)
class LevelRef:
    v: Variant
    level: Level

    @property
    def id(self) -> int:
        return self.level.location_id


@dataclass(slots=True, frozen=True)
class FOLine:
    fo: FulfillmentOrder
    line: FulfillmentOrderLine
    item: LineItem

    @property
    def id(self) -> int:
        return self.line.id


@dataclass(slots=True, frozen=True)
class ShopView:
    store: Store


def level_gid(level: Level, item_id: int) -> str:
    """InventoryLevel GIDs carry the item as a query string (correction 17)."""
    return f"{gid('InventoryLevel', level.location_id)}?inventory_item_id={item_id}"


def money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": f"{amount.quantize(Decimal('0.01'))}", "currencyCode": currency}


def money_bag(
    order: Order, shop_amount: Decimal, presentment: Decimal | None = None
) -> dict[str, Any]:
    if presentment is None:
        presentment = (shop_amount * order.rate).quantize(Decimal("0.01"))
    return {
        "shopMoney": money(shop_amount, order.currency),
        "presentmentMoney": money(presentment, order.presentment_currency),
    }


def find_line(store: Store, line_id: int) -> tuple[Order, LineItem] | None:
    for order in store.orders.values():
        for li in order.line_items:
            if li.id == line_id:
                return order, li
    return None


def lookup(store: Store, value: Any) -> Any:
    """The record a GID names in ``store``, or None."""
    parsed = parse_gid(value)
    if parsed is None:
        return None
    kind, num = parsed
    if kind == "Product":
        return store.products.get(num)
    if kind == "ProductVariant":
        return store.variants.get(num)
    if kind == "InventoryItem":
        v = store.items.get(num)
        return Item(v) if v else None
    if kind == "InventoryLevel":
        _, _, qs = str(value).partition("?inventory_item_id=")
        if not qs.isdigit():
            return None
        v = store.items.get(int(qs))
        lvl = store.level(v, num) if v else None
        return LevelRef(v, lvl) if v and lvl else None
    if kind == "Location":
        return store.location(num)
    if kind == "Order":
        return store.orders.get(num)
    if kind == "Customer":
        return store.customers.get(num)
    if kind == "WebhookSubscription":
        return store.subscriptions.get(num)
    if kind == "BulkOperation":
        return store.bulk_operations.get(num)
    if kind == "InventoryAdjustmentGroup":
        return store.adjustment_groups.get(num)
    if kind == "FulfillmentOrder":
        for o in store.orders.values():
            for fo in o.fulfillment_orders:
                if fo.id == num:
                    return fo
        return None
    if kind == "Fulfillment":
        for o in store.orders.values():
            for f in o.fulfillments:
                if f.id == num:
                    return f
        return None
    if kind == "LineItem":
        found = find_line(store, num)
        return found[1] if found else None
    return None


TYPE_NAMES: dict[type, str] = {
    Product: "Product",
    Variant: "ProductVariant",
    Item: "InventoryItem",
    LevelRef: "InventoryLevel",
    Location: "Location",
    Order: "Order",
    Customer: "Customer",
    WebhookSubscription: "WebhookSubscription",
    BulkOperation: "BulkOperation",
    AdjustmentGroup: "InventoryAdjustmentGroup",
    FulfillmentOrder: "FulfillmentOrder",
    Fulfillment: "Fulfillment",
    LineItem: "LineItem",
    FOLine: "FulfillmentOrderLineItem",
}
