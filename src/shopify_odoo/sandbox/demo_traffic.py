"""The demo's world in motion: storefront orders, Odoo receipts and deliveries, merchant edits.

A seeded random mix at ``rate`` events per second, all through the sandboxes' own merchant and
customer actions (a checkout in a store, a receipt validated in Odoo, a count typed into the
Shopify admin), never through the connector: the connector only hears of them the way it would
in production (webhooks, Odoo automation rules, polls).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shopify_odoo.errors import ShopifyOdooError
from shopify_odoo.sandbox.catalog import catalogue
from shopify_odoo.sandbox.launcher import Sandboxes
from shopify_odoo.sandbox.odoo.driver import OdooSandboxDriver
from shopify_odoo.sandbox.shopify.storefront import CheckoutRefused

log = logging.getLogger(__name__)

#: event kind → (weight, label shown in the live view)
MIX: dict[str, tuple[int, str]] = {
    "order": (45, "storefront orders"),
    "receipt": (15, "Odoo receipts"),
    "ship": (10, "Odoo deliveries of sale orders"),
    "delivery": (6, "Odoo wholesale deliveries"),
    "transfer": (6, "Odoo transfers"),
    "merchant_edit": (12, "merchant edits in Shopify"),
    "shop_count": (8, "counts in the retail shop (two-way)"),
}


@dataclass
class Traffic:
    """What was done, for the live view."""

    counts: Counter[str] = field(default_factory=Counter)
    refused: int = 0  # checkouts Shopify refused: sold out (no oversell possible there)
    failed: int = 0
    last: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.last.append(text)
        del self.last[:-6]


class Driver:
    def __init__(self, sandboxes: Sandboxes, *, seed: int = 1) -> None:
        self.sb = sandboxes
        self.rng = random.Random(seed)
        self.traffic = Traffic()
        self.odoo = OdooSandboxDriver(sandboxes.odoo.url)
        self.handles = [s.handle for s in sandboxes.shopify.stores]
        skus = [v.sku for p in catalogue("demo") for v in p.variants]
        # a few best sellers take most orders, so stock runs low and the pools matter
        self.hot = skus[:: max(1, len(skus) // 12)][:12]
        self.skus = skus
        #: (store, order name) of every order placed
        self.orders: list[tuple[str, str]] = []
        #: ``<store>#<number>`` of the orders served from Main Warehouse: the WH warehouse
        #: ships those (3PL orders are shipped by the 3PL, not from Odoo)
        self.shippable: set[str] = set()

    async def aclose(self) -> None:
        await self.odoo.aclose()

    def _sku(self) -> str:
        return self.rng.choice(self.hot) if self.rng.random() < 0.8 else self.rng.choice(self.skus)

    async def one(self) -> None:
        kinds = list(MIX)
        kind = self.rng.choices(kinds, weights=[MIX[k][0] for k in kinds])[0]
        sku = self._sku()
        try:
            text = await self._do(kind, sku)
        except CheckoutRefused:
            self.traffic.refused += 1
            self.traffic.note(f"checkout refused: {sku} sold out")
            return
        except (ShopifyOdooError, KeyError, ValueError, LookupError, OSError) as exc:
            self.traffic.failed += 1
            log.debug("demo action %s on %s failed: %s", kind, sku, exc)
            return
        except Exception as exc:  # a sandbox refusing an action is part of the story
            self.traffic.failed += 1
            log.debug("demo action %s on %s failed: %s", kind, sku, exc)
            return
        self.traffic.counts[kind] += 1
        self.traffic.note(text)

    async def _do(self, kind: str, sku: str) -> str:
        shop = self.sb.shopify
        handle = self.rng.choice(self.handles)
        if kind == "order":
            qty = self.rng.choice((1, 1, 1, 2, 3))
            lines = [(sku, qty)]
            if self.rng.random() < 0.3:  # some carts hold a second item
                other = self._sku()
                if other != sku:
                    lines.append((other, 1))
            # the sandbox Odoo's "21% incl." tax: prices include 21 % VAT
            order: Any = shop.place_order(
                handle, lines, tax_rate=Decimal("0.21"), taxes_included=True
            )
            self.orders.append((handle, str(order.name)))
            main = shop.store(handle).location_by_name("Main Warehouse")
            if main is not None and all(
                fo.location_id == main.id for fo in order.fulfillment_orders
            ):
                self.shippable.add(f"{handle}#{str(order.name).lstrip('#')}")
            items = " + ".join(f"{q} x {s}" for s, q in lines)
            return f"{handle}: order {order.name} {items}"
        if kind == "ship":
            # the warehouse ships a sale order the connector created (Odoo's delivery of it)
            shipped = await self._ship_one()
            if shipped is None:
                raise LookupError("no sale order waiting for delivery yet")
            return f"Odoo: shipped {shipped}"
        if kind == "receipt":
            qty = self.rng.choice((5, 10, 20))
            where = self.rng.choice(("WH/Stock", "3PL/Stock"))
            await self.odoo.receive(sku, qty, where)
            return f"Odoo: received {qty} x {sku} at {where}"
        if kind == "delivery":
            # wholesale shipments take slow movers: Odoo knows nothing of Shopify orders not yet
            # imported, so shipping a best seller could give away units already sold online
            sku = self.rng.choice([s for s in self.skus if s not in self.hot])
            qty = self.rng.choice((1, 2))
            await self.odoo.move(sku, qty, "WH/Stock", "Partners/Customers")
            return f"Odoo: delivered {qty} x {sku} from WH/Stock (wholesale)"
        if kind == "transfer":
            sku = self.rng.choice([s for s in self.skus if s not in self.hot])
            qty = self.rng.choice((2, 4))
            await self.odoo.move(sku, qty, "WH/Stock", "SHOP/Stock")
            return f"Odoo: moved {qty} x {sku} WH/Stock → SHOP/Stock"
        if kind == "merchant_edit":
            # a merchant types a number at a location Odoo governs: the connector puts Odoo's
            # figure back (and counts the correction).  Only at the shared Main Warehouse: a
            # number typed at the split 3PL location would let customers buy units outside the
            # store's share until the correction lands, which is the merchant's doing, not the
            # connector's (the demo checks that split pools are never oversold)
            value = self.rng.randrange(0, 40)
            where = "Main Warehouse"
            shop.set_stock(handle, sku, where, value)
            return f"{handle}: merchant set {sku} at {where} to {value}"
        # shop_count: a count in the two-way retail shop of the first store
        value = self.rng.randrange(0, 15)
        shop.set_stock(self.handles[0], sku, "Retail Store", value)
        return f"{self.handles[0]}: counted {sku} at Retail Store: {value}"

    async def _ship_one(self) -> str | None:
        waiting = await self.odoo.read(
            "stock.picking",
            [("state", "=", "assigned"), ("origin", "!=", False)],
            ["name", "origin"],
        )
        sale_orders = await self.odoo.read(
            "sale.order", [("state", "=", "sale")], ["name", "client_order_ref"]
        )
        names = {
            str(so["name"]) for so in sale_orders if so.get("client_order_ref") in self.shippable
        }
        mine = [p for p in waiting if p.get("origin") in names]
        if not mine:
            return None
        picking = self.rng.choice(mine)
        await self.odoo.deliver(int(picking["id"]))
        return f"{picking['name']} ({picking['origin']})"

    async def run(self, duration: float, rate: float, stop: asyncio.Event) -> None:
        """Drive ``rate`` events per second for ``duration`` seconds (or until ``stop``)."""
        interval = 1.0 / rate
        start = time.monotonic()
        n = 0
        while not stop.is_set() and time.monotonic() - start < duration:
            await self.one()
            n += 1
            delay = start + n * interval - time.monotonic()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
