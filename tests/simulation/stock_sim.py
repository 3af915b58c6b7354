"""One randomised, seeded stock scenario, run in-process against both sandboxes' worlds.

The engine runs for real (Runtime, SQLite state database, clients, micro-batcher-free
``sync_products`` passes as the worker would run them); the sandboxes are driven through
``httpx.ASGITransport`` wrapped in :class:`FaultTransport` (Shopify THROTTLED answers, Odoo
HTTP 502, and answers lost after the request was applied: a worker killed between send and
record).  Webhooks are delivered late, twice, out of order or never (the order poll is the
backstop).  A fake clock drives every client back-off, so nothing sleeps for real.

After quiescence the scenario checks, against an oracle computed from the worlds themselves
(not from the planner): every level shows its target (0 mismatches), Odoo's on-hand equals
the model's (nothing lost, nothing applied twice), and no pool sold more than Odoo can ship.

The ``same_second`` variant (:meth:`Scenario.draw_same_second`) moves the clock by fractions
of a second, so orders land in the same second as the passes' reads and marks (Shopify dates
orders in whole seconds; our reads keep fractions), and each order's webhook lands before the
next pass.  With no merchant edit, cancel or fault, every unit a pass holds beyond the known
orders is a drop no order explains: after each pass, the engine's in-flight figure per pool
must equal the oracle's (a unit held twice is the tail of issue 7's time to correction).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import delete

from shopify_odoo.config import Settings
from shopify_odoo.engine.inflight import record_odoo_order, record_shopify_order
from shopify_odoo.engine.odoo_poller import write_cursor
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.engine.stock import SyncResult, sync_products
from shopify_odoo.engine.stock_world import ORDER_CURSOR
from shopify_odoo.errors import ShopifyOdooError
from shopify_odoo.odoo import OdooClient
from shopify_odoo.sandbox.odoo import build_world
from shopify_odoo.sandbox.odoo.dispatch import Dispatcher
from shopify_odoo.sandbox.odoo.server import OdooSandbox, build_app
from shopify_odoo.sandbox.odoo.simulator import MerchantSimulator
from shopify_odoo.sandbox.shopify.clock import ManualClock
from shopify_odoo.sandbox.shopify.inventory import merchant_set
from shopify_odoo.sandbox.shopify.server import serve, store_app
from shopify_odoo.sandbox.shopify.storefront import Cart, CheckoutRefused, cancel_order, place_order
from shopify_odoo.sandbox.shopify.world import World
from shopify_odoo.shopify.auth import StaticTokenProvider
from shopify_odoo.shopify.budget import StoreBudget
from shopify_odoo.shopify.client import ShopifyClient
from shopify_odoo.store.database import Database
from shopify_odoo.store.tables import metadata
from shopify_odoo.sync.stock import split_shares
from tests.integration.engine_stock.harness import ROLES

from .direct import DirectOdoo, DirectShopify

SKUS = ("TSHIRT-0001-BLA-M", "HOODIE-0001-WHI-S", "CAP-0001-NAV-L", "SOCKS-0001-RED-XL")
POOL_OF_ROLE = {role: odoo for role, _name, odoo in ROLES}


class FakeTime:
    """The clients' clock: sleeping advances it instantly."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


@dataclass
class Faults:
    rng: random.Random
    enabled: bool = True
    throttle: float = 0.0
    odoo_5xx: float = 0.0
    lost_answer: float = 0.0
    kill: float = 0.0
    count: dict[str, int] = field(default_factory=dict)

    def hit(self, name: str, p: float) -> bool:
        if self.enabled and p > 0 and self.rng.random() < p:
            self.count[name] = self.count.get(name, 0) + 1
            return True
        return False


THROTTLED = {
    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
    "extensions": {
        "cost": {
            "requestedQueryCost": 10,
            "actualQueryCost": None,
            "throttleStatus": {
                "maximumAvailable": 2000.0,
                "currentlyAvailable": 0.0,
                "restoreRate": 100.0,
            },
        }
    },
}


class Killed(BaseException):
    """The worker process died here; no ``except Exception`` of the engine runs."""


class FaultTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, faults: Faults, side: str) -> None:
        self.inner = inner
        self.faults = faults
        self.side = side

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        f = self.faults
        body = request.content if self.side else b""
        if f.hit("killed", f.kill):  # the worker dies before sending, or after it landed
            if f.rng.random() < 0.5:
                await self.inner.handle_async_request(request)
            raise Killed
        if self.side == "shopify" and b"graphql" in request.url.path.encode():
            if f.hit("throttled", f.throttle):
                # Shopify's THROTTLED answer (fact sheet §b.2): HTTP 200, error code, cost report
                return httpx.Response(200, json=THROTTLED, request=request)
            if b"inventorySetQuantities" in body and f.hit("shopify_lost", f.lost_answer):
                await self.inner.handle_async_request(request)  # applied, answer lost
                raise httpx.ReadError("connection reset after send", request=request)
        if self.side == "odoo":
            if f.hit("odoo_5xx", f.odoo_5xx):
                return httpx.Response(502, text="Bad Gateway", request=request)
            if b"action_apply_inventory" in body and f.hit("odoo_lost", f.lost_answer):
                await self.inner.handle_async_request(request)
                raise httpx.ReadError("connection reset after send", request=request)
        return await self.inner.handle_async_request(request)


class Switch:
    """An ASGI app standing for whichever sandbox app the running scenario set."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


class Loopback:
    """The sandboxes' servers on 127.0.0.1 (uvicorn), started once for many scenarios: one
    per store slot and one for Odoo, each serving its :class:`Switch`."""

    def __init__(self) -> None:
        self.stores: list[tuple[Switch, str]] = []
        self.odoo: tuple[Switch, str] = (Switch(), "")
        self.running: list[tuple[Any, asyncio.Task[None]]] = []

    async def _serve(self, switch: Switch) -> str:
        server, task, port = await serve(switch, "127.0.0.1", 0)
        self.running.append((server, task))
        return f"http://127.0.0.1:{port}"

    async def start(self, stores: int = 3) -> Loopback:
        for _ in range(stores):
            switch = Switch()
            self.stores.append((switch, await self._serve(switch)))
        switch = Switch()
        self.odoo = (switch, await self._serve(switch))
        return self

    async def stop(self) -> None:
        for server, _task in self.running:
            server.should_exit = True
        for _server, task in self.running:
            with contextlib.suppress(Exception):
                await task


async def fresh_database(db: Database) -> None:
    """Empty every table (one database per test process, reused by every scenario)."""
    async with db.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            await conn.execute(delete(table))


@dataclass
class Scenario:
    seed: int
    stores: int
    allocation: str
    main_direction: str
    apart: bool  # orders further apart than the propagation window (a sync between them)
    steps: int
    #: the clock moves by fractions of a second: orders share a second with reads and marks
    same_second: bool = False

    @classmethod
    def draw(cls, seed: int) -> Scenario:
        r = random.Random(seed)
        allocation = r.choice(("shared", "split"))
        return cls(
            seed=seed,
            stores=r.choice((2, 2, 3)),
            allocation=allocation,
            main_direction=r.choice(("odoo_to_shopify", "odoo_to_shopify", "two_way")),
            apart=allocation == "split" or r.random() < 0.7,
            steps=r.randint(4, 9),
        )

    @classmethod
    def draw_same_second(cls, seed: int) -> Scenario:
        """Two stores, ``odoo_to_shopify``; orders, Odoo changes, deliveries and passes a
        fraction of a second apart (no merchant edit, cancel or fault: see the module doc)."""
        r = random.Random(seed)
        allocation = r.choice(("shared", "split"))
        return cls(
            seed=seed,
            stores=2,
            allocation=allocation,
            main_direction="odoo_to_shopify",
            apart=True,
            steps=r.randint(6, 10),
            same_second=True,
        )


@dataclass
class Outcome:
    scenario: Scenario
    passes: int = 0
    failed_passes: int = 0
    orders: int = 0
    oversold_max: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    kills: int = 0
    #: same_second: passes that held more in flight than the orders (all delivered) explain
    overheld: list[str] = field(default_factory=list)


class Sim:
    """One scenario's worlds, engine and model.  ``transport``: ``direct`` (the sandboxes'
    models in-process, :mod:`.direct`) or a :class:`Loopback` (their real servers)."""

    def __init__(
        self, sc: Scenario, settings_of: Any, db: Database, transport: str | Loopback = "direct"
    ) -> None:
        self.sc = sc
        self.db = db
        self.settings_of = settings_of
        self.transport = transport
        self.rng = random.Random(sc.seed * 7919 + 1)
        self.time = FakeTime()
        #: one wall clock for the Shopify world and the engine: every action and every pass
        #: happens in its own second (Shopify timestamps have whole seconds)
        self.clock = ManualClock(1_780_000_000.25)
        self.faults = Faults(random.Random(sc.seed * 104729 + 3))
        self.shop = World(clock=self.clock, seed=sc.seed)
        for i in range(sc.stores):
            st = self.shop.add_store(f"shop{i + 1}")
            st.rate_limited = False  # throttling comes from the fault transport (fake clock)
            self.shop.seed_catalogue(st, "small")
            st.base_url = f"http://shop{i + 1}.sandbox.test"
        self.odoo = build_world("17.0", "small", 0)
        self.handle = OdooSandbox(world=self.odoo, seed=0)
        self.handle.url = "http://odoo.sandbox.test"
        self.split: dict[str, int] | None = None
        if sc.allocation == "split":
            cut = sorted(self.rng.sample(range(10, 90), sc.stores - 1))
            parts = [b - a for a, b in zip([0, *cut], [*cut, 100], strict=True)]
            self.split = {f"shop{i + 1}": p for i, p in enumerate(parts)}
        self.merchant = MerchantSimulator(self.odoo)
        self.dispatch = Dispatcher(self.odoo)
        self.skus = self.rng.sample(SKUS, self.rng.choice((1, 1, 2)))
        self.pids: list[int] = []
        self.orders: list[tuple[str, int]] = []  # (store, order id)
        self.webhooks: list[tuple[str, int]] = []
        self.old_reads: list[tuple[str, Any]] = []
        self.confirmed: set[tuple[str, int]] = set()
        self.out = Outcome(sc)
        self.final: SyncResult | None = None  # the last pass after quiescence
        self.polled = 0.0  # the order poller's cursor (epoch seconds)
        #: the model's Odoo on-hand per (product, location): nothing lost, nothing twice
        self.expected: dict[tuple[int, str], Decimal] = {}
        #: what happened, for the failure message
        self.trace: list[str] = []

    async def start(self) -> None:
        """Transports, settings, clients and the engine's Runtime."""
        transports: dict[str, httpx.AsyncBaseTransport] = {}
        if isinstance(self.transport, Loopback):
            # the sandboxes' real servers (uvicorn, sockets), switched to this scenario's apps
            lb = self.transport
            for st, (switch, url) in zip(self.shop.stores.values(), lb.stores, strict=False):
                switch.app = store_app(self.shop, st)
                st.base_url = url
                transports[st.handle] = httpx.AsyncHTTPTransport()
            lb.odoo[0].app = build_app(self.handle, "small")
            self.handle.url = lb.odoo[1]
            odoo_inner: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport()
        else:
            for st in self.shop.stores.values():
                transports[st.handle] = DirectShopify(self.shop, st)
            fallback = httpx.ASGITransport(app=build_app(self.handle, "small"))
            odoo_inner = DirectOdoo(self.odoo, fallback)
        sc = self.sc
        self.settings: Settings = self.settings_of(
            list(self.shop.stores.values()),
            self.handle.url,
            self.odoo.db,
            self.handle.api_key,
            allocation=sc.allocation,
            directions={"main": sc.main_direction},
            split=self.split,
        )
        self.transports = transports
        self.odoo_inner = odoo_inner
        self.rt = self.runtime()

    def runtime(self) -> Runtime:
        """A worker process: its own clients (and their caches) over the same transports."""
        odoo = OdooClient(
            self.handle.url,
            self.odoo.db,
            "admin",
            api_key=self.handle.api_key,
            transport=FaultTransport(self.odoo_inner, self.faults, "odoo"),
            sleep=self.time.sleep,
        )
        shops = {
            s.handle: ShopifyClient(
                s.handle,
                s.shop_domain,
                StaticTokenProvider(self.shop.stores[s.handle].access_token),
                admin_url=s.admin_url,
                transport=FaultTransport(self.transports[s.handle], self.faults, "shopify"),
                budget=StoreBudget(s.handle, clock=self.time.monotonic, sleep=self.time.sleep),
            )
            for s in self.settings.stores
        }
        return Runtime(self.settings, self.db, odoo, shops, clock=self.now, owns_db=False)

    async def close_clients(self) -> None:
        for shop in self.rt.shops.values():
            with contextlib.suppress(Exception):
                await shop.aclose()
        with contextlib.suppress(Exception):
            await self.rt.odoo.aclose()

    async def aclose(self) -> None:
        if hasattr(self, "rt"):
            await self.close_clients()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.time(), UTC)

    def tick(self) -> None:
        if self.sc.same_second:  # several actions share a second (whole-second order times)
            self.clock.advance(0.05 + self.rng.random() * 0.3)
        else:
            self.clock.advance(1.0 + self.rng.random() * 2.0)

    # ------------------------------------------------------------------ oracle
    def odoo_figures(self, pid: int, location: str) -> tuple[Decimal, Decimal]:
        """(on hand, sellable) at ``location`` straight from the Odoo world (§3.4)."""
        loc = self.merchant.location_id(location)
        [row] = self.dispatch.call(
            2,
            "product.product",
            "read",
            [[pid], ["qty_available", "free_qty", "outgoing_qty"]],
            {"context": {"location": loc}},
        )
        on_hand = Decimal(str(row["qty_available"]))
        sellable = min(Decimal(str(row["free_qty"])), on_hand - Decimal(str(row["outgoing_qty"])))
        return on_hand, sellable

    def in_flight(self, sku: str, role: str) -> int:
        """Units of open Shopify orders (any store) drawn from ``role`` not yet held by Odoo."""
        units = 0
        for store, oid in self.orders:
            if (store, oid) in self.confirmed:
                continue
            st = self.shop.stores[store]
            order = st.orders[oid]
            if order.cancelled_at is not None:
                continue
            loc = next(lc for lc in st.locations if lc.role == role)
            for fo in order.fulfillment_orders:
                if fo.location_id != loc.id:
                    continue
                for fl in fo.lines:
                    li = next(x for x in order.line_items if x.id == fl.line_item_id)
                    if li.sku == sku:
                        units += fl.total
        return units

    def shown(self, store: str, sku: str, role: str) -> int:
        st = self.shop.stores[store]
        v = st.variants_by_sku(sku)[0]
        loc = next(lc for lc in st.locations if lc.role == role)
        level = v.levels[loc.index]
        return level.available if level is not None else 0

    def targets(self, sku: str, pid: int, role: str) -> dict[str, int]:
        _on, sellable = self.odoo_figures(pid, POOL_OF_ROLE[role])
        capacity = max(0, math.floor(sellable - self.in_flight(sku, role)))
        stores = [f"shop{i + 1}" for i in range(self.sc.stores)]
        if self.sc.allocation == "split" and self.split:
            shares = split_shares(capacity, self.split)
            assert sum(shares.values()) <= capacity
            return {s: shares.get(s, 0) for s in stores}
        return dict.fromkeys(stores, capacity)

    def figures(self) -> dict[tuple[str, str], tuple[int, int, int, Decimal]]:
        """Per (SKU, pool): (what the pool can ship, units in flight, units the stores offer,
        Odoo's sellable).  What it can ship is Odoo's sellable plus the model's changes Odoo
        does not hold yet (a ``two_way`` merchant restock is real stock before it is booked)."""
        out = {}
        for sku, pid in zip(self.skus, self.pids, strict=True):
            for role, _n, odoo in ROLES:
                on_hand, sellable = self.odoo_figures(pid, odoo)
                owed = self.expected.get((pid, odoo), on_hand) - on_hand
                can_ship = math.floor(max(sellable + owed, Decimal(0)))
                offered = sum(self.shown(s, sku, role) for s in self.shop.stores)
                out[(sku, role)] = (can_ship, self.in_flight(sku, role), offered, sellable)
        return out

    def shortfall(self, figs: dict[tuple[str, str], tuple[int, int, int, Decimal]]) -> int:
        """Units sold (in flight) beyond what the pools can ship: oversold units."""
        return sum(max(0, flying - can_ship) for can_ship, flying, _o, _s in figs.values())

    @staticmethod
    def over_offer(
        figs: dict[tuple[str, str], tuple[int, int, int, Decimal]],
    ) -> dict[tuple[str, str], int]:
        """Split pools: units sold plus units the stores still offer, beyond what the pool can
        ship (the allocation's promise is that this never goes above 0 because of us)."""
        return {
            k: flying + offered - can_ship for k, (can_ship, flying, offered, _s) in figs.items()
        }

    def oversold(
        self,
        figs: dict[tuple[str, str], tuple[int, int, int, Decimal]],
        before: dict[tuple[str, str], int] | None = None,
    ) -> int:
        """Units sold beyond what the pools can ship; in split pools also the units a pass made
        the stores offer beyond it (``before``: the over-offer when the pass started; what a
        merchant's edit or an Odoo count put there is not the pass's doing)."""
        worst = max((max(0, f[1] - f[0]) for f in figs.values()), default=0)
        if self.sc.allocation == "split":
            base = before or {}
            for k, v in self.over_offer(figs).items():
                worst = max(worst, v - max(0, base.get(k, 0)))
        return max(0, worst)

    # ------------------------------------------------------------------ engine side
    async def setup(self) -> None:
        from shopify_odoo.engine.inbox import register_stores
        from shopify_odoo.store.tables import product_links

        await register_stores(self.rt.db, self.settings)
        now = self.now()
        rows = []
        for sku in self.skus:
            pid = self.merchant.product_id(sku)
            self.pids.append(pid)
            for st in self.shop.stores.values():
                v = st.variants_by_sku(sku)[0]
                rows.append(
                    {
                        "store": st.handle,
                        "odoo_product_id": pid,
                        "product_gid": f"gid://shopify/Product/{v.product_id}",
                        "variant_gid": f"gid://shopify/ProductVariant/{v.id}",
                        "inventory_item_gid": f"gid://shopify/InventoryItem/{v.item_id}",
                        "sku": sku,
                        "barcode": v.barcode,
                        "matched_by": "sku",
                        "status": "linked",
                        "linked_at": now,
                        "updated_at": now,
                    }
                )
        async with self.rt.db.begin() as conn:
            await conn.execute(product_links.insert(), rows)
        await self.rt.topology()
        await self.sync()

    async def sync(self) -> bool:
        """One worker pass over the scenario's keys; False when it failed or re-queued."""
        self.out.passes += 1
        ok = False
        before = self.over_offer(self.figures()) if self.sc.allocation == "split" else None
        try:
            result = await sync_products(self.rt, self.pids)
            ok = not result.requeued
            if self.sc.same_second:
                self.check_held(result)
        except (ShopifyOdooError, httpx.HTTPError) as exc:
            self.out.failed_passes += 1  # the queue would retry the key: so do we, later
            self.trace.append(f"pass failed: {type(exc).__name__}")
        except Killed:
            await self.restart()
        figs = self.figures()
        over = self.oversold(figs, before)
        self.out.oversold_max = max(self.out.oversold_max, over)
        self.trace.append(f"pass ok={ok} oversold={over} {self.levels_text(figs)}")
        return ok

    def check_held(self, result: SyncResult) -> None:
        """same_second: with every order delivered, the pass holds exactly the orders."""
        if self.webhooks or result.plan is None:
            return
        for f in result.plan.figures:
            sku = next(s for s, p in zip(self.skus, self.pids, strict=True) if p == f.product_id)
            want = self.in_flight(sku, f.pool)  # pools are named by role (harness)
            if f.in_flight != want:
                self.out.overheld.append(
                    f"{sku} pool {f.pool}: the pass held {f.in_flight} in flight, orders {want}"
                )
                self.trace.append(f"  overheld {self.out.overheld[-1]}")

    async def restart(self) -> None:
        """The worker was killed mid-pass: a new process (fresh clients, caches, Runtime)
        takes over from what the state database and both sides hold."""
        self.out.kills += 1
        self.trace.append("worker killed: restarted")
        await self.close_clients()
        self.rt = self.runtime()

    def levels_text(self, figs: dict[tuple[str, str], tuple[int, int, int, Decimal]]) -> str:
        parts = []
        for sku in self.skus:
            _c, flying, _o, sell = figs[(sku, "main")]
            shown = [self.shown(s, sku, "main") for s in self.shop.stores]
            parts.append(f"{sku}: odoo={sell} inflight={flying} main={shown}")
        return "; ".join(parts)

    async def settle(self, attempts: int = 10) -> bool:
        """Passes until one succeeds with nothing re-queued (the key's retries)."""
        for _ in range(attempts):
            self.tick()
            if await self.sync():
                return True
        return False

    async def deliver(self, item: tuple[str, int]) -> None:
        store, oid = item
        try:
            order = await self.rt.shop(store).order(f"gid://shopify/Order/{oid}")
            if order is not None:
                self.old_reads.append((store, order))
                await record_shopify_order(self.rt, store, order)
        except (ShopifyOdooError, httpx.HTTPError):
            self.webhooks.append(item)  # the job is retried (the inbox keeps the delivery)
        except Killed:  # the inbox still holds the delivery: a new worker takes it again
            await self.restart()
            self.webhooks.append(item)

    async def replay(self, store: str, order: Any) -> None:
        """An old observation of an order arrives again (a late, duplicated webhook body)."""
        try:
            await record_shopify_order(self.rt, store, order)
        except (ShopifyOdooError, httpx.HTTPError):
            pass  # lost: it was only a stale copy
        except Killed:
            await self.restart()

    async def webhooks_step(self) -> None:
        """Some pending deliveries arrive, in any order, some twice; old bodies replay."""
        self.rng.shuffle(self.webhooks)
        take = self.rng.randint(0, len(self.webhooks))
        now, self.webhooks = self.webhooks[:take], self.webhooks[take:]
        for item in now:
            await self.deliver(item)
            if self.rng.random() < 0.3:
                await self.deliver(item)
        if self.old_reads and self.rng.random() < 0.5:  # a stale observation arrives late
            store, order = self.rng.choice(self.old_reads)
            await self.replay(store, order)

    async def order_poll(self) -> None:
        """The backstop: every order updated since the last poll (with an overlap) re-read,
        then the cursor moves to the poll's start."""
        started = self.rt.clock() - timedelta(seconds=1)
        saved = self.faults.enabled
        self.faults.enabled = False
        since = self.polled - 2.0
        for store, oid in list(self.orders):
            if self.shop.stores[store].orders[oid].updated_at >= since:
                await self.deliver((store, oid))
        self.polled = started.timestamp()
        self.faults.enabled = saved
        async with self.rt.db.begin() as conn:
            for st in self.shop.stores:
                await write_cursor(conn, ORDER_CURSOR.format(store=st), started)

    # ------------------------------------------------------------------ the world moves
    def place(self) -> bool:
        store = self.rng.choice(list(self.shop.stores))
        sku = self.rng.choice(self.skus)
        qty = self.rng.randint(1, 3)
        try:
            order = place_order(self.shop, self.shop.stores[store], Cart(lines=[(sku, qty)]))
        except CheckoutRefused:
            return False
        self.orders.append((store, order.id))
        self.out.orders += 1
        # else the webhook is dropped (the poll finds it); same_second: every webhook arrives
        hook = self.sc.same_second or self.rng.random() < 0.8
        if hook:
            self.webhooks.append((store, order.id))
        self.trace.append(f"  order {order.id} {store} {qty} x {sku} (webhook {hook})")
        return True

    async def confirm(self) -> None:
        """The orders flow: Odoo ships the order's units, then the sale order is confirmed."""
        open_ = [o for o in self.orders if o not in self.confirmed]
        if not open_:
            return
        store, oid = self.rng.choice(open_)
        order = self.shop.stores[store].orders[oid]
        if order.cancelled_at is not None:
            return
        held: dict[int, int] = {}
        st = self.shop.stores[store]
        for fo in order.fulfillment_orders:
            loc = next(lc for lc in st.locations if lc.id == fo.location_id)
            for fl in fo.lines:
                li = next(x for x in order.line_items if x.id == fl.line_item_id)
                pid = self.merchant.product_id(li.sku)
                src = self.merchant.location_id(POOL_OF_ROLE[loc.role])
                customers = self.odoo.models["ir.model.data"].xmlid_to_id(
                    "stock.stock_location_customers"
                )
                self.merchant._transfer("out_type_id", li.sku, fl.total, src, customers, "SO")
                self.expected[(pid, POOL_OF_ROLE[loc.role])] -= fl.total
                held[pid] = held.get(pid, 0) + fl.total
        self.confirmed.add((store, oid))
        self.trace.append(f"  confirm {oid} {store} held {sorted(held.items())}")
        await record_odoo_order(
            self.rt,
            store,
            f"gid://shopify/Order/{oid}",
            version=self.now(),
            confirmed=True,
            held=sorted(held.items()),
        )

    def odoo_change(self) -> None:
        sku = self.rng.choice(self.skus)
        pid = self.merchant.product_id(sku)
        roles = [r for r in ROLES if not (r[0] == "main" and self.sc.main_direction == "two_way")]
        role, _n, loc = self.rng.choice(ROLES)
        if self.rng.random() < 0.6 or (role, _n, loc) not in roles:
            qty = self.rng.randint(1, 8)
            self.merchant.receive(sku, qty, loc)
            self.expected[(pid, loc)] += qty
            self.trace.append(f"  odoo receipt {qty} x {sku} at {loc}")
        else:  # a count that never goes below what was sold (Odoo's own oversell is not ours)
            on_hand, sellable = self.odoo_figures(pid, loc)
            floor_ = on_hand - sellable + self.in_flight(sku, role)
            new = max(floor_, on_hand + self.rng.randint(-4, 4), Decimal(0))
            self.merchant.count(sku, loc, float(new))
            self.expected[(pid, loc)] = new
            self.trace.append(f"  odoo count {sku} at {loc}: {on_hand} -> {new}")

    def edit(self) -> None:
        store = self.rng.choice(list(self.shop.stores))
        st = self.shop.stores[store]
        sku = self.rng.choice(self.skus)
        role = self.rng.choice(("main", "3pl")) if self.sc.main_direction == "two_way" else "3pl"
        loc = next(lc for lc in st.locations if lc.role == role)
        v = st.variants_by_sku(sku)[0]
        if v.levels[loc.index] is None:
            return
        current = self.shown(store, sku, role)
        new = max(0, current + self.rng.randint(-3, 5))
        delta = merchant_set(self.shop, st, v, loc.id, "available", new)
        self.trace.append(f"  edit {store} {sku} {role}: {current} -> {new}")
        if role == "main" and self.sc.main_direction == "two_way":
            # two_way: a Shopify-side change that is not a sale reaches Odoo as a delta
            self.expected[(self.merchant.product_id(sku), POOL_OF_ROLE[role])] += delta

    def cancel(self) -> None:
        open_ = [o for o in self.orders if o not in self.confirmed]
        if not open_:
            return
        store, oid = self.rng.choice(open_)
        order = self.shop.stores[store].orders[oid]
        if order.cancelled_at is None:
            cancel_order(self.shop, self.shop.stores[store], order, restock=True)
            self.webhooks.append((store, oid))
            self.trace.append(f"  cancel {oid} {store}")


# ---------------------------------------------------------------------- a whole scenario


async def run_scenario(sim: Sim) -> Outcome:
    sc, rng = sim.sc, sim.rng
    sim.faults.throttle = rng.choice((0.0, 0.05, 0.15))
    sim.faults.odoo_5xx = rng.choice((0.0, 0.05, 0.1))
    sim.faults.lost_answer = rng.choice((0.0, 0.1, 0.25))
    sim.faults.kill = rng.choice((0.0, 0.01, 0.03))
    sim.faults.enabled = False
    await sim.start()
    await sim.setup()
    sim.expected = {
        (pid, loc): sim.odoo_figures(pid, loc)[0] for pid in sim.pids for _r, _n, loc in ROLES
    }
    sim.faults.enabled = not sc.same_second
    if sc.same_second:  # past the second of the first marks (a first figure explains nothing)
        sim.clock.advance(1.0)
    actions: tuple[str, ...] = (
        *("order", "order", "order", "odoo", "edit", "cancel", "confirm", "hooks", "sync"),
        "poll",
    )
    if sc.same_second:
        actions = ("order", "order", "order", "odoo", "confirm", "hooks", "sync", "poll")
    for _ in range(sc.steps):
        sim.tick()
        action = rng.choice(actions)
        sim.trace.append(f"step {action}")
        if action == "order":
            placed = sim.place()
            if placed and sc.same_second:  # its webhook lands before the next pass
                for item in sim.webhooks:
                    await sim.deliver(item)
                sim.webhooks.clear()
            if placed and sc.apart:
                await sim.settle()
        elif action == "odoo":
            sim.odoo_change()
            await sim.settle()  # orders come after the propagation window
        elif action == "edit":
            sim.edit()
            await sim.settle()
        elif action == "cancel" and sc.main_direction != "two_way":
            sim.cancel()
        elif action == "confirm":
            await sim.confirm()
        elif action == "hooks":
            await sim.webhooks_step()
        elif action == "sync":
            await sim.sync()
        elif action == "poll":
            await sim.order_poll()
    # quiescence: faults stop, every delivery lands, the poll backstop passes, passes converge
    sim.faults.enabled = False
    sim.tick()
    await sim.webhooks_step()
    for item in list(sim.webhooks):
        await sim.deliver(item)
    sim.webhooks.clear()
    sim.tick()
    if sc.same_second:  # the poll's cursor (its start less 1 s) passes every read so far
        sim.clock.advance(1.0)
    await sim.order_poll()
    for _ in range(6):
        sim.tick()
        result = sim.final = await sync_products(sim.rt, sim.pids)
        if result.plan is not None and result.plan.is_empty and not result.requeued:
            break
    sim.out.faults = dict(sim.faults.count)
    return sim.out


def check(sim: Sim) -> list[str]:
    """The invariants after quiescence; an empty list when they all hold."""
    problems = [f"held twice during the run: {text}" for text in sim.out.overheld[:3]]
    for sku, pid in zip(sim.skus, sim.pids, strict=True):
        for role, name, odoo_loc in ROLES:
            want = sim.targets(sku, pid, role)
            for store in sim.shop.stores:
                got = sim.shown(store, sku, role)
                if got != want[store]:
                    problems.append(
                        f"mismatch {store} {sku} {name}: shows {got}, target {want[store]}"
                    )
            on_hand = sim.odoo_figures(pid, odoo_loc)[0]
            if on_hand != sim.expected[(pid, odoo_loc)]:
                problems.append(
                    f"Odoo {sku} at {odoo_loc}: on hand {on_hand}, expected "
                    f"{sim.expected[(pid, odoo_loc)]} (lost or applied twice)"
                )
    figs = sim.figures()
    short = sim.shortfall(figs)
    if sim.sc.apart and short:
        problems.append(f"oversold {short} units after quiescence")
    offer = sim.over_offer(figs)
    if sim.sc.allocation == "split" and max(offer.values(), default=0) > 0:
        problems.append(f"split pools offer more than they hold: {offer}")
    engine_short = sim.final.plan.short if sim.final and sim.final.plan else None
    if engine_short != short:  # inside the window (shared) oversell happens: it is measured
        problems.append(f"oversold units measured by the engine {engine_short}, really {short}")
    if sim.sc.apart and sim.out.oversold_max:
        problems.append(f"oversold {sim.out.oversold_max} units during the run (orders apart)")
    return problems


def describe(sim: Sim) -> str:
    return (
        "\n    ".join(sim.trace[-30:])
        + "\n  "
        + json.dumps(
            {
                "seed": sim.sc.seed,
                "scenario": sim.sc.__dict__,
                "skus": sim.skus,
                "faults": sim.faults.count,
                "passes": sim.out.passes,
                "orders": sim.out.orders,
            }
        )
    )
