"""Typed events of the webhook topics we subscribe to (REST-shaped bodies, fact sheet §d.3, §18)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from shopify_odoo.shopify.ids import gid, gid_query
from shopify_odoo.shopify.webhook_base import (
    WebhookMeta,
    WebhookPayloadError,
    decimal,
    obj,
    objects,
    opt_int,
    opt_str,
    resource_id,
    timestamp,
)

__all__ = ["WebhookMeta", "WebhookPayloadError"]


# -- orders --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLineEvent:
    id: int
    gid: str
    variant_id: int | None  # None: custom item
    product_id: int | None
    sku: str | None
    quantity: int
    current_quantity: int | None
    price: Decimal | None

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> OrderLineEvent:
        number, line_gid = resource_id(body, "LineItem", "a line item")
        return cls(
            id=number,
            gid=line_gid,
            variant_id=opt_int(body, "variant_id"),
            product_id=opt_int(body, "product_id"),
            sku=opt_str(body, "sku") or None,
            quantity=opt_int(body, "quantity") or 0,
            current_quantity=opt_int(body, "current_quantity"),
            price=decimal(body, "price"),
        )


@dataclass(frozen=True)
class OrderEvent:
    """orders/create, updated, paid, cancelled, fulfilled, partially_fulfilled."""

    meta: WebhookMeta
    id: int
    gid: str
    name: str | None
    updated_at: datetime | None
    cancelled_at: datetime | None
    financial_status: str | None
    fulfillment_status: str | None  # None = nothing fulfilled (correction 18)
    currency: str | None
    lines: tuple[OrderLineEvent, ...]

    @classmethod
    def parse(cls, meta: WebhookMeta, body: Mapping[str, Any]) -> OrderEvent:
        number, order_gid = resource_id(body, "Order", "the order")
        return cls(
            meta=meta,
            id=number,
            gid=order_gid,
            name=opt_str(body, "name"),
            updated_at=timestamp(body, "updated_at"),
            cancelled_at=timestamp(body, "cancelled_at"),
            financial_status=opt_str(body, "financial_status"),
            fulfillment_status=opt_str(body, "fulfillment_status"),
            currency=opt_str(body, "currency"),
            lines=tuple(OrderLineEvent.parse(line) for line in objects(body, "line_items")),
        )


@dataclass(frozen=True)
class LineDelta:
    line_item_id: int
    delta: int


@dataclass(frozen=True)
class OrderEditedEvent:
    """orders/edited: ``{order_edit: {order_id, line_items: {additions, removals}}}`` (§e.5)."""

    meta: WebhookMeta
    edit_id: int | None
    order_id: int
    order_gid: str
    committed_at: datetime | None
    additions: tuple[LineDelta, ...]
    removals: tuple[LineDelta, ...]

    @classmethod
    def parse(cls, meta: WebhookMeta, body: Mapping[str, Any]) -> OrderEditedEvent:
        edit = obj(body.get("order_edit"), "orders/edited order_edit")
        order_id = opt_int(edit, "order_id")
        if order_id is None:
            raise WebhookPayloadError("orders/edited has no order_id")
        raw_items = edit.get("line_items")
        items: Mapping[str, Any] = raw_items if isinstance(raw_items, Mapping) else {}

        def deltas(key: str) -> tuple[LineDelta, ...]:
            return tuple(
                LineDelta(opt_int(d, "id") or 0, opt_int(d, "delta") or 0)
                for d in objects(items, key)
            )

        return cls(
            meta=meta,
            edit_id=opt_int(edit, "id"),
            order_id=order_id,
            order_gid=gid("Order", order_id),
            committed_at=timestamp(edit, "committed_at"),
            additions=deltas("additions"),
            removals=deltas("removals"),
        )


# -- inventory -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryLevelEvent:
    """inventory_levels/update: only ``available``, which may be null (correction 17)."""

    meta: WebhookMeta
    inventory_item_id: int
    inventory_item_gid: str
    location_id: int
    location_gid: str
    available: int | None
    updated_at: datetime | None

    @classmethod
    def parse(cls, meta: WebhookMeta, body: Mapping[str, Any]) -> InventoryLevelEvent:
        # the level GID carries the exact item id: gid://shopify/InventoryLevel/<l>?inventory_item_id=<i>
        api_id = body.get("admin_graphql_api_id")
        from_gid = gid_query(api_id).get("inventory_item_id") if isinstance(api_id, str) else None
        item = (
            int(from_gid) if from_gid and from_gid.isdigit() else opt_int(body, "inventory_item_id")
        )
        location = opt_int(body, "location_id")
        if item is None or location is None:
            raise WebhookPayloadError(
                "inventory_levels/update lacks inventory_item_id or location_id"
            )
        return cls(
            meta=meta,
            inventory_item_id=item,
            inventory_item_gid=gid("InventoryItem", item),
            location_id=location,
            location_gid=gid("Location", location),
            available=opt_int(body, "available"),
            updated_at=timestamp(body, "updated_at"),
        )


@dataclass(frozen=True)
class InventoryItemEvent:
    """inventory_items/update."""

    meta: WebhookMeta
    id: int
    gid: str
    sku: str | None
    tracked: bool | None
    updated_at: datetime | None

    @classmethod
    def parse(cls, meta: WebhookMeta, body: Mapping[str, Any]) -> InventoryItemEvent:
        number, item_gid = resource_id(body, "InventoryItem", "the inventory item")
        tracked = body.get("tracked")
        return cls(
            meta=meta,
            id=number,
            gid=item_gid,
            sku=opt_str(body, "sku") or None,
            tracked=tracked if isinstance(tracked, bool) else None,
            updated_at=timestamp(body, "updated_at"),
        )


# -- products and customers ----------------------------------------------------------------


@dataclass(frozen=True)
class ProductVariantEvent:
    id: int
    gid: str
    sku: str | None
    barcode: str | None
    inventory_item_id: int | None
    price: Decimal | None

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> ProductVariantEvent:
        number, variant_gid = resource_id(body, "ProductVariant", "a variant")
        return cls(
            id=number,
            gid=variant_gid,
            sku=opt_str(body, "sku") or None,
            barcode=opt_str(body, "barcode") or None,
            inventory_item_id=opt_int(body, "inventory_item_id"),
            price=decimal(body, "price"),
        )


@dataclass(frozen=True)
class ProductEvent:
    """products/create and products/update."""

    meta: WebhookMeta
    id: int
    gid: str
    title: str | None
    status: str | None
    updated_at: datetime | None
    variants: tuple[ProductVariantEvent, ...]

    @classmethod
    def parse(cls, meta: WebhookMeta, body: Mapping[str, Any]) -> ProductEvent:
        number, product_gid = resource_id(body, "Product", "the product")
        return cls(
            meta=meta,
            id=number,
            gid=product_gid,
            title=opt_str(body, "title"),
            status=opt_str(body, "status"),
            updated_at=timestamp(body, "updated_at"),
            variants=tuple(ProductVariantEvent.parse(v) for v in objects(body, "variants")),
        )


@dataclass(frozen=True)
class ProductDeletedEvent:
    """products/delete: the body holds only the id."""

    meta: WebhookMeta
    id: int
    gid: str

    @classmethod
    def parse(cls, meta: WebhookMeta, body: Mapping[str, Any]) -> ProductDeletedEvent:
        number, product_gid = resource_id(body, "Product", "the deleted product")
        return cls(meta=meta, id=number, gid=product_gid)


@dataclass(frozen=True)
class CustomerEvent:
    """customers/create and customers/update."""

    meta: WebhookMeta
    id: int
    gid: str
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    updated_at: datetime | None

    @classmethod
    def parse(cls, meta: WebhookMeta, body: Mapping[str, Any]) -> CustomerEvent:
        number, customer_gid = resource_id(body, "Customer", "the customer")
        return cls(
            meta=meta,
            id=number,
            gid=customer_gid,
            email=opt_str(body, "email"),
            phone=opt_str(body, "phone"),
            first_name=opt_str(body, "first_name"),
            last_name=opt_str(body, "last_name"),
            updated_at=timestamp(body, "updated_at"),
        )


# -- fulfilments and refunds ---------------------------------------------------------------


@dataclass(frozen=True)
class FulfilledLine:
    line_item_id: int
    quantity: int


@dataclass(frozen=True)
class FulfillmentEvent:
    """fulfillments/create and fulfillments/update."""

    meta: WebhookMeta
    id: int
    gid: str
    order_id: int
    order_gid: str
    name: str | None
    status: str | None
    location_id: int | None
    tracking_company: str | None
    tracking_numbers: tuple[str, ...]
    tracking_urls: tuple[str, ...]
    lines: tuple[FulfilledLine, ...]

    @classmethod
    def parse(cls, meta: WebhookMeta, body: Mapping[str, Any]) -> FulfillmentEvent:
        number, fulfillment_gid = resource_id(body, "Fulfillment", "the fulfillment")
        order_id = opt_int(body, "order_id")
        if order_id is None:
            raise WebhookPayloadError("the fulfillment has no order_id")
        lines = []
        for line in objects(body, "line_items"):
            line_id, _ = resource_id(line, "LineItem", "a fulfilled line")
            lines.append(FulfilledLine(line_id, opt_int(line, "quantity") or 0))
        return cls(
            meta=meta,
            id=number,
            gid=fulfillment_gid,
            order_id=order_id,
            order_gid=gid("Order", order_id),
            name=opt_str(body, "name"),
            status=opt_str(body, "status"),
            location_id=opt_int(body, "location_id"),
            tracking_company=opt_str(body, "tracking_company"),
            tracking_numbers=tuple(str(n) for n in body.get("tracking_numbers") or []),
            tracking_urls=tuple(str(u) for u in body.get("tracking_urls") or []),
            lines=tuple(lines),
        )


@dataclass(frozen=True)
class RefundedLine:
    line_item_id: int
    quantity: int
    restock_type: str | None  # return / cancel / no_restock / legacy_restock (§e.3)
    location_id: int | None  # where Shopify restocked, if it did


@dataclass(frozen=True)
class RefundEvent:
    """refunds/create."""

    meta: WebhookMeta
    id: int
    gid: str
    order_id: int
    order_gid: str
    created_at: datetime | None
    lines: tuple[RefundedLine, ...]

    @classmethod
    def parse(cls, meta: WebhookMeta, body: Mapping[str, Any]) -> RefundEvent:
        number, refund_gid = resource_id(body, "Refund", "the refund")
        order_id = opt_int(body, "order_id")
        if order_id is None:
            raise WebhookPayloadError("the refund has no order_id")
        return cls(
            meta=meta,
            id=number,
            gid=refund_gid,
            order_id=order_id,
            order_gid=gid("Order", order_id),
            created_at=timestamp(body, "created_at"),
            lines=tuple(
                RefundedLine(
                    line_item_id=opt_int(r, "line_item_id") or 0,
                    quantity=opt_int(r, "quantity") or 0,
                    restock_type=opt_str(r, "restock_type"),
                    location_id=opt_int(r, "location_id"),
                )
                for r in objects(body, "refund_line_items")
            ),
        )


# -- operations and app --------------------------------------------------------------------


@dataclass(frozen=True)
class BulkOperationFinishedEvent:
    """bulk_operations/finish: fetch the result URL afterwards with ``node(id:)`` (§c)."""

    meta: WebhookMeta
    gid: str
    status: str  # lower case in the webhook: completed, failed, canceled, expired
    error_code: str | None
    type: str | None
    completed_at: datetime | None

    @classmethod
    def parse(cls, meta: WebhookMeta, body: Mapping[str, Any]) -> BulkOperationFinishedEvent:
        api_id = opt_str(body, "admin_graphql_api_id")
        if not api_id:
            raise WebhookPayloadError("bulk_operations/finish has no admin_graphql_api_id")
        return cls(
            meta=meta,
            gid=api_id,
            status=opt_str(body, "status") or "",
            error_code=opt_str(body, "error_code"),
            type=opt_str(body, "type"),
            completed_at=timestamp(body, "completed_at"),
        )


@dataclass(frozen=True)
class AppUninstalledEvent:
    """app/uninstalled: the body is the shop; stop syncing this store."""

    meta: WebhookMeta
    shop_id: int | None
    myshopify_domain: str | None
    domain: str | None

    @classmethod
    def parse(cls, meta: WebhookMeta, body: Mapping[str, Any]) -> AppUninstalledEvent:
        return cls(
            meta=meta,
            shop_id=opt_int(body, "id"),
            myshopify_domain=opt_str(body, "myshopify_domain"),
            domain=opt_str(body, "domain"),
        )


WebhookEvent = (
    OrderEvent
    | OrderEditedEvent
    | InventoryLevelEvent
    | InventoryItemEvent
    | ProductEvent
    | ProductDeletedEvent
    | CustomerEvent
    | FulfillmentEvent
    | RefundEvent
    | BulkOperationFinishedEvent
    | AppUninstalledEvent
)
