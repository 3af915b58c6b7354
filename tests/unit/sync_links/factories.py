"""Builders for link planner tests."""

from __future__ import annotations

from shopify_odoo.sync.model import Link, MatchedBy, OdooProduct, ShopifyVariant

EU, US = "eu", "us"


def product(
    pid: int,
    sku: str | None,
    *,
    barcode: str | None = None,
    active: bool = True,
    company: int | None = None,
    name: str = "",
) -> OdooProduct:
    return OdooProduct(pid, sku, barcode, name or f"Product {pid}", active, company)


def variant(
    n: int, sku: str | None, store: str = EU, *, barcode: str | None = None, title: str = "T-Shirt"
) -> ShopifyVariant:
    return ShopifyVariant(
        store,
        f"gid://shopify/ProductVariant/{n}",
        f"gid://shopify/InventoryItem/{n}",
        sku,
        barcode,
        True,
        title,
        "M",
    )


def link(n: int, pid: int, sku: str, store: str = EU, how: MatchedBy = MatchedBy.SKU) -> Link:
    return Link(
        store,
        f"gid://shopify/ProductVariant/{n}",
        f"gid://shopify/InventoryItem/{n}",
        pid,
        sku,
        how,
    )


def pairs(links: tuple[Link, ...]) -> list[tuple[int, int]]:
    """(variant number, product id) pairs, for compact assertions."""
    return [(int(lk.variant_gid.rsplit("/", 1)[1]), lk.product_id) for lk in links]
