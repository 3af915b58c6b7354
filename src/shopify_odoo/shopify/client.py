"""``ShopifyClient``: one per store, the typed operations over ``ShopifyGraphQL``.

    async with ShopifyClient("eu", "eu-shop.myshopify.com", StaticTokenProvider(token)) as shop:
        outcomes = await shop.set_available([QuantityChange(item, location, 12, 5)])

Everything here delegates to the modules that hold the logic (``inventory``, ``orders``,
``bulk``, ``admin``); the seam (auth, budget, errors) is ``transport.ShopifyGraphQL``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from shopify_odoo.shopify import admin, bulk, inventory, orders
from shopify_odoo.shopify.admin import FulfillmentRequest
from shopify_odoo.shopify.bulk import BulkOperation, BulkRecord
from shopify_odoo.shopify.limiter import Priority
from shopify_odoo.shopify.models import (
    Fulfillment,
    InventoryItemLevels,
    Location,
    ProductSetResult,
    QuantityChange,
    QuantityDelta,
    QuantityOutcome,
    Shop,
    Variant,
    WebhookSubscription,
)
from shopify_odoo.shopify.orders import Order, OrderSummary
from shopify_odoo.shopify.transport import ShopifyGraphQL


class ShopifyClient(ShopifyGraphQL):
    """The Admin API of one store.  Construct it once per store and share it between tasks."""

    # -- shop and locations ---------------------------------------------------------------
    async def shop(self) -> Shop:
        return await admin.shop(self)

    async def locations(self, *, include_inactive: bool = True) -> list[Location]:
        return await admin.locations(self, include_inactive=include_inactive)

    # -- inventory ------------------------------------------------------------------------
    def find_variants(
        self,
        *,
        skus: Sequence[str] = (),
        barcodes: Sequence[str] = (),
        priority: Priority = Priority.NORMAL,
    ) -> AsyncIterator[Variant]:
        return inventory.find_variants(self, skus=skus, barcodes=barcodes, priority=priority)

    async def item_levels(
        self, inventory_item_ids: Sequence[str], *, priority: Priority = Priority.NORMAL
    ) -> dict[str, InventoryItemLevels]:
        return await inventory.item_levels(self, inventory_item_ids, priority=priority)

    async def set_available(
        self,
        changes: Sequence[QuantityChange],
        *,
        reason: str = inventory.DEFAULT_REASON,
        reference: str | None = None,
        salt: str = "",
        concurrency: int = 4,
        priority: Priority = Priority.NORMAL,
    ) -> list[QuantityOutcome]:
        return await inventory.set_available(
            self,
            changes,
            reason=reason,
            reference=reference,
            salt=salt,
            concurrency=concurrency,
            priority=priority,
        )

    async def adjust_available(
        self,
        changes: Sequence[QuantityDelta],
        *,
        reason: str = inventory.DEFAULT_REASON,
        reference: str | None = None,
        salt: str = "",
        priority: Priority = Priority.NORMAL,
    ) -> list[QuantityOutcome]:
        return await inventory.adjust_available(
            self, changes, reason=reason, reference=reference, salt=salt, priority=priority
        )

    # -- orders and fulfilments -----------------------------------------------------------
    def orders_updated_since(
        self, since: datetime, *, page_size: int = 50, priority: Priority = Priority.NORMAL
    ) -> AsyncIterator[OrderSummary]:
        return orders.orders_updated_since(self, since, page_size=page_size, priority=priority)

    async def order(self, order_id: str, *, priority: Priority = Priority.REALTIME) -> Order | None:
        return await orders.get_order(self, order_id, priority=priority)

    async def create_fulfillment(
        self, request: FulfillmentRequest, *, message: str | None = None
    ) -> Fulfillment:
        return await admin.create_fulfillment(self, request, message=message)

    # -- webhooks subscriptions -----------------------------------------------------------
    async def webhook_subscriptions(self) -> list[WebhookSubscription]:
        return await admin.webhook_subscriptions(self)

    async def create_webhook_subscription(
        self,
        topic: str,
        uri: str,
        *,
        include_fields: Sequence[str] | None = None,
        filter: str | None = None,
    ) -> WebhookSubscription:
        return await admin.create_webhook_subscription(
            self, topic, uri, include_fields=include_fields, filter=filter
        )

    async def delete_webhook_subscription(self, subscription_id: str) -> str | None:
        return await admin.delete_webhook_subscription(self, subscription_id)

    # -- products ---------------------------------------------------------------------------
    async def product_set(
        self,
        product: Mapping[str, Any],
        *,
        identifier: Mapping[str, Any] | None = None,
    ) -> ProductSetResult:
        return await admin.product_set(self, product, identifier=identifier)

    # -- bulk operations --------------------------------------------------------------------
    async def run_bulk_query(self, query: str, *, group_objects: bool = True) -> BulkOperation:
        return await bulk.run_query(self, query, group_objects=group_objects)

    async def bulk_operation(self, operation_id: str) -> BulkOperation | None:
        return await bulk.get_operation(self, operation_id)

    async def current_bulk_operation(self) -> BulkOperation | None:
        return await bulk.current_operation(self)

    async def wait_bulk_operation(
        self,
        operation_id: str,
        *,
        finished: asyncio.Event | None = None,
        poll_interval: float = 10.0,
        give_up_after: float | None = None,
    ) -> BulkOperation:
        return await bulk.wait(
            self,
            operation_id,
            finished=finished,
            poll_interval=poll_interval,
            give_up_after=give_up_after,
        )

    def bulk_lines(self, url: str) -> AsyncIterator[dict[str, Any]]:
        return bulk.lines(self, url)

    def bulk_records(self, url: str) -> AsyncIterator[BulkRecord]:
        return bulk.records(self, url)
