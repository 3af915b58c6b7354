"""Typed, frozen results of the Shopify client (parsed at the boundary; GIDs kept as strings).

Money is ``Decimal``; numeric ids (``legacyResourceId``) are exact ints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from shopify_odoo.errors import TerminalError


def _str(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        raise TerminalError(f"Shopify answer lacks the text field {key!r}", cause="bad_payload")
    return value


def _opt_str(raw: Mapping[str, Any] | None, key: str) -> str | None:
    if raw is None:
        return None
    value = raw.get(key)
    return value if isinstance(value, str) else None


def _int(raw: Mapping[str, Any], key: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool):
        raise TerminalError(f"Shopify answer field {key!r} is not an integer", cause="bad_payload")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():  # UnsignedInt64 is serialised as a string
        return int(value)
    raise TerminalError(f"Shopify answer field {key!r} is not an integer", cause="bad_payload")


def _bool(raw: Mapping[str, Any], key: str) -> bool:
    return bool(raw.get(key))


@dataclass(frozen=True)
class Shop:
    id: str
    name: str
    myshopify_domain: str
    currency: str
    timezone: str
    plan: str
    shopify_plus: bool
    partner_development: bool

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Shop:
        plan = raw.get("plan") or {}
        return cls(
            id=_str(raw, "id"),
            name=_str(raw, "name"),
            myshopify_domain=_str(raw, "myshopifyDomain"),
            currency=_str(raw, "currencyCode"),
            timezone=_opt_str(raw, "ianaTimezone") or "UTC",
            plan=_opt_str(plan, "publicDisplayName") or "",
            shopify_plus=_bool(plan, "shopifyPlus"),
            partner_development=_bool(plan, "partnerDevelopment"),
        )


@dataclass(frozen=True)
class Location:
    id: str
    legacy_id: int
    name: str
    is_active: bool
    fulfills_online_orders: bool
    is_fulfillment_service: bool

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Location:
        return cls(
            id=_str(raw, "id"),
            legacy_id=_int(raw, "legacyResourceId"),
            name=_str(raw, "name"),
            is_active=_bool(raw, "isActive"),
            fulfills_online_orders=_bool(raw, "fulfillsOnlineOrders"),
            is_fulfillment_service=_bool(raw, "isFulfillmentService"),
        )


@dataclass(frozen=True)
class LevelQuantities:
    """Quantities of one inventory item at one location (None: not reported)."""

    location_id: str
    available: int | None
    on_hand: int | None
    committed: int | None

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> LevelQuantities:
        location = raw.get("location") or {}
        named = {
            q.get("name"): q.get("quantity")
            for q in raw.get("quantities") or []
            if isinstance(q, Mapping)
        }

        def qty(name: str) -> int | None:
            value = named.get(name)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        return cls(
            location_id=_str(location, "id"),
            available=qty("available"),
            on_hand=qty("on_hand"),
            committed=qty("committed"),
        )


def _levels(item: Mapping[str, Any]) -> tuple[LevelQuantities, ...]:
    connection = item.get("inventoryLevels") or {}
    return tuple(LevelQuantities.parse(n) for n in connection.get("nodes") or [])


@dataclass(frozen=True)
class InventoryItemLevels:
    """An inventory item with its levels at (up to the first 50) locations."""

    inventory_item_id: str
    sku: str | None
    tracked: bool
    levels: tuple[LevelQuantities, ...]

    def at(self, location_id: str) -> LevelQuantities | None:
        return next((lv for lv in self.levels if lv.location_id == location_id), None)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> InventoryItemLevels:
        return cls(
            inventory_item_id=_str(raw, "id"),
            sku=_opt_str(raw, "sku"),
            tracked=_bool(raw, "tracked"),
            levels=_levels(raw),
        )


@dataclass(frozen=True)
class Variant:
    """A product variant with its inventory item and levels (variant search)."""

    id: str
    legacy_id: int
    sku: str | None
    barcode: str | None
    title: str
    display_name: str
    product_id: str
    product_title: str
    inventory_item_id: str
    tracked: bool
    levels: tuple[LevelQuantities, ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Variant:
        product = raw.get("product") or {}
        item = raw.get("inventoryItem") or {}
        return cls(
            id=_str(raw, "id"),
            legacy_id=_int(raw, "legacyResourceId"),
            sku=_opt_str(raw, "sku") or None,
            barcode=_opt_str(raw, "barcode") or None,
            title=_opt_str(raw, "title") or "",
            display_name=_opt_str(raw, "displayName") or "",
            product_id=_str(product, "id"),
            product_title=_opt_str(product, "title") or "",
            inventory_item_id=_str(item, "id"),
            tracked=_bool(item, "tracked"),
            levels=_levels(item),
        )


@dataclass(frozen=True)
class QuantityChange:
    """Set ``available`` of one item at one location to ``quantity`` if it is still ``change_from``.

    ``change_from_quantity`` None sends an explicit ``null`` (no compare-and-set: a full reset;
    fact sheet correction 7, §i.4).
    """

    inventory_item_id: str
    location_id: str
    quantity: int
    change_from_quantity: int | None


@dataclass(frozen=True)
class QuantityDelta:
    """Add ``delta`` to ``available`` if it is still ``change_from_quantity`` (before the delta)."""

    inventory_item_id: str
    location_id: str
    delta: int
    change_from_quantity: int | None


OutcomeStatus = Literal["applied", "stale", "error"]


@dataclass(frozen=True)
class QuantityOutcome:
    """What became of one ``QuantityChange``.

    applied: Shopify now holds ``quantity``; stale: ``available`` was not ``change_from_quantity``
    (``current`` is the value re-read, None if the item is not stocked there); error: ``code`` and
    ``message`` say why (Shopify's userError code, or ours for a batch-level failure).
    """

    change: QuantityChange | QuantityDelta
    status: OutcomeStatus
    current: int | None = None
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class WebhookSubscription:
    id: str
    topic: str
    uri: str
    format: str
    filter: str | None
    include_fields: tuple[str, ...]
    api_version: str | None

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> WebhookSubscription:
        version = raw.get("apiVersion") or {}
        return cls(
            id=_str(raw, "id"),
            topic=_str(raw, "topic"),
            uri=_str(raw, "uri"),
            format=_opt_str(raw, "format") or "JSON",
            filter=_opt_str(raw, "filter"),
            include_fields=tuple(str(f) for f in raw.get("includeFields") or []),
            api_version=_opt_str(version, "handle"),
        )


@dataclass(frozen=True)
class TrackingInfo:
    company: str | None
    number: str | None
    url: str | None


@dataclass(frozen=True)
class Fulfillment:
    id: str
    name: str
    status: str
    tracking: tuple[TrackingInfo, ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Fulfillment:
        return cls(
            id=_str(raw, "id"),
            name=_opt_str(raw, "name") or "",
            status=_opt_str(raw, "status") or "",
            tracking=tuple(
                TrackingInfo(_opt_str(t, "company"), _opt_str(t, "number"), _opt_str(t, "url"))
                for t in raw.get("trackingInfo") or []
                if isinstance(t, Mapping)
            ),
        )


@dataclass(frozen=True)
class ProductSetVariant:
    id: str
    sku: str | None
    inventory_item_id: str


@dataclass(frozen=True)
class ProductSetResult:
    """``productSet`` (synchronous): the product and its variants with their inventory items."""

    product_id: str | None
    variants: tuple[ProductSetVariant, ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ProductSetResult:
        product = raw.get("product")
        variants: list[ProductSetVariant] = []
        if isinstance(product, Mapping):
            for v in (product.get("variants") or {}).get("nodes") or []:
                variants.append(
                    ProductSetVariant(
                        id=_str(v, "id"),
                        sku=_opt_str(v, "sku"),
                        inventory_item_id=_str(v.get("inventoryItem") or {}, "id"),
                    )
                )
        return cls(
            product_id=_opt_str(product, "id") if isinstance(product, Mapping) else None,
            variants=tuple(variants),
        )
