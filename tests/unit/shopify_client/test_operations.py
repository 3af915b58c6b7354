"""Typed parsing of shop, locations, orders, fulfilments, subscriptions, productSet; documents."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from shopify_odoo.shopify import documents
from shopify_odoo.shopify.admin import FulfillmentLine, FulfillmentRequest
from shopify_odoo.shopify.orders import updated_since_query

from .fakes import FakeShopify, make_client


def money(amount: str, currency: str = "EUR") -> dict[str, Any]:
    m = {"amount": amount, "currencyCode": currency}
    return {"shopMoney": m, "presentmentMoney": m}


def line(n: int, after_page: bool = False) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/LineItem/{n}",
        "name": "Tee - M",
        "title": "Tee",
        "variantTitle": "M",
        "sku": "TEE-M",
        "quantity": 2,
        "currentQuantity": 2,
        "requiresShipping": True,
        "isGiftCard": False,
        "variant": {"id": "gid://shopify/ProductVariant/7"},
        "product": {"id": "gid://shopify/Product/3"},
        "originalUnitPriceSet": money("19.90"),
        "discountedUnitPriceSet": money("17.91"),
        "discountAllocations": [{"allocatedAmountSet": money("3.98")}],
        "taxLines": [
            {"title": "TVA", "rate": 0.2, "channelLiable": False, "priceSet": money("6.63")}
        ],
    }


ORDER = {
    "id": "gid://shopify/Order/9007199254740993",
    "legacyResourceId": "9007199254740993",
    "name": "#1001",
    "email": "a@example.com",
    "phone": None,
    "createdAt": "2026-11-23T09:00:00Z",
    "updatedAt": "2026-11-23T09:05:00Z",
    "processedAt": "2026-11-23T09:00:00Z",
    "cancelledAt": None,
    "cancelReason": None,
    "test": False,
    "tags": ["vip"],
    "note": None,
    "sourceName": "web",
    "currencyCode": "EUR",
    "presentmentCurrencyCode": "EUR",
    "taxesIncluded": True,
    "displayFinancialStatus": "PAID",
    "displayFulfillmentStatus": "UNFULFILLED",
    "totalPriceSet": money("40.81"),
    "subtotalPriceSet": money("35.82"),
    "totalTaxSet": money("6.63"),
    "totalDiscountsSet": money("3.98"),
    "totalShippingPriceSet": money("4.99"),
    "customer": {
        "id": "gid://shopify/Customer/5",
        "legacyResourceId": "5",
        "firstName": "Ada",
        "lastName": "L",
        "displayName": "Ada L",
        "defaultEmailAddress": {"emailAddress": "a@example.com"},
        "phone": None,
    },
    "billingAddress": None,
    "shippingAddress": {
        "name": "Ada L",
        "address1": "1 rue",
        "city": "Paris",
        "zip": "75001",
        "countryCodeV2": "FR",
    },
    "shippingLines": {
        "nodes": [
            {
                "id": "gid://shopify/ShippingLine/1",
                "title": "Colissimo",
                "code": "std",
                "source": "shopify",
                "carrierIdentifier": None,
                "isRemoved": False,
                "originalPriceSet": money("4.99"),
                "discountedPriceSet": money("4.99"),
                "taxLines": [],
            }
        ]
    },
    "fulfillmentOrders": {
        "nodes": [
            {
                "id": "gid://shopify/FulfillmentOrder/8",
                "status": "OPEN",
                "requestStatus": "UNSUBMITTED",
                "assignedLocation": {
                    "name": "Paris",
                    "location": {"id": "gid://shopify/Location/1"},
                },
                "lineItems": {
                    "nodes": [
                        {
                            "id": "gid://shopify/FulfillmentOrderLineItem/81",
                            "remainingQuantity": 2,
                            "totalQuantity": 2,
                            "lineItem": {"id": "gid://shopify/LineItem/1"},
                        }
                    ]
                },
            }
        ]
    },
}


async def test_order_with_lines_over_two_pages_is_parsed_exactly() -> None:
    fake = FakeShopify()

    @fake.on("Order")
    def _(variables: dict[str, Any]) -> Any:
        if variables["after"] is None:
            lines = {"nodes": [line(1)], "pageInfo": {"hasNextPage": True, "endCursor": "L1"}}
        else:
            lines = {"nodes": [line(2)], "pageInfo": {"hasNextPage": False, "endCursor": "L2"}}
        return {"order": {**ORDER, "lineItems": lines}}

    async with make_client(fake) as client:
        order = await client.order("gid://shopify/Order/9007199254740993")
    assert order is not None
    assert order.legacy_id == 9007199254740993
    assert [ln.id for ln in order.lines] == ["gid://shopify/LineItem/1", "gid://shopify/LineItem/2"]
    first = order.lines[0]
    assert first.unit_price.shop == Decimal("19.90")
    assert first.discounts[0].shop == Decimal("3.98")
    assert first.taxes[0].rate == Decimal("0.2")
    assert order.total.shop == Decimal("40.81")
    assert order.total_shipping.shop_currency == "EUR"
    assert order.customer is not None
    assert order.customer.email == "a@example.com"
    assert order.shipping_address is not None
    assert order.shipping_address.country_code == "FR"
    assert order.shipping_lines[0].title == "Colissimo"
    fo = order.fulfillment_orders[0]
    assert fo.location_id == "gid://shopify/Location/1"
    assert fo.lines[0].remaining_quantity == 2
    assert order.updated_at == datetime(2026, 11, 23, 9, 5, tzinfo=UTC)


async def test_unknown_order_is_none() -> None:
    fake = FakeShopify()
    fake.handlers["Order"] = lambda v: {"order": None}
    async with make_client(fake) as client:
        assert await client.order("gid://shopify/Order/1") is None


async def test_orders_updated_since_sends_the_search_and_sort() -> None:
    fake = FakeShopify()

    @fake.on("OrdersUpdated")
    def _(variables: dict[str, Any]) -> Any:
        node = {
            "id": "gid://shopify/Order/1",
            "legacyResourceId": "1",
            "name": "#1",
            "createdAt": "2026-11-23T09:00:00Z",
            "updatedAt": "2026-11-23T09:01:00Z",
            "cancelledAt": None,
            "displayFinancialStatus": "PAID",
            "displayFulfillmentStatus": "UNFULFILLED",
        }
        return {"orders": {"nodes": [node], "pageInfo": {"hasNextPage": False, "endCursor": None}}}

    since = datetime(2026, 11, 23, 9, 0, 0, 500000, tzinfo=UTC)
    async with make_client(fake) as client:
        found = [o async for o in client.orders_updated_since(since)]
    assert found[0].name == "#1"
    assert fake.variables("OrdersUpdated")[0]["query"] == "updated_at:>='2026-11-23T09:00:00Z'"
    assert updated_since_query(since) == fake.variables("OrdersUpdated")[0]["query"]


async def test_shop_and_locations() -> None:
    fake = FakeShopify()
    fake.handlers["Shop"] = lambda v: {
        "shop": {
            "id": "gid://shopify/Shop/1",
            "name": "EU",
            "myshopifyDomain": "eu.myshopify.com",
            "currencyCode": "EUR",
            "ianaTimezone": "Europe/Paris",
            "plan": {
                "publicDisplayName": "Advanced",
                "shopifyPlus": False,
                "partnerDevelopment": False,
            },
        }
    }
    fake.handlers["Locations"] = lambda v: {
        "locations": {
            "nodes": [
                {
                    "id": "gid://shopify/Location/1",
                    "legacyResourceId": "1",
                    "name": "Paris",
                    "isActive": True,
                    "fulfillsOnlineOrders": True,
                    "isFulfillmentService": False,
                },
                {
                    "id": "gid://shopify/Location/2",
                    "legacyResourceId": "2",
                    "name": "3PL",
                    "isActive": False,
                    "fulfillsOnlineOrders": False,
                    "isFulfillmentService": True,
                },
            ],
            "pageInfo": {"hasNextPage": False, "endCursor": None},
        }
    }
    async with make_client(fake) as client:
        shop = await client.shop()
        locations = await client.locations()
    assert shop.plan == "Advanced"
    assert shop.currency == "EUR"
    assert [(loc.name, loc.is_active, loc.is_fulfillment_service) for loc in locations] == [
        ("Paris", True, False),
        ("3PL", False, True),
    ]
    assert fake.variables("Locations")[0]["includeInactive"] is True


async def test_fulfillment_create_sends_tracking_and_lines() -> None:
    fake = FakeShopify()
    fake.handlers["FulfillmentCreate"] = lambda v: {
        "fulfillmentCreate": {
            "fulfillment": {
                "id": "gid://shopify/Fulfillment/9",
                "name": "#1001.1",
                "status": "SUCCESS",
                "trackingInfo": [
                    {"company": "UPS", "number": "1Z", "url": "https://ups.example/1Z"}
                ],
            },
            "userErrors": [],
        }
    }
    request = FulfillmentRequest(
        "gid://shopify/FulfillmentOrder/8",
        (FulfillmentLine("gid://shopify/FulfillmentOrderLineItem/81", 2),),
        tracking_company="UPS",
        tracking_numbers=("1Z",),
    )
    async with make_client(fake) as client:
        fulfillment = await client.create_fulfillment(request)
    sent = fake.variables("FulfillmentCreate")[0]["fulfillment"]
    assert sent["trackingInfo"] == {"company": "UPS", "numbers": ["1Z"]}
    assert sent["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderLineItems"] == [
        {"id": "gid://shopify/FulfillmentOrderLineItem/81", "quantity": 2}
    ]
    assert fulfillment.tracking[0].number == "1Z"


async def test_webhook_subscriptions_use_uri() -> None:
    fake = FakeShopify()
    sub = {
        "id": "gid://shopify/WebhookSubscription/1",
        "topic": "ORDERS_CREATE",
        "uri": "https://connector.example/webhooks/shopify/eu",
        "format": "JSON",
        "filter": None,
        "includeFields": [],
        "apiVersion": {"handle": "2026-04"},
    }
    fake.handlers["WebhookSubscriptionCreate"] = lambda v: {
        "webhookSubscriptionCreate": {"webhookSubscription": sub, "userErrors": []}
    }
    fake.handlers["WebhookSubscriptions"] = lambda v: {
        "webhookSubscriptions": {"nodes": [sub], "pageInfo": {"hasNextPage": False}}
    }
    fake.handlers["WebhookSubscriptionDelete"] = lambda v: {
        "webhookSubscriptionDelete": {"deletedWebhookSubscriptionId": v["id"], "userErrors": []}
    }
    async with make_client(fake) as client:
        created = await client.create_webhook_subscription("ORDERS_CREATE", sub["uri"])
        listed = await client.webhook_subscriptions()
        deleted = await client.delete_webhook_subscription(created.id)
    assert fake.variables("WebhookSubscriptionCreate")[0]["subscription"] == {
        "uri": sub["uri"],
        "format": "JSON",
    }
    assert listed == [created]
    assert created.api_version == "2026-04"
    assert deleted == created.id


async def test_product_set_sends_decimals_as_strings() -> None:
    fake = FakeShopify()
    fake.handlers["ProductSet"] = lambda v: {
        "productSet": {
            "product": {
                "id": "gid://shopify/Product/3",
                "variants": {
                    "nodes": [
                        {
                            "id": "gid://shopify/ProductVariant/7",
                            "sku": "TEE-M",
                            "inventoryItem": {"id": "gid://shopify/InventoryItem/70"},
                        }
                    ]
                },
            },
            "userErrors": [],
        }
    }
    product = {
        "title": "Tee",
        "productOptions": [{"name": "Size", "values": [{"name": "M"}]}],
        "variants": [
            {
                "optionValues": [{"optionName": "Size", "name": "M"}],
                "sku": "TEE-M",
                "price": Decimal("19.90"),
            }
        ],
    }
    async with make_client(fake) as client:
        result = await client.product_set(product)
    assert fake.variables("ProductSet")[0]["input"]["variants"][0]["price"] == "19.90"
    assert result.variants[0].inventory_item_id == "gid://shopify/InventoryItem/70"


def test_every_document_loads_with_a_unique_operation_name_and_a_cost_estimate() -> None:
    names = documents.names()
    assert len(names) >= 16
    loaded = [documents.load(n) for n in names]
    assert len({d.operation_name for d in loaded}) == len(loaded)
    assert all(d.requested_cost != documents.DEFAULT_REQUESTED_COST for d in loaded)
    set_doc = documents.load("inventory_set_quantities")
    assert "@idempotent(key: $key)" in set_doc.text
    assert set_doc.kind == "mutation"
