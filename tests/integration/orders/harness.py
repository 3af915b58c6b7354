"""Both sandboxes, linked catalogues and order settings for the orders flow.

``order_engine(tmp_path)`` builds the engine of ``tests/integration/engine_stock/harness.py``
(in-process ASGI transports, or loopback servers with ``loopback=True``), creates the service
products the order settings need in the Odoo sandbox (discount, gift card, tip, rounding), maps
the sandbox's taxes (15 % excluded, 21 % included), links the catalogues by SKU and returns an
:class:`OrderEngine` whose ``import_orders`` runs the real worker path (:class:`OrderSync`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from shopify_odoo.config import settings_from_mapping
from shopify_odoo.engine.dirty import order_key
from shopify_odoo.engine.links import apply_links, plan_links_now
from shopify_odoo.engine.orders import OrderResult, OrderSync
from shopify_odoo.sandbox.shopify.model import Order
from shopify_odoo.sandbox.shopify.storefront import Cart, place_order
from shopify_odoo.sandbox.shopify.world import Store

from ..engine_stock.harness import Engine, inprocess_engine, loopback_engine


@dataclass
class OrderEngine:
    engine: Engine
    sync: OrderSync
    products: dict[str, int]
    taxes: dict[str, int]

    @property
    def rt(self) -> Any:
        return self.engine.rt

    def store(self, handle: str = "shop1") -> Store:
        return self.engine.store(handle)

    def place(self, cart: Cart, handle: str = "shop1") -> Order:
        return place_order(self.engine.shopify, self.store(handle), cart)

    async def import_orders(self, *orders: Order, handle: str = "shop1") -> list[OrderResult]:
        keys = [order_key(handle, f"gid://shopify/Order/{o.id}")[1] for o in orders]
        results = await self.sync.process(keys)
        return [results[k] for k in keys]

    async def sale_order(self, so_id: int) -> dict[str, Any]:
        rows = await self.rt.odoo.read(
            "sale.order",
            [so_id],
            ["name", "state", "amount_total", "client_order_ref", "partner_id",
             "partner_invoice_id", "partner_shipping_id", "currency_id", "order_line",
             "warehouse_id"],
        )  # fmt: skip
        return dict(rows[0])

    async def sale_orders(self, ref: str) -> list[dict[str, Any]]:
        rows = await self.rt.odoo.search_read(
            "sale.order", [("client_order_ref", "=", ref)], ["id", "state", "amount_total"]
        )
        return list(rows)


def shopify_total(order: Order, store: Store) -> Decimal:
    from shopify_odoo.sandbox.shopify.payloads import totals

    return totals(order, current=True)["total"][1]


async def _service_products(rt: Any) -> dict[str, int]:
    caps = await rt.odoo.connect()
    base: dict[str, Any] = {"type": "service"}
    if caps.storable_field == "type":
        base["detailed_type"] = "service"
    names = ["Discount", "Gift card", "Tip", "Rounding"]
    ids = await rt.odoo.create(
        "product.product", [{"name": n, "list_price": 0.0, **base} for n in names]
    )
    products = dict(zip(names, ids, strict=True))
    ship = await rt.odoo.search("product.product", [("default_code", "=", "SHIP-STD")])
    products["Shipping"] = ship[0]
    return products


async def _taxes(rt: Any) -> dict[str, int]:
    rows = await rt.odoo.search_read("account.tax", [("company_id", "=", 1)], ["id", "name"])
    return {str(r["name"]): int(r["id"]) for r in rows}


def order_settings(products: dict[str, int], taxes: dict[str, int], **extra: Any) -> dict[str, Any]:
    return {
        "confirmation": "confirm_paid",
        "shipping_product_id": products["Shipping"],
        "discount_product_id": products["Discount"],
        "gift_card_product_id": products["Gift card"],
        "tip_product_id": products["Tip"],
        "rounding_product_id": products["Rounding"],
        "tax_rules": [
            {"rate": "0.15", "taxes_included": False, "odoo_tax_ids": [taxes["15%"]]},
            {"rate": "0.21", "taxes_included": True, "odoo_tax_ids": [taxes["21% incl."]]},
        ],
        **extra,
    }


@contextlib.asynccontextmanager
async def order_engine(
    tmp_path: Path,
    *,
    loopback: bool = False,
    stores: int = 1,
    seed: int = 0,
    fulfilled_by: dict[str, str] | None = None,
    odoo_version: str = "17.0",
    **order_options: Any,
) -> AsyncIterator[OrderEngine]:
    factory = loopback_engine if loopback else inprocess_engine
    kwargs: dict[str, Any] = {"stores": stores}
    if not loopback:
        kwargs["seed"] = seed
        kwargs["odoo_version"] = odoo_version
    elif odoo_version != "17.0":
        raise ValueError("the loopback engine runs the Odoo 17.0 sandbox only")
    async with factory(tmp_path, **kwargs) as engine:
        rt = engine.rt
        products = await _service_products(rt)
        taxes = await _taxes(rt)
        raw = rt.settings.model_dump(mode="json")
        for row in raw["location_map"]:
            row["fulfilled_by"] = (fulfilled_by or {}).get(row["shopify_location"])
        for store in raw["stores"]:
            store["orders"] = order_settings(products, taxes, **order_options)
        raw["odoo"]["api_key"] = rt.settings.odoo.api_key.get_secret_value()
        for s, orig in zip(raw["stores"], rt.settings.stores, strict=True):
            s["access_token"] = orig.access_token.get_secret_value()
        rt.settings = settings_from_mapping(raw)
        await apply_links(rt, await plan_links_now(rt))
        yield OrderEngine(engine, OrderSync(rt), products, taxes)
