"""Webhook deliveries: verify the HMAC over the raw bytes, then parse into typed events (§d.3).

    if not verify_webhook(raw_body, headers.get("X-Shopify-Hmac-Sha256"), secrets):
        return 401
    event = parse_webhook(headers.get("X-Shopify-Topic"), raw_body, headers)

Several secrets are accepted so a client-secret rotation (up to an hour during which Shopify may
sign with either, §d.3) loses nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shopify_odoo.errors import TerminalError
from shopify_odoo.shopify.orders import parse_datetime
from shopify_odoo.shopify.transport import loads
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
    WebhookEvent,
    WebhookMeta,
    WebhookPayloadError,
)

HMAC_HEADER = "X-Shopify-Hmac-Sha256"


def verify_webhook(raw_body: bytes, hmac_header: str | None, secrets: Sequence[str]) -> bool:
    """True when ``hmac_header`` is the base64 HMAC-SHA256 of ``raw_body`` under one of ``secrets``.

    Compared in constant time (``hmac.compare_digest``) on the decoded digests; every secret is
    tried (no early exit that would tell which one matched).
    """
    if not hmac_header or not secrets:
        return False
    try:
        received = base64.b64decode(hmac_header.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    matched = False
    for secret in secrets:
        if not secret:
            continue
        expected = hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).digest()
        matched |= hmac.compare_digest(expected, received)
    return matched


Parser = Callable[[WebhookMeta, Mapping[str, Any]], WebhookEvent]

#: every topic we subscribe to -> its parser (the enum form is ORDERS_CREATE etc.)
TOPICS: Mapping[str, Parser] = {
    "orders/create": OrderEvent.parse,
    "orders/updated": OrderEvent.parse,
    "orders/paid": OrderEvent.parse,
    "orders/cancelled": OrderEvent.parse,
    "orders/fulfilled": OrderEvent.parse,
    "orders/partially_fulfilled": OrderEvent.parse,
    "orders/edited": OrderEditedEvent.parse,
    "inventory_levels/update": InventoryLevelEvent.parse,
    "inventory_items/update": InventoryItemEvent.parse,
    "products/create": ProductEvent.parse,
    "products/update": ProductEvent.parse,
    "products/delete": ProductDeletedEvent.parse,
    "customers/create": CustomerEvent.parse,
    "customers/update": CustomerEvent.parse,
    "fulfillments/create": FulfillmentEvent.parse,
    "fulfillments/update": FulfillmentEvent.parse,
    "refunds/create": RefundEvent.parse,
    "bulk_operations/finish": BulkOperationFinishedEvent.parse,
    "app/uninstalled": AppUninstalledEvent.parse,
}


def subscription_topic(topic: str) -> str:
    """``orders/create`` -> ``ORDERS_CREATE`` (the WebhookSubscriptionTopic enum)."""
    return topic.replace("/", "_").upper()


def webhook_meta(topic: str, headers: Mapping[str, str]) -> WebhookMeta:
    """The delivery headers, read case-insensitively (HTTP/2 lower-cases them, §d.3)."""
    lower = {k.lower(): v for k, v in headers.items()}
    triggered = lower.get("x-shopify-triggered-at")
    try:
        # 9 fractional digits (correction 14): keep microseconds for datetime
        when = parse_datetime(_trim_fraction(triggered)) if triggered else None
    except (ValueError, TerminalError):
        when = None
    return WebhookMeta(
        topic=topic,
        shop_domain=lower.get("x-shopify-shop-domain"),
        webhook_id=lower.get("x-shopify-webhook-id"),
        event_id=lower.get("x-shopify-event-id"),
        triggered_at=when,
        api_version=lower.get("x-shopify-api-version"),
    )


def _trim_fraction(value: str) -> str:
    head, dot, rest = value.partition(".")
    if not dot:
        return value
    digits = "".join(c for c in rest if c.isdigit())
    zone = rest[len(digits) :]
    return f"{head}.{digits[:6]}{zone}"


def parse_webhook(topic: str | None, raw_body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
    """The typed event of one verified delivery.

    ``topic`` falls back to the ``X-Shopify-Topic`` header.  Raises ``WebhookPayloadError`` (a
    TerminalError) for an unknown topic or a body that does not parse; the caller keeps such a
    delivery for a person.
    """
    if topic is None:
        topic = next((v for k, v in headers.items() if k.lower() == "x-shopify-topic"), None)
    if not topic:
        raise WebhookPayloadError("the delivery names no topic (X-Shopify-Topic is missing)")
    parser = TOPICS.get(topic)
    meta = webhook_meta(topic, headers)
    shop = meta.shop_domain or "unknown shop"
    where = f"webhook {meta.webhook_id or '(no id)'} ({topic}) from {shop}"
    if parser is None:
        raise WebhookPayloadError(
            f"{where}: topic {topic!r} is not one the connector subscribes to"
        )
    try:
        body = loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookPayloadError(f"{where}: the body is not JSON") from exc
    if not isinstance(body, Mapping):
        raise WebhookPayloadError(f"{where}: the body is not a JSON object")
    try:
        return parser(meta, body)
    except TerminalError as exc:  # WebhookPayloadError included (bad ids, timestamps)
        raise WebhookPayloadError(f"{where}: {exc.message}") from exc
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise WebhookPayloadError(
            f"{where}: unexpected body ({type(exc).__name__}: {exc})"
        ) from exc
