"""Webhook HMAC verification and parsing of every subscribed topic (fact sheet §d.3)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from pathlib import Path

import pytest

from shopify_odoo.shopify.webhook_events import (
    AppUninstalledEvent,
    BulkOperationFinishedEvent,
    CustomerEvent,
    FulfillmentEvent,
    InventoryItemEvent,
    InventoryLevelEvent,
    OrderEditedEvent,
    OrderEvent,
    ProductDeletedEvent,
    ProductEvent,
    RefundEvent,
    WebhookPayloadError,
)
from shopify_odoo.shopify.webhooks import (
    TOPICS,
    parse_webhook,
    subscription_topic,
    verify_webhook,
)

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "shopify" / "webhook-samples"
SECRET = "app-client-secret-1"
HEADERS = {
    "X-Shopify-Topic": "orders/create",
    "X-Shopify-Shop-Domain": "eu-shop.myshopify.com",
    "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
    "X-Shopify-Triggered-At": "2023-03-29T18:00:27.877041743Z",
    "X-Shopify-API-Version": "2026-04",
}


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def sample(name: str) -> bytes:
    path = SAMPLES / f"{name}.json"
    if not path.is_file():
        pytest.skip(f"webhook sample {path} is absent (../shared not mounted)")
    return path.read_bytes()


# -- HMAC ----------------------------------------------------------------------------------

BODY = b'{"id":820982911946154508,"name":"#1001"}'


def test_valid_signature() -> None:
    assert verify_webhook(BODY, sign(BODY), [SECRET])


def test_tampered_body_is_refused() -> None:
    assert not verify_webhook(BODY.replace(b"1001", b"1002"), sign(BODY), [SECRET])


def test_reserialised_body_is_refused_the_raw_bytes_count() -> None:
    reserialised = json.dumps(json.loads(BODY)).encode()  # same JSON, other bytes
    assert not verify_webhook(reserialised, sign(BODY), [SECRET])


def test_wrong_secret_is_refused() -> None:
    assert not verify_webhook(BODY, sign(BODY, "someone-else"), [SECRET])


@pytest.mark.parametrize("header", [None, "", "   ", "not base64 !!!"])
def test_missing_or_garbled_header_is_refused(header: str | None) -> None:
    assert not verify_webhook(BODY, header, [SECRET])


def test_no_secret_configured_refuses_everything() -> None:
    assert not verify_webhook(BODY, sign(BODY, ""), [])
    assert not verify_webhook(BODY, sign(BODY, ""), [""])


def test_rotated_secret_old_and_new_both_accepted() -> None:
    secrets = ["new-secret", SECRET]
    assert verify_webhook(BODY, sign(BODY, SECRET), secrets)
    assert verify_webhook(BODY, sign(BODY, "new-secret"), secrets)
    assert not verify_webhook(BODY, sign(BODY, "retired-secret"), secrets)


def test_real_sample_body_verifies_byte_for_byte() -> None:
    raw = sample("orders_create")
    assert verify_webhook(raw, sign(raw), [SECRET])
    assert not verify_webhook(raw + b"\n", sign(raw), [SECRET])


# -- parsing each topic ----------------------------------------------------------------------


def headers(topic: str) -> dict[str, str]:
    return {**HEADERS, "X-Shopify-Topic": topic}


@pytest.mark.parametrize(
    "topic",
    [
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/cancelled",
        "orders/fulfilled",
        "orders/partially_fulfilled",
    ],
)
def test_order_topics_parse_the_real_sample(topic: str) -> None:
    event = parse_webhook(topic, sample("orders_create"), headers(topic))
    assert isinstance(event, OrderEvent)
    # the sample's "id" went through floats (README); the GID is exact and wins
    assert event.id == 820982911946154508
    assert event.gid == "gid://shopify/Order/820982911946154508"
    assert event.meta.topic == topic
    assert event.meta.webhook_id == HEADERS["X-Shopify-Webhook-Id"]
    assert event.meta.triggered_at is not None
    assert event.meta.triggered_at.microsecond == 877041
    line = event.lines[0]
    assert line.id == 866550311766439020
    assert line.sku == "IPOD2008PINK"
    assert line.variant_id == 808950810
    assert line.price == Decimal("199.00")
    assert event.cancelled_at is not None


def test_64bit_ids_stay_exact_when_the_body_has_them() -> None:
    body = (
        b'{"admin_graphql_api_id":null,"id":9223372036854775807,"name":"#1",'
        b'"line_items":[{"id":9007199254740993,"quantity":2,"price":"0.10","variant_id":9007199254740995}]}'
    )
    event = parse_webhook("orders/updated", body, headers("orders/updated"))
    assert isinstance(event, OrderEvent)
    assert event.id == 9223372036854775807  # beyond 2^53: a float would have rounded it
    assert event.lines[0].id == 9007199254740993
    assert event.lines[0].variant_id == 9007199254740995
    assert event.lines[0].price == Decimal("0.10")


def test_inventory_levels_update_takes_the_item_id_from_the_level_gid() -> None:
    event = parse_webhook(
        "inventory_levels/update",
        sample("inventory_levels_update"),
        headers("inventory_levels/update"),
    )
    assert isinstance(event, InventoryLevelEvent)
    # correction 17: gid://shopify/InventoryLevel/24826418?inventory_item_id=271878346596884015
    assert event.inventory_item_id == 271878346596884015
    assert event.inventory_item_gid == "gid://shopify/InventoryItem/271878346596884015"
    assert event.location_gid == "gid://shopify/Location/24826418"
    assert event.available is None  # may be null


def test_inventory_items_update() -> None:
    event = parse_webhook(
        "inventory_items/update",
        sample("inventory_items_update"),
        headers("inventory_items/update"),
    )
    assert isinstance(event, InventoryItemEvent)
    assert event.id == 271878346596884015
    assert event.sku == "example-sku"
    assert event.tracked is True


@pytest.mark.parametrize("topic", ["products/create", "products/update"])
def test_product_topics(topic: str) -> None:
    event = parse_webhook(topic, sample("products_update"), headers(topic))
    assert isinstance(event, ProductEvent)
    assert event.gid == "gid://shopify/Product/788032119674292922"
    assert event.title == "Example T-Shirt"
    assert event.variants[0].gid == "gid://shopify/ProductVariant/642667041472713922"
    assert event.variants[0].price is not None


def test_products_delete_has_only_the_id() -> None:
    event = parse_webhook(
        "products/delete", b'{"id":788032119674292922}', headers("products/delete")
    )
    assert isinstance(event, ProductDeletedEvent)
    assert event.gid == "gid://shopify/Product/788032119674292922"


@pytest.mark.parametrize("topic", ["customers/create", "customers/update"])
def test_customer_topics(topic: str) -> None:
    # the customer object embedded in the real order sample has the REST customer shape
    customer = json.loads(sample("orders_create"))["customer"]
    event = parse_webhook(topic, json.dumps(customer).encode(), headers(topic))
    assert isinstance(event, CustomerEvent)
    assert event.id == 115310627314723954
    assert event.email == "john@example.com"
    assert event.first_name == "John"


@pytest.mark.parametrize("topic", ["fulfillments/create", "fulfillments/update"])
def test_fulfillment_topics(topic: str) -> None:
    event = parse_webhook(topic, sample("fulfillments_create"), headers(topic))
    assert isinstance(event, FulfillmentEvent)
    assert event.id == 123456
    assert event.tracking_company == "UPS"
    assert event.tracking_numbers == ("1z827wk74630",)
    assert event.lines[0].line_item_id == 866550311766439020
    assert event.order_gid.startswith("gid://shopify/Order/")


def test_orders_edited() -> None:
    body = (
        b'{"order_edit":{"id":78912328,"app_id":null,"created_at":"2024-01-01T10:00:00-05:00",'
        b'"committed_at":"2024-01-01T10:00:00-05:00","notify_customer":false,'
        b'"order_id":820982911946154508,"staff_note":"","user_id":null,'
        b'"line_items":{"additions":[{"id":866550311766439020,"delta":2}],'
        b'"removals":[{"id":141249953214522974,"delta":1}]},"discounts":{},"shipping_lines":{}}}'
    )
    event = parse_webhook("orders/edited", body, headers("orders/edited"))
    assert isinstance(event, OrderEditedEvent)
    assert event.order_gid == "gid://shopify/Order/820982911946154508"
    assert event.additions[0].line_item_id == 866550311766439020
    assert event.additions[0].delta == 2
    assert event.removals[0].delta == 1


def test_refunds_create() -> None:
    body = (
        b'{"id":509562969,"order_id":820982911946154508,"created_at":"2024-01-02T09:00:00-05:00",'
        b'"note":"damaged","restock":true,"admin_graphql_api_id":"gid://shopify/Refund/509562969",'
        b'"refund_line_items":[{"id":104689539,"line_item_id":866550311766439020,'
        b'"location_id":24826418,"quantity":1,"restock_type":"return","subtotal":199.0}],'
        b'"transactions":[]}'
    )
    event = parse_webhook("refunds/create", body, headers("refunds/create"))
    assert isinstance(event, RefundEvent)
    assert event.order_id == 820982911946154508
    assert event.lines[0].restock_type == "return"
    assert event.lines[0].location_id == 24826418


def test_bulk_operations_finish() -> None:
    event = parse_webhook(
        "bulk_operations/finish",
        sample("bulk_operations_finish"),
        headers("bulk_operations/finish"),
    )
    assert isinstance(event, BulkOperationFinishedEvent)
    assert event.gid == "gid://shopify/BulkOperation/147595010"
    assert event.status == "completed"
    assert event.error_code is None


def test_app_uninstalled() -> None:
    body = (
        b'{"id":548380009,"name":"Super Toys","domain":null,'
        b'"myshopify_domain":"eu-shop.myshopify.com"}'
    )
    event = parse_webhook("app/uninstalled", body, headers("app/uninstalled"))
    assert isinstance(event, AppUninstalledEvent)
    assert event.shop_id == 548380009
    assert event.myshopify_domain == "eu-shop.myshopify.com"


def test_every_subscribed_topic_has_a_test_above() -> None:
    source = Path(__file__).read_text()
    assert all(f'"{topic}"' in source for topic in TOPICS)
    assert subscription_topic("inventory_levels/update") == "INVENTORY_LEVELS_UPDATE"


def test_topic_falls_back_to_the_header_and_headers_are_case_insensitive() -> None:
    lower = {k.lower(): v for k, v in headers("products/delete").items()}
    event = parse_webhook(None, b'{"id":1}', lower)
    assert isinstance(event, ProductDeletedEvent)
    assert event.meta.shop_domain == "eu-shop.myshopify.com"


@pytest.mark.parametrize(
    ("topic", "body", "needle"),
    [
        ("orders/create", b"not json", "not JSON"),
        ("orders/create", b"[1,2]", "not a JSON object"),
        ("orders/create", b'{"name":"#1"}', "neither admin_graphql_api_id"),
        ("refunds/create", b'{"id":1}', "no order_id"),
        ("shop/update", b"{}", "not one the connector subscribes to"),
        ("orders/create", b'{"id":1,"updated_at":"yesterday"}', "not ISO 8601"),
    ],
)
def test_unreadable_bodies_raise_a_payload_error_naming_the_delivery(
    topic: str, body: bytes, needle: str
) -> None:
    with pytest.raises(WebhookPayloadError) as info:
        parse_webhook(topic, body, headers(topic))
    assert needle in str(info.value)
    assert HEADERS["X-Shopify-Webhook-Id"] in str(info.value)
