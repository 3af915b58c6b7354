"""Shop, locations, webhook subscriptions, fulfilments, products (§a.8, §d.2, §e.2, §f)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shopify_odoo.errors import TransientError
from shopify_odoo.shopify.errors import UserErrorsError, parse_user_errors
from shopify_odoo.shopify.limiter import Priority
from shopify_odoo.shopify.models import (
    Fulfillment,
    Location,
    ProductSetResult,
    Shop,
    WebhookSubscription,
)
from shopify_odoo.shopify.transport import ShopifyGraphQL


async def shop(client: ShopifyGraphQL) -> Shop:
    data = await client.execute("shop", priority=Priority.REALTIME)
    return Shop.parse(data["shop"])


async def locations(client: ShopifyGraphQL, *, include_inactive: bool = True) -> list[Location]:
    """Every location of the store (inactive ones too by default, so checks can name them)."""
    return [
        Location.parse(node)
        async for node in client.paginate(
            "locations",
            {"first": 100, "includeInactive": include_inactive},
            ("locations",),
            priority=Priority.REALTIME,
        )
    ]


def _payload(client: ShopifyGraphQL, data: Mapping[str, Any], field: str) -> Mapping[str, Any]:
    payload = data.get(field)
    if not isinstance(payload, Mapping):
        raise TransientError(
            f"store {client.store}: {field} returned no payload", cause="bad_response"
        )
    errors = parse_user_errors(payload.get("userErrors"))
    if errors:
        raise UserErrorsError(client.store, field, errors)
    return payload


async def webhook_subscriptions(client: ShopifyGraphQL) -> list[WebhookSubscription]:
    return [
        WebhookSubscription.parse(node)
        async for node in client.paginate(
            "webhook_subscriptions", {"first": 100}, ("webhookSubscriptions",)
        )
    ]


async def create_webhook_subscription(
    client: ShopifyGraphQL,
    topic: str,
    uri: str,
    *,
    include_fields: Sequence[str] | None = None,
    filter: str | None = None,
) -> WebhookSubscription:
    """Subscribe ``uri`` to ``topic`` (enum form, ``ORDERS_CREATE``; correction 13: ``uri``)."""
    subscription: dict[str, Any] = {"uri": uri, "format": "JSON"}
    if include_fields is not None:
        subscription["includeFields"] = list(include_fields)
    if filter is not None:
        subscription["filter"] = filter
    data = await client.execute(
        "webhook_subscription_create", {"topic": topic, "subscription": subscription}
    )
    payload = _payload(client, data, "webhookSubscriptionCreate")
    return WebhookSubscription.parse(payload["webhookSubscription"])


async def delete_webhook_subscription(client: ShopifyGraphQL, subscription_id: str) -> str | None:
    """Delete one subscription; returns the deleted id."""
    data = await client.execute("webhook_subscription_delete", {"id": subscription_id})
    payload = _payload(client, data, "webhookSubscriptionDelete")
    deleted = payload.get("deletedWebhookSubscriptionId")
    return deleted if isinstance(deleted, str) else None


@dataclass(frozen=True)
class FulfillmentLine:
    """``quantity`` of one fulfillment-order line (None: the whole remaining quantity)."""

    fulfillment_order_line_id: str
    quantity: int


@dataclass(frozen=True)
class FulfillmentRequest:
    """What to fulfil: lines of one fulfillment order, with tracking (§e.2).

    ``lines`` empty fulfils the whole fulfillment order.
    """

    fulfillment_order_id: str
    lines: tuple[FulfillmentLine, ...] = ()
    tracking_company: str | None = None
    tracking_numbers: tuple[str, ...] = ()
    tracking_urls: tuple[str, ...] = ()
    notify_customer: bool = False


async def create_fulfillment(
    client: ShopifyGraphQL, request: FulfillmentRequest, *, message: str | None = None
) -> Fulfillment:
    group: dict[str, Any] = {"fulfillmentOrderId": request.fulfillment_order_id}
    if request.lines:
        group["fulfillmentOrderLineItems"] = [
            {"id": line.fulfillment_order_line_id, "quantity": line.quantity}
            for line in request.lines
        ]
    fulfillment: dict[str, Any] = {
        "lineItemsByFulfillmentOrder": [group],
        "notifyCustomer": request.notify_customer,
    }
    tracking: dict[str, Any] = {}
    if request.tracking_company:
        tracking["company"] = request.tracking_company
    if request.tracking_numbers:
        tracking["numbers"] = list(request.tracking_numbers)
    if request.tracking_urls:
        tracking["urls"] = list(request.tracking_urls)
    if tracking:
        fulfillment["trackingInfo"] = tracking
    data = await client.execute(
        "fulfillment_create",
        {"fulfillment": fulfillment, "message": message},
        priority=Priority.REALTIME,
    )
    payload = _payload(client, data, "fulfillmentCreate")
    return Fulfillment.parse(payload["fulfillment"])


async def product_set(
    client: ShopifyGraphQL,
    product: Mapping[str, Any],
    *,
    identifier: Mapping[str, Any] | None = None,
) -> ProductSetResult:
    """Create or update a product from ``ProductSetInput`` (list fields are replaced, §f).

    Synchronous mode only: the asynchronous one answers with an operation to poll, which the
    connector has no use for yet.

    Prices may be ``Decimal`` (sent as strings).  Quantities set through productSet have no
    compare-and-set (§f): push stock with ``set_available`` instead.
    """
    data = await client.execute(
        "product_set",
        {
            "input": dict(product),
            "identifier": dict(identifier) if identifier else None,
        },
    )
    payload = _payload(client, data, "productSet")
    return ProductSetResult.parse(payload)
