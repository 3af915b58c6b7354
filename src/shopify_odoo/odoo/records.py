"""Thin typed look-ups the engine needs: products, locations, warehouses, quants.

Every look-up is batched (``in`` domains over chunks of keys, chunks run concurrently within
the client's in-flight limit) and reads only the fields it returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shopify_odoo.odoo.client import OdooClient


def m2o_id(value: Any) -> int | None:
    """A many2one value as read (``[id, name]``, bare id or ``False``) → id or None (§2.2)."""
    if isinstance(value, list | tuple):
        return int(value[0]) if value else None
    if isinstance(value, bool) or value is None:
        return None
    return int(value)


def text(value: Any) -> str | None:
    """Odoo reads empty char fields as ``False``."""
    return value if isinstance(value, str) and value else None


def company_domain(company_id: int | None) -> list[Any]:
    """Records of ``company_id`` or shared (company empty) (§1.7)."""
    if company_id is None:
        return []
    return ["|", ("company_id", "=", False), ("company_id", "=", company_id)]


async def _search_read_in(
    client: OdooClient,
    model: str,
    key: str,
    values: Sequence[Any],
    fields: Sequence[str],
    extra: list[Any],
    *,
    chunk_size: int,
    context: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    unique = list(dict.fromkeys(values))
    chunks = [unique[i : i + chunk_size] for i in range(0, len(unique), chunk_size)]
    answers = await asyncio.gather(
        *(
            client.search_read(model, [*extra, (key, "in", chunk)], fields, context=context)
            for chunk in chunks
        )
    )
    return [row for answer in answers for row in answer]


@dataclass(frozen=True, slots=True)
class OdooProduct:
    id: int
    template_id: int | None
    default_code: str | None
    barcode: str | None
    name: str
    active: bool
    company_id: int | None
    storable: bool


async def find_products(
    client: OdooClient,
    *,
    skus: Sequence[str] = (),
    barcodes: Sequence[str] = (),
    company_id: int | None = None,
    include_archived: bool = True,
    chunk_size: int = 1000,
) -> list[OdooProduct]:
    """Products whose ``default_code`` is one of ``skus`` or ``barcode`` one of ``barcodes``.

    Archived products are included by default (``active`` tells) so a caller can say
    "archived" instead of "missing" (§2.2 ``active_test``).  Duplicates are all returned:
    the caller reports them, never guesses.
    """
    caps = await client.connect()
    fields = [
        "id",
        "default_code",
        "barcode",
        "display_name",
        "active",
        "company_id",
        "product_tmpl_id",
        *caps.product_fields,
    ]
    extra = company_domain(company_id)
    context = {"active_test": False} if include_archived else None
    by_sku, by_barcode = await asyncio.gather(
        _search_read_in(
            client,
            "product.product",
            "default_code",
            list(skus),
            fields,
            extra,
            chunk_size=chunk_size,
            context=context,
        ),
        _search_read_in(
            client,
            "product.product",
            "barcode",
            list(barcodes),
            fields,
            extra,
            chunk_size=chunk_size,
            context=context,
        ),
    )
    seen: dict[int, OdooProduct] = {}
    for row in [*by_sku, *by_barcode]:
        seen.setdefault(
            int(row["id"]),
            OdooProduct(
                id=int(row["id"]),
                template_id=m2o_id(row.get("product_tmpl_id")),
                default_code=text(row.get("default_code")),
                barcode=text(row.get("barcode")),
                name=str(row.get("display_name") or ""),
                active=bool(row.get("active", True)),
                company_id=m2o_id(row.get("company_id")),
                storable=caps.is_storable(row),
            ),
        )
    return sorted(seen.values(), key=lambda p: p.id)


@dataclass(frozen=True, slots=True)
class OdooLocation:
    id: int
    complete_name: str
    usage: str
    company_id: int | None
    parent_id: int | None
    active: bool


_LOCATION_FIELDS = ["id", "complete_name", "usage", "company_id", "location_id", "active"]


def _location(row: Mapping[str, Any]) -> OdooLocation:
    return OdooLocation(
        id=int(row["id"]),
        complete_name=str(row.get("complete_name") or ""),
        usage=str(row.get("usage") or ""),
        company_id=m2o_id(row.get("company_id")),
        parent_id=m2o_id(row.get("location_id")),
        active=bool(row.get("active", True)),
    )


async def find_locations(
    client: OdooClient,
    complete_names: Sequence[str] | None = None,
    *,
    company_id: int | None = None,
    usage: Sequence[str] = ("internal", "view", "transit"),
) -> list[OdooLocation]:
    """Locations by ``complete_name`` (``WH/Stock``), or every location of the given usages
    (§3.2), archived included so a map pointing at one can be reported."""
    context = {"active_test": False}
    extra = [*company_domain(company_id), ("usage", "in", list(usage))]
    if complete_names is None:
        rows = await client.search_read(
            "stock.location", extra, _LOCATION_FIELDS, order="complete_name", context=context
        )
    else:
        rows = await _search_read_in(
            client,
            "stock.location",
            "complete_name",
            list(complete_names),
            _LOCATION_FIELDS,
            extra,
            chunk_size=500,
            context=context,
        )
    return sorted((_location(row) for row in rows), key=lambda loc: loc.id)


@dataclass(frozen=True, slots=True)
class OdooWarehouse:
    id: int
    name: str
    code: str
    company_id: int | None
    lot_stock_id: int | None
    view_location_id: int | None


async def list_warehouses(
    client: OdooClient, *, company_id: int | None = None
) -> list[OdooWarehouse]:
    """Warehouses with their stock and view locations (§3.2)."""
    domain = [] if company_id is None else [("company_id", "=", company_id)]
    rows = await client.search_read(
        "stock.warehouse",
        domain,
        ["id", "name", "code", "company_id", "lot_stock_id", "view_location_id"],
        order="id",
    )
    return [
        OdooWarehouse(
            id=int(row["id"]),
            name=str(row.get("name") or ""),
            code=str(row.get("code") or ""),
            company_id=m2o_id(row.get("company_id")),
            lot_stock_id=m2o_id(row.get("lot_stock_id")),
            view_location_id=m2o_id(row.get("view_location_id")),
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class OdooQuant:
    id: int
    product_id: int
    location_id: int
    quantity: Decimal
    reserved_quantity: Decimal
    inventory_quantity: Decimal


async def read_quants(
    client: OdooClient,
    product_ids: Sequence[int],
    location_ids: Sequence[int],
    *,
    chunk_size: int = 2000,
) -> list[OdooQuant]:
    """Quants of the products in the locations and their children (§3.3); one row per quant
    (lots and packages split quants, §3.9; sum them per product and location)."""
    fields = [
        "id",
        "product_id",
        "location_id",
        "quantity",
        "reserved_quantity",
        "inventory_quantity",
    ]
    rows = await _search_read_in(
        client,
        "stock.quant",
        "product_id",
        list(product_ids),
        fields,
        [("location_id", "child_of", list(location_ids))],
        chunk_size=chunk_size,
    )
    return sorted(
        (
            OdooQuant(
                id=int(row["id"]),
                product_id=m2o_id(row["product_id"]) or 0,
                location_id=m2o_id(row["location_id"]) or 0,
                quantity=Decimal(repr(float(row.get("quantity") or 0.0))),
                reserved_quantity=Decimal(repr(float(row.get("reserved_quantity") or 0.0))),
                inventory_quantity=Decimal(repr(float(row.get("inventory_quantity") or 0.0))),
            )
            for row in rows
        ),
        key=lambda q: q.id,
    )
