"""Sentences for the levels the stock planner leaves alone (STYLE.md §6: object, place, cause,
next step).  Snapshot-tested in tests/unit/sync_stock/test_messages.py."""

from __future__ import annotations

from datetime import datetime

from shopify_odoo.sync.model import Route


def not_storable(sku: str, product_id: int, store: str) -> str:
    return (
        f'SKU "{sku}" (Odoo product {product_id}) is not a storable product in Odoo, so it has '
        f'no stock to send to store {store}: make it storable in Odoo ("Track Inventory" on '
        f'18/19, type "Storable Product" on 16/17) or unlink the variant'
    )


def not_tracked(sku: str, store: str, item: str) -> str:
    return (
        f'SKU "{sku}" (store {store}, inventory item {item}) is not tracked in Shopify, so it '
        f'sells without a stock limit: turn on "Track quantity" for the variant in Shopify'
    )


def unmapped(sku: str, store: str, location: str) -> str:
    return (
        f'SKU "{sku}" is stocked at Shopify location {location} of store {store}, which the '
        f"location map does not mention: map the location to a pool or exclude it in the "
        f'configuration, then run "shopify-odoo check"'
    )


def excluded(sku: str, route: Route) -> str:
    return (
        f'SKU "{sku}" at location {route.label} of store {route.store} is left alone: the '
        f"location is excluded in the location map"
    )


def not_stocked(sku: str, item: str, route: Route) -> str:
    return (
        f'SKU "{sku}" (inventory item {item}) is not stocked at location {route.label} of store '
        f"{route.store}: activate the item at that location in Shopify, or exclude the location "
        f"in the location map"
    )


def unknown_pool(sku: str, route: Route) -> str:
    return (
        f'SKU "{sku}": location {route.label} of store {route.store} maps to pool '
        f'"{route.pool}", which is not defined: add the pool to the configuration'
    )


def split_twice(sku: str, store: str, pool: str, labels: list[str]) -> str:
    return (
        f'SKU "{sku}": store {store} has {len(labels)} locations on split pool "{pool}" '
        f"({', '.join(labels)}) but a split share is per store: map only one of them to the "
        f"pool, or make the pool shared"
    )


def counted_twice(sku: str, pool: str, labels: list[str]) -> str:
    return (
        f'SKU "{sku}": pool "{pool}" is counted in Shopify at {len(labels)} shopify_to_odoo '
        f"locations ({', '.join(labels)}) and Odoo cannot follow two counts: keep one "
        f"shopify_to_odoo location per pool"
    )


def stale_read(sku: str, route: Route, read_at: datetime, mark_at: datetime) -> str:
    return (
        f'SKU "{sku}" at location {route.label} of store {route.store}: the Shopify figure was '
        f"read at {read_at.isoformat()}, before our last write there ({mark_at.isoformat()}): "
        f"re-queue the key to read it again"
    )
