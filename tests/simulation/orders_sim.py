"""One randomised, seeded orders scenario against both sandboxes (issue 8 must-show).

The engine runs for real: :class:`~shopify_odoo.engine.orders.OrderSync` passes (read Shopify
now, read Odoo in batches, plan, apply, record, fulfillments both ways) over the sandbox apps,
in-process through ``httpx.ASGITransport`` or, for a small share of the runs, over loopback
HTTP to a real server.  Between the engine and the sandboxes a :class:`FaultTransport` injects
Odoo HTTP 502s, answers lost after Odoo or Shopify applied the request, and killed workers
(:class:`Killed`, a ``BaseException`` the engine does not catch, raised after the request was
applied: the process died between the remote write and our commit).

The order webhooks (``orders/create``, ``paid``, ``updated``, ``edited``, ``cancelled``,
``fulfillments/create``) are delivered late, twice, out of order or never (the order poll is
the backstop); the Odoo done-delivery poll (:func:`engine.order_poller.poll_pickings`) marks the
orders whose deliveries a person validated in Odoo.  A fake clock drives the clients' back-off.

After quiescence the checks, computed from the two worlds (not from the planner):

* exactly one sale order per Shopify order that reached Odoo, none lost (an open order always
  has one), none for an order cancelled before it reached Odoo;
* every open order's sale order totals Shopify's current total to the cent, confirmed when paid;
* a cancelled order's sale order is cancelled unless it had shipped (then it is parked);
* per order and product: units fulfilled in Shopify at Odoo-shipped locations == units of done
  Odoo deliveries (every done delivery fulfilled, once), and at the 3PL location the Odoo
  deliveries validated == the units fulfilled in Shopify.

The Odoo world is shared by the runs of one test (building it costs more than a run); each run
has its own Shopify world, store handle (so its own ``client_order_ref`` values), customers and
state database, so a seed replays alone (``SHOPIFY_ODOO_SIM_SEED``).
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import delete, select

from shopify_odoo.config import settings_from_mapping
from shopify_odoo.engine.inbox import register_stores
from shopify_odoo.engine.order_fulfillment import DeliveryReader
from shopify_odoo.engine.order_poller import poll_pickings
from shopify_odoo.engine.order_reads import OdooReference
from shopify_odoo.engine.orders import OrderResult, OrderSync
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.errors import ShopifyOdooError, TerminalError
from shopify_odoo.odoo import OdooClient
from shopify_odoo.sandbox.odoo import build_world
from shopify_odoo.sandbox.odoo.dispatch import Dispatcher
from shopify_odoo.sandbox.odoo.server import OdooSandbox, build_app
from shopify_odoo.sandbox.odoo.simulator import MerchantSimulator
from shopify_odoo.sandbox.shopify.model import Order
from shopify_odoo.sandbox.shopify.payloads import totals
from shopify_odoo.sandbox.shopify.server import store_app
from shopify_odoo.sandbox.shopify.storefront import (
    Cart,
    cancel_order,
    edit_order,
    fulfil,
    place_order,
)
from shopify_odoo.sandbox.shopify.world import World
from shopify_odoo.shopify.auth import StaticTokenProvider
from shopify_odoo.shopify.budget import StoreBudget
from shopify_odoo.shopify.client import ShopifyClient
from shopify_odoo.store.database import Database
from shopify_odoo.store.tables import jobs, metadata, product_links
from tests.integration.engine_stock.harness import make_settings

SKUS = ("TSHIRT-0001-BLA-M", "TSHIRT-0001-BLA-L", "HOODIE-0001-WHI-S", "CAP-0001-NAV-L")
ODOO_LOCATIONS = ("WH/Stock", "3PL/Stock")
LEGIT_PARKED = {"cancelled_after_delivery", "edited_after_delivery"}
CENT = Decimal("0.01")


class Killed(BaseException):
    """The worker process died here (after the request reached the remote side)."""


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


@dataclass
class Faults:
    rng: random.Random
    enabled: bool = False
    odoo_5xx: float = 0.0
    lost: float = 0.0
    kill: float = 0.0
    count: dict[str, int] = field(default_factory=dict)

    def hit(self, name: str, p: float) -> bool:
        if self.enabled and p > 0 and self.rng.random() < p:
            self.count[name] = self.count.get(name, 0) + 1
            return True
        return False


WRITES = (b'"create"', b'"write"', b"action_confirm", b"action_cancel", b"button_validate")


class FaultTransport(httpx.AsyncBaseTransport):
    """Faults between the engine and one sandbox; ``holder[0]`` is the current run's."""

    def __init__(self, inner: httpx.AsyncBaseTransport, holder: list[Faults], side: str):
        self.inner = inner
        self.holder = holder
        self.side = side

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        f = self.holder[0]
        body = request.content
        if self.side == "odoo" and f.hit("odoo_5xx", f.odoo_5xx):
            return httpx.Response(502, text="Bad Gateway", request=request)
        write = (
            any(w in body for w in WRITES) if self.side == "odoo" else b"fulfillmentCreate" in body
        )
        if write and f.hit(f"{self.side}_killed", f.kill):
            await self.inner.handle_async_request(request)  # applied, then the process died
            raise Killed
        if write and f.hit(f"{self.side}_lost", f.lost):
            await self.inner.handle_async_request(request)
            raise httpx.ReadError("connection reset after send", request=request)
        return await self.inner.handle_async_request(request)


class SharedOdoo:
    """The Odoo world of one test process, its service products, and its transports."""

    def __init__(self) -> None:
        self.world = build_world("17.0", "small", 0)
        self.handle = OdooSandbox(world=self.world, seed=0)
        self.handle.url = "http://odoo.sandbox.test"
        self.asgi = httpx.ASGITransport(app=build_app(self.handle, "small"))  # type: ignore[arg-type]
        self.dispatch = Dispatcher(self.world)
        self.merchant = MerchantSimulator(self.world)
        self.loopback_url: str | None = None
        self.time = FakeTime()
        self.holder: list[Faults] = [Faults(random.Random(0))]
        self._clients: dict[bool, tuple[OdooClient, OdooReference, DeliveryReader]] = {}
        products = self.world.models["product.product"]
        env = self.world.env(2)
        names = ["Discount", "Gift card", "Tip", "Rounding"]
        with self.world.transaction():
            ids = products.create_rows(
                env, [{"name": n, "list_price": 0.0, "type": "service"} for n in names]
            )
        self.products = dict(zip(names, ids, strict=True))
        self.products["Shipping"] = min(products.table.ids_where("default_code", "SHIP-STD"))
        taxes = self.world.models["account.tax"].table.rows.values()
        self.taxes = {str(t["name"]): int(t["id"]) for t in taxes if t.get("company_id") == 1}
        for sku in SKUS:  # plenty to ship: the subject is the orders flow, not stock
            for location in ODOO_LOCATIONS:
                self.merchant.receive(sku, 100000, location)

    @contextlib.asynccontextmanager
    async def loopback(self) -> AsyncIterator[str]:
        """Serve the same world over loopback HTTP (uvicorn, ephemeral port)."""
        config = uvicorn.Config(
            build_app(self.handle, "small"), host="127.0.0.1", port=0, log_level="warning",
            lifespan="off", access_log=False,
        )  # fmt: skip
        server = uvicorn.Server(config)
        import asyncio

        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        self.loopback_url = f"http://127.0.0.1:{port}"
        try:
            yield self.loopback_url
        finally:
            await self.aclose()
            server.should_exit = True
            await task
            self.loopback_url = None

    def call(self, model: str, method: str, args: list[Any], **kw: Any) -> Any:
        return self.dispatch.call(2, model, method, args, kw)

    async def client(self, loopback: bool) -> tuple[OdooClient, OdooReference, DeliveryReader]:
        """One Odoo client per transport for every run, connected and with its reference
        caches warm before any run (faults off), so that a seed replays alone exactly."""
        if loopback not in self._clients:
            url = self.loopback_url if loopback and self.loopback_url else self.handle.url
            inner: httpx.AsyncBaseTransport = (
                httpx.AsyncHTTPTransport() if url != self.handle.url else self.asgi
            )
            client = OdooClient(
                url, self.world.db, "admin", api_key=self.handle.api_key,
                transport=FaultTransport(inner, self.holder, "odoo"), sleep=self.time.sleep,
            )  # fmt: skip
            saved, self.holder[0] = self.holder[0], Faults(random.Random(0))
            try:
                await client.connect()
                reference = OdooReference(client, 1)
                await reference.get()
                deliveries = DeliveryReader(client)
                await deliveries.warm()
                await client.has_field("stock.picking", "carrier_id")
                await client.has_field("stock.picking", "sale_id")
            finally:
                self.holder[0] = saved
            self._clients[loopback] = (client, reference, deliveries)
        return self._clients[loopback]

    async def aclose(self) -> None:
        for client, _r, _d in self._clients.values():
            await client.aclose()
        self._clients.clear()


@dataclass
class Scenario:
    seed: int
    orders: int
    steps: int
    odoo_5xx: float
    lost: float
    kill: float
    three_pl: bool
    loopback: bool

    @classmethod
    def draw(cls, seed: int, loopback: bool = False) -> Scenario:
        r = random.Random(seed)
        return cls(
            seed=seed,
            orders=r.choice((1, 2, 2, 3)),
            steps=r.randint(4, 9),
            odoo_5xx=r.choice((0.0, 0.05, 0.15)),
            lost=r.choice((0.0, 0.1, 0.2)),
            kill=r.choice((0.0, 0.05, 0.1)),
            three_pl=r.random() < 0.3,
            loopback=loopback,
        )


def _cart(rng: random.Random, seed: int, i: int, emails: list[str], three_pl: bool) -> Cart:
    included = rng.random() < 0.5
    lines = [(sku, rng.randint(1, 3)) for sku in rng.sample(SKUS[:3], rng.randint(1, 2))]
    if three_pl and any(sku == SKUS[1] for sku, _q in lines):
        # the 3PL SKU ships alone: a sale order has one warehouse, and an order split between
        # an Odoo-shipped and a Shopify-fulfilled location is not supported (see the report)
        lines = [(sku, q) for sku, q in lines if sku == SKUS[1]]
    returning = bool(emails) and rng.random() < 0.4  # maybe at a new address
    email = rng.choice(emails) if returning else f"s{seed}-buyer{i}@example.com"
    address = None
    if rng.random() < 0.3:
        address = {
            "address1": f"{rng.randint(1, 99)} Unter den Linden", "city": "Berlin",
            "country": "Germany", "country_code": "DE", "zip": "10117",
            "first_name": "Ada", "last_name": "Buyer",
        }  # fmt: skip
    extra: dict[str, Any] = {"address": address} if address else {}
    return Cart(
        lines=lines,
        email=email,
        tax_rate=Decimal("0.21") if included else Decimal("0.15"),
        taxes_included=included,
        discount_code=("SAVE10", Decimal(10)) if rng.random() < 0.3 else None,
        automatic_discount=("Autumn", Decimal("7.5")) if rng.random() < 0.2 else None,
        shipping=("Standard", Decimal("4.90")) if rng.random() < 0.7 else None,
        presentment_currency="USD" if rng.random() < 0.15 else None,
        rate=Decimal("1.0837"),
        tip=Decimal("2.00") if rng.random() < 0.15 else Decimal(0),
        gift_card=Decimal("5.00") if rng.random() < 0.1 else Decimal(0),
        paid=rng.random() < 0.85,
        **extra,
    )


@dataclass
class Outcome:
    passes: int = 0
    failed_passes: int = 0
    killed: int = 0
    parked: dict[str, str] = field(default_factory=dict)
    deliveries_done: int = 0
    shopify_fulfilments: int = 0


class Sim:
    def __init__(self, sc: Scenario, odoo: SharedOdoo, db: Database, tmp: Path) -> None:
        self.sc = sc
        self.odoo = odoo
        self.db = db
        self.tmp = tmp
        self.rng = random.Random(sc.seed * 7919 + 11)
        self.time = odoo.time
        self.faults = Faults(
            random.Random(sc.seed * 104729 + 5), False, sc.odoo_5xx, sc.lost, sc.kill
        )
        odoo.holder[0] = self.faults
        self.holder = odoo.holder
        self.handle = f"s{sc.seed}"
        self.shop = World(seed=sc.seed)
        self.store = self.shop.add_store(self.handle)
        self.store.rate_limited = False
        self.shop.seed_catalogue(self.store, "small")
        self.store.base_url = f"http://{self.handle}.sandbox.test"
        for sku in SKUS:
            for level in self.store.variants_by_sku(sku)[0].levels:
                if level is not None:
                    level.available = 100000
        if sc.three_pl:  # one SKU ships from the 3PL (fulfilled in Shopify)
            main = self.store.location_by_name("Main Warehouse")
            assert main is not None
            level = self.store.variants_by_sku(SKUS[1])[0].levels[main.index]
            assert level is not None
            level.available = 0
        self.orders: list[Order] = []
        self.emails: list[str] = []
        self.dirty: list[str] = []  # webhooks in flight (keys), in delivery order
        self.marked: set[str] = set()  # keys the queue holds
        self.ever_imported: set[int] = set()
        self.out = Outcome()
        self.trace: list[str] = []
        self.rt: Runtime | None = None
        self.sync: OrderSync | None = None

    # ------------------------------------------------------------------ engine side
    async def setup(self) -> None:
        sc, o = self.sc, self.odoo
        odoo, self.reference, self.deliveries = await o.client(sc.loopback)
        url = odoo.url
        raw = make_settings(self.tmp, [self.store], url, o.world.db, o.handle.api_key)
        settings = raw.model_dump(mode="json")
        settings["odoo"]["api_key"] = o.handle.api_key
        settings["stores"][0]["access_token"] = self.store.access_token
        for row in settings["location_map"]:
            row["fulfilled_by"] = "shopify" if row["shopify_location"] == "3PL Fulfilment" else None
        p, t = o.products, o.taxes
        settings["stores"][0]["orders"] = {
            "confirmation": "confirm_paid",
            "shipping_product_id": p["Shipping"],
            "discount_product_id": p["Discount"],
            "gift_card_product_id": p["Gift card"],
            "tip_product_id": p["Tip"],
            "rounding_product_id": p["Rounding"],
            "tax_rules": [
                {"rate": "0.15", "taxes_included": False, "odoo_tax_ids": [t["15%"]]},
                {"rate": "0.21", "taxes_included": True, "odoo_tax_ids": [t["21% incl."]]},
            ],
            "carriers": [{"odoo_carrier": "Express Delivery", "company": "DHL"}],
        }
        self.settings = settings_from_mapping(settings)
        transport = FaultTransport(
            httpx.ASGITransport(app=store_app(self.shop, self.store)), self.holder, "shopify"
        )
        shop = ShopifyClient(
            self.handle, self.store.domain, StaticTokenProvider(self.store.access_token),
            admin_url=self.store.base_url, transport=transport,
            budget=StoreBudget(self.handle, clock=self.time.monotonic, sleep=self.time.sleep),
        )  # fmt: skip
        self.rt = Runtime(self.settings, self.db, odoo, {self.handle: shop}, owns_db=False)
        await register_stores(self.db, self.settings)
        now = datetime.now(UTC)
        rows = []
        for sku in SKUS:
            v = self.store.variants_by_sku(sku)[0]
            rows.append(
                {
                    "store": self.handle, "odoo_product_id": o.merchant.product_id(sku),
                    "product_gid": f"gid://shopify/Product/{v.product_id}",
                    "variant_gid": f"gid://shopify/ProductVariant/{v.id}",
                    "inventory_item_gid": f"gid://shopify/InventoryItem/{v.item_id}",
                    "sku": sku, "barcode": v.barcode, "matched_by": "sku", "status": "linked",
                    "linked_at": now, "updated_at": now,
                }
            )  # fmt: skip
        async with self.db.begin() as conn:
            await conn.execute(product_links.insert(), rows)
        self.sync = self.new_sync()

    def new_sync(self) -> OrderSync:
        """A worker process's order sync (the shared client's caches are already warm)."""
        assert self.rt is not None
        sync = OrderSync(self.rt)
        sync.reference = self.reference
        sync.deliveries = self.deliveries
        return sync

    async def close(self) -> None:
        if self.rt is not None:
            for shop in self.rt.shops.values():
                await shop.aclose()

    def key(self, order: Order) -> str:
        return f"{self.handle}:gid://shopify/Order/{order.id}"

    def webhook(self, order: Order, topic: str) -> None:
        """Shopify sends ``topic`` (at least once); 15 % are lost (the poll finds them)."""
        if self.rng.random() < 0.85:
            self.dirty.append(self.key(order))
            self.trace.append(f"{topic} {order.name}")

    async def work(self, keys: list[str]) -> None:
        """One worker pass over ``keys`` (a micro-batch), as the queue handler runs it."""
        assert self.sync is not None
        self.out.passes += 1
        try:
            results = await self.sync.process(keys)
        except Killed:
            self.out.killed += 1
            self.trace.append(f"killed {len(keys)} key(s)")
            self.sync = self.new_sync()  # a new process starts
            return
        except (ShopifyOdooError, httpx.HTTPError) as exc:
            self.out.failed_passes += 1
            self.trace.append(f"pass failed: {type(exc).__name__}: {str(exc)[:80]}")
            return
        for key in keys:
            self.settle(key, results[key])

    def settle(self, key: str, result: OrderResult) -> None:
        try:
            result.raise_for_problem()
        except TerminalError as exc:
            self.marked.discard(key)  # a dead letter: a new event marks it again
            self.out.parked[key] = f"{exc.cause}: {exc.message[:160]}"
            self.trace.append(f"parked {key}: {exc.cause}")
            return
        except ShopifyOdooError as exc:
            self.trace.append(f"retry {key}: {type(exc).__name__}")
            return  # retried later: the key stays marked
        self.marked.discard(key)
        self.out.parked.pop(key, None)
        if result.outcome is not None and result.outcome.sale_order_id:
            self.ever_imported.add(int(key.rsplit("/", 1)[-1]))

    def deliver_some(self) -> None:
        """Pending webhooks arrive: a random part, shuffled, some twice."""
        self.rng.shuffle(self.dirty)
        take = self.rng.randint(0, len(self.dirty))
        now, self.dirty = self.dirty[:take], self.dirty[take:]
        for key in now:
            self.marked.add(key)
            if self.rng.random() < 0.3:
                self.dirty.append(key)  # a duplicate, later

    async def pass_(self) -> None:
        if not self.marked:
            return
        keys = sorted(self.marked)
        self.rng.shuffle(keys)
        await self.work(keys[: self.rng.randint(1, len(keys))])

    async def poll(self) -> None:
        """The backstops: every order of the store re-marked (the order poll); done deliveries
        since the cursor (the real picking poll, which enqueues into the state database)."""
        for order in self.orders:
            self.marked.add(self.key(order))
        assert self.rt is not None
        try:
            await poll_pickings(self.rt)
        except (ShopifyOdooError, httpx.HTTPError):
            return
        async with self.db.begin() as conn:
            keys = (await conn.execute(select(jobs.c.key).where(jobs.c.kind == "order"))).all()
            await conn.execute(delete(jobs))
        # the state database is shared by the runs of a test: only this run's store counts
        self.marked.update(k for (k,) in keys if k.startswith(f"{self.handle}:"))

    # ------------------------------------------------------------------ the world moves
    def place(self) -> None:
        cart = _cart(self.rng, self.sc.seed, len(self.orders), self.emails, self.sc.three_pl)
        order = place_order(self.shop, self.store, cart)
        if self.rng.random() < 0.1:
            order.customer_id = None  # a guest checkout (§e.1): no customer account
        self.orders.append(order)
        self.emails.append(cart.email)
        self.webhook(order, "orders/create")
        if cart.paid:
            self.webhook(order, "orders/paid")

    def pay(self) -> None:
        unpaid = [o for o in self.orders if o.financial_status == "pending" and not o.cancelled_at]
        if unpaid:
            order = self.rng.choice(unpaid)
            order.financial_status = "paid"
            order.updated_at = self.shop.now()
            self.webhook(order, "orders/paid")

    def odoo_sale_orders(self, order: Order) -> list[dict[str, Any]]:
        return list(
            self.odoo.call(
                "sale.order", "search_read",
                [[("client_order_ref", "=", f"{self.handle}#{order.number}")]],
                fields=["id", "state", "amount_total", "currency_id"],
                context={"active_test": False},
            )
        )  # fmt: skip

    def pickings(self, so_id: int) -> list[dict[str, Any]]:
        return list(
            self.odoo.call(
                "stock.picking", "search_read", [[("sale_id", "=", so_id)]],
                fields=["id", "state", "picking_type_id", "move_ids"],
            )
        )  # fmt: skip

    def shipped(self, order: Order) -> bool:
        if any(f.status == "SUCCESS" for f in order.fulfillments):
            return True
        return any(
            p["state"] == "done"
            for so in self.odoo_sale_orders(order)
            for p in self.pickings(so["id"])
        )

    def edit(self) -> None:
        """Remove one unit of a line of an order nothing of which shipped (§e.5)."""
        candidates = [
            o for o in self.orders
            if not o.cancelled_at and not self.shipped(o)
            and any(li.fulfillable > 1 for li in o.line_items)
        ]  # fmt: skip
        if candidates:
            order = self.rng.choice(candidates)
            line = self.rng.choice([li for li in order.line_items if li.fulfillable > 1])
            edit_order(self.shop, self.store, order, line.id, 1)
            self.webhook(order, "orders/edited")

    def cancel(self) -> None:
        open_ = [o for o in self.orders if not o.cancelled_at]
        if open_ and self.rng.random() < 0.5:
            order = self.rng.choice(open_)
            cancel_order(self.shop, self.store, order)
            self.webhook(order, "orders/cancelled")

    def ship_in_odoo(self) -> None:
        """A person validates an open delivery (maybe partially) with carrier and tracking."""
        open_: list[tuple[Order, dict[str, Any]]] = []
        for order in self.orders:
            for so in self.odoo_sale_orders(order):
                for p in self.pickings(so["id"]):
                    # 3PL deliveries are validated from Shopify's fulfilments, not by a person
                    if p["state"] in ("assigned", "confirmed", "waiting") and not p[
                        "picking_type_id"
                    ][1].startswith("3PL"):
                        open_.append((order, p))
        if not open_:
            return
        order, picking = self.rng.choice(open_)
        carrier = self.odoo.call(
            "delivery.carrier", "search", [[("name", "=", "Express Delivery")]]
        )
        self.odoo.call(
            "stock.picking", "write",
            [[picking["id"]],
             {"carrier_id": carrier[0], "carrier_tracking_ref": f"T{picking['id']}"}],
        )  # fmt: skip
        moves = self.odoo.call(
            "stock.move", "read", [picking["move_ids"], ["id", "product_uom_qty"]]
        )
        short = False
        for m in moves:
            qty = m["product_uom_qty"]
            if qty > 1 and self.rng.random() < 0.3:
                qty = qty - 1
                short = True
            self.odoo.call("stock.move", "write", [[m["id"]], {"quantity": qty, "picked": True}])
        ctx: dict[str, Any] = {"skip_backorder": True, "skip_sms": True}
        if not short:
            ctx["picking_ids_not_to_backorder"] = [picking["id"]]
        self.odoo.call("stock.picking", "button_validate", [[picking["id"]]], context=ctx)
        self.trace.append(f"shipped picking {picking['id']} of {order.name} short={short}")

    def fulfil_3pl(self) -> None:
        """The 3PL app fulfils some units in Shopify (the Odoo delivery follows)."""
        three_pl = self.store.location_by_name("3PL Fulfilment")
        assert three_pl is not None
        for order in self.orders:
            if order.cancelled_at:
                continue
            for fo in order.fulfillment_orders:
                if fo.location_id != three_pl.id or fo.status not in ("OPEN", "IN_PROGRESS"):
                    continue
                line = next((fl for fl in fo.lines if fl.remaining > 0), None)
                if line is None:
                    continue
                qty = self.rng.randint(1, line.remaining)
                fulfil(self.shop, self.store, order, [(fo, [(line.id, qty)])])
                self.webhook(order, "fulfillments/create")
                return


# ---------------------------------------------------------------------- a whole scenario


async def fresh_database(db: Database) -> None:
    async with db.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            await conn.execute(delete(table))


async def run_scenario(sim: Sim) -> Outcome:
    sc, rng = sim.sc, sim.rng
    await sim.setup()
    sim.faults.enabled = True
    for _ in range(sc.orders):
        sim.place()
    actions = ("hooks", "work", "work", "work", "place", "pay", "edit", "cancel", "ship",
               "ship", "3pl", "poll")  # fmt: skip
    for _ in range(sc.steps):
        action = rng.choice(actions)
        sim.trace.append(f"step {action}")
        if action == "hooks":
            sim.deliver_some()
        elif action == "work":
            await sim.pass_()
        elif action == "place" and len(sim.orders) < sc.orders + 1:
            sim.place()
        elif action == "pay":
            sim.pay()
        elif action == "edit":
            sim.edit()
        elif action == "cancel":
            sim.cancel()
        elif action == "ship":
            sim.ship_in_odoo()
        elif action == "3pl" and sc.three_pl:
            sim.fulfil_3pl()
        elif action == "poll":
            await sim.poll()
    # quiescence: faults stop, every delivery lands, the backstops pass, passes converge
    sim.faults.enabled = False
    for key in sim.dirty:
        sim.marked.add(key)
    sim.dirty.clear()
    for _ in range(2):  # the second poll sees the deliveries the passes validated (3PL)
        await sim.poll()
        for _ in range(3):
            if not sim.marked:
                break
            await sim.work(sorted(sim.marked))
    return sim.out


def check(sim: Sim) -> list[str]:
    """The invariants after quiescence; empty when they all hold."""
    problems: list[str] = []
    for key, why in sim.out.parked.items():
        if why.split(":", 1)[0] not in LEGIT_PARKED:
            problems.append(f"{key} parked: {why}")
    if sim.marked:
        problems.append(f"keys never settled: {sorted(sim.marked)}")
    three_pl = sim.store.location_by_name("3PL Fulfilment")
    assert three_pl is not None
    for order in sim.orders:
        sos = sim.odoo_sale_orders(order)
        where = f"order {order.name} ({'cancelled' if order.cancelled_at else 'open'})"
        if len(sos) > 1:
            problems.append(f"{where}: {len(sos)} sale orders")
            continue
        if not sos:
            if order.cancelled_at is None or order.id in sim.ever_imported:
                problems.append(f"{where}: no sale order (lost)")
            continue
        so = sos[0]
        done_pickings = [p for p in sim.pickings(so["id"]) if p["state"] == "done"]
        if order.cancelled_at is not None:
            if so["state"] != "cancel" and not done_pickings:
                problems.append(f"{where}: sale order {so['state']}, nothing shipped")
            continue
        edited_late = sim.out.parked.get(sim.key(order), "").startswith("edited_after_delivery")
        want = totals(order, current=True)["total"][1]
        got = Decimal(str(so["amount_total"])).quantize(CENT)
        if got != want and not edited_late:  # edited after shipping: a person reconciles
            problems.append(f"{where}: sale order total {got}, Shopify {want}")
        paid = order.financial_status in ("paid", "partially_refunded", "refunded")
        if so["state"] != ("sale" if paid else "draft"):
            problems.append(f"{where}: sale order {so['state']} (paid={paid})")
        # every done delivery fulfilled once; every 3PL fulfilment validated once
        odoo_units: dict[tuple[bool, int], float] = {}
        for p in done_pickings:
            wh = sim.odoo.call("stock.picking.type", "read", [[p["picking_type_id"][0]],
                               ["warehouse_id"]])[0]["warehouse_id"][1]  # fmt: skip
            is_3pl = wh.startswith("3PL")
            for m in sim.odoo.call("stock.move", "read", [p["move_ids"], ["product_id",
                                   "quantity", "state"]]):  # fmt: skip
                if m["state"] == "done":
                    k = (is_3pl, m["product_id"][0])
                    odoo_units[k] = odoo_units.get(k, 0) + m["quantity"]
        shop_units: dict[tuple[bool, int], float] = {}
        by_line = {li.id: li for li in order.line_items}
        for f in order.fulfillments:
            if f.status != "SUCCESS":
                continue
            for _fid, line_id, qty in f.lines:
                pid = sim.odoo.merchant.product_id(by_line[line_id].sku or "")
                k = (f.location_id == three_pl.id, pid)
                shop_units[k] = shop_units.get(k, 0) + qty
        if so["state"] == "draft":  # a quotation ships nothing; a 3PL may fulfil before payment
            shop_units = {k: v for k, v in shop_units.items() if not k[0]}
        if edited_late:  # Shopify fulfils what it still has; never more than Odoo shipped
            if any(v > odoo_units.get(k, 0) for k, v in shop_units.items()) or not shop_units:
                problems.append(
                    f"{where}: edited after shipping: Odoo done {sorted(odoo_units.items())}, "
                    f"Shopify fulfilled {sorted(shop_units.items())}"
                )
        elif odoo_units != shop_units:
            problems.append(
                f"{where}: Odoo done units {sorted(odoo_units.items())} != Shopify fulfilled "
                f"{sorted(shop_units.items())}"
            )
        sim.out.deliveries_done += len(done_pickings)
        sim.out.shopify_fulfilments += len(order.fulfillments)
    return problems


def describe(sim: Sim) -> str:
    return (
        "\n    ".join(sim.trace[-40:])
        + "\n  "
        + json.dumps(
            {
                "seed": sim.sc.seed,
                "scenario": sim.sc.__dict__,
                "faults": sim.faults.count,
                "passes": sim.out.passes,
                "killed": sim.out.killed,
                "orders": [o.name for o in sim.orders],
            }
        )
    )
