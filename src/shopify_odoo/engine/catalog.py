"""Whole-catalogue reads: every variant of a store (bulk operation) and every Odoo product.

One bulk query per store returns every variant with its inventory item and ``available`` at
every location (fact sheet §c): used by the link service and the reconcile sweep.  Nested
inventory levels are accepted both as separate JSONL lines (``__parentId``, §c.2) and inline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from shopify_odoo.errors import TransientError
from shopify_odoo.odoo import OdooClient
from shopify_odoo.odoo.records import m2o_id, text
from shopify_odoo.shopify.bulk import BulkRecord
from shopify_odoo.shopify.client import ShopifyClient
from shopify_odoo.sync.model import OdooProduct, ShopifyVariant

#: status reads of a running bulk operation that may fail in a row before the sweep gives up
BULK_POLL_ATTEMPTS = 6

VARIANTS_BULK_QUERY = """
{
  productVariants {
    edges {
      node {
        id
        sku
        barcode
        title
        product { id title }
        inventoryItem {
          id
          tracked
          inventoryLevels {
            edges {
              node {
                id
                location { id }
                quantities(names: ["available"]) { name quantity }
              }
            }
          }
        }
      }
    }
  }
}
"""


@dataclass(frozen=True, slots=True)
class CatalogVariant:
    variant: ShopifyVariant
    product_gid: str
    #: location GID → available
    levels: tuple[tuple[str, int], ...]


def _available(node: Mapping[str, Any]) -> int | None:
    for q in node.get("quantities") or []:
        if isinstance(q, Mapping) and q.get("name") == "available":
            value = q.get("quantity")
            return int(value) if isinstance(value, int) else None
    return None


def _level_nodes(record: BulkRecord) -> list[Mapping[str, Any]]:
    nodes: list[Mapping[str, Any]] = [c.node for c in record.children_of("InventoryLevel")]
    item = record.node.get("inventoryItem") or {}
    inline = item.get("inventoryLevels") if isinstance(item, Mapping) else None
    if isinstance(inline, Mapping):
        nodes += inline.get("nodes") or [e.get("node") for e in inline.get("edges") or []]
    return [n for n in nodes if isinstance(n, Mapping)]


def parse_variant(store: str, record: BulkRecord) -> CatalogVariant | None:
    node = record.node
    item = node.get("inventoryItem") or {}
    product = node.get("product") or {}
    if not isinstance(item, Mapping) or not item.get("id"):
        return None
    levels = []
    for lv in _level_nodes(record):
        loc = (lv.get("location") or {}).get("id")
        avail = _available(lv)
        if loc and avail is not None:
            levels.append((str(loc), avail))
    variant = ShopifyVariant(
        store=store,
        variant_gid=str(node["id"]),
        inventory_item_gid=str(item["id"]),
        sku=node.get("sku"),
        barcode=node.get("barcode"),
        tracked=bool(item.get("tracked", True)),
        product_title=str(product.get("title") or ""),
        variant_title=str(node.get("title") or ""),
    )
    return CatalogVariant(variant, str(product.get("id") or ""), tuple(sorted(levels)))


async def store_variants(
    shop: ShopifyClient, *, poll_interval: float = 0.25, timings: dict[str, float] | None = None
) -> AsyncIterator[CatalogVariant]:
    """Every variant of the store with its levels, streamed from one bulk operation.

    ``timings`` (when given) gets ``bulk_wait``: seconds from starting the operation until
    Shopify reported it complete (the rest is our download and parsing)."""
    started = time.perf_counter()
    op = await shop.run_bulk_query(VARIANTS_BULK_QUERY)
    for attempt in range(1, BULK_POLL_ATTEMPTS + 1):
        try:
            done = await shop.wait_bulk_operation(op.id, poll_interval=poll_interval)
            break
        except TransientError:
            # the operation keeps running at Shopify while a status read fails: read again
            if attempt == BULK_POLL_ATTEMPTS:
                raise
            await asyncio.sleep(min(30.0, poll_interval * 2**attempt))
    if timings is not None:
        timings["bulk_wait"] = time.perf_counter() - started
    if not done.url:
        return
    async for record in shop.bulk_records(done.url):
        cv = parse_variant(shop.store, record)
        if cv is not None:
            yield cv


async def odoo_products(client: OdooClient, *, company_id: int | None = None) -> list[OdooProduct]:
    """Every product variant with an SKU or a barcode, archived included (to report them)."""
    caps = await client.connect()
    fields = ["id", "default_code", "barcode", "display_name", "active", "company_id"]
    rows = await client.search_read_all(
        "product.product",
        ["|", ("default_code", "!=", False), ("barcode", "!=", False)],
        [*fields, *caps.product_fields],
        context={"active_test": False},
    )
    return [
        OdooProduct(
            id=int(r["id"]),
            default_code=text(r.get("default_code")),
            barcode=text(r.get("barcode")),
            name=str(r.get("display_name") or ""),
            active=bool(r.get("active", True)),
            company_id=m2o_id(r.get("company_id")),
            storable=caps.is_storable(r),
        )
        for r in rows
    ]
