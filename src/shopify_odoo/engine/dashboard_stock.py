"""Product links and the stock of one SKU, for the dashboard.

* :class:`LinkBook`: the link plan of every store (the same planner as ``link --dry-run``),
  read on demand and kept for ``ttl`` seconds; search by SKU, barcode or name; the problems
  (unmatched, blank, duplicate, many-to-one) with their fix; manual link and unlink;
* :func:`stock_of_sku`: per pool and location, Odoo sellable, in-flight orders, buffer, target,
  what each store shows and the last push with its outcome: the planner's own figures, read
  from both sides now (nothing is written).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, select

from shopify_odoo.engine.catalog import odoo_products
from shopify_odoo.engine.dashboard_audit import record_audit
from shopify_odoo.engine.dirty import stock_key
from shopify_odoo.engine.links import LinkRun, apply_links, plan_links_now
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.engine.stock_world import read_world
from shopify_odoo.queue import enqueue_many
from shopify_odoo.store.tables import product_links, stock_pushes
from shopify_odoo.sync.link_plan import LinkOverride, LinkProblem
from shopify_odoo.sync.model import OdooProduct, normalise_sku
from shopify_odoo.sync.stock import plan_stock

LINKS_TTL = 60.0


@dataclass(frozen=True, slots=True)
class VariantView:
    store: str
    variant_gid: str
    sku: str
    barcode: str
    title: str
    #: linked Odoo product (id, how), if any
    product_id: int | None
    matched_by: str | None


@dataclass(frozen=True, slots=True)
class LinksView:
    variants: tuple[VariantView, ...]
    products: dict[int, OdooProduct]
    problems: tuple[LinkProblem, ...]
    read_at: float


class LinkBook:
    """The catalogues of both sides and their link plan, cached for ``ttl`` seconds."""

    def __init__(self, rt: Runtime, ttl: float = LINKS_TTL) -> None:
        self.rt = rt
        self.ttl = ttl
        self._view: LinksView | None = None
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._view = None

    async def view(self, *, refresh: bool = False) -> LinksView:
        async with self._lock:
            view = self._view
            if refresh or view is None or time.monotonic() - view.read_at > self.ttl:
                view = self._view = await self._read()
            return view

    async def _read(self) -> LinksView:
        run, products = await asyncio.gather(
            plan_links_now(self.rt),
            odoo_products(self.rt.odoo, company_id=self.rt.settings.odoo.company_id),
        )
        t = product_links.c
        async with self.rt.db.connect() as conn:
            stored = {
                (r.store, r.variant_gid): (int(r.odoo_product_id), r.matched_by)
                for r in await conn.execute(
                    select(t.store, t.variant_gid, t.odoo_product_id, t.matched_by).where(
                        t.status == "linked"
                    )
                )
            }
        variants = []
        for (store, gid), cv in sorted(run.catalog.items()):
            v = cv.variant
            linked = stored.get((store, gid))
            variants.append(
                VariantView(
                    store,
                    gid,
                    v.sku or "",
                    v.barcode or "",
                    f"{v.product_title} / {v.variant_title}".strip(" /"),
                    linked[0] if linked else None,
                    linked[1] if linked else None,
                )
            )
        problems = [p for sp in run.plan.stores for p in sp.problems] + list(run.plan.problems)
        return LinksView(
            tuple(variants), {p.id: p for p in products}, tuple(problems), time.monotonic()
        )

    async def search(self, query: str, *, stores: tuple[str, ...] | None = None) -> LinksView:
        """Variants and problems whose SKU, barcode or name (either side) contains ``query``."""
        view = await self.view()
        q = query.strip().casefold()
        if not q:
            return view

        def hit(*texts: str) -> bool:
            return any(q in t.casefold() for t in texts if t)

        variants = []
        for v in view.variants:
            if stores is not None and v.store not in stores:
                continue
            p = view.products.get(v.product_id) if v.product_id is not None else None
            if hit(v.sku, v.barcode, v.title) or (
                p is not None and hit(p.default_code or "", p.barcode or "", p.name)
            ):
                variants.append(v)
        problems = [
            p
            for p in view.problems
            if hit(p.sku, p.message) or any(hit(str(i)) for i in p.product_ids)
        ]
        return LinksView(tuple(variants), view.products, tuple(problems), view.read_at)

    async def link(self, store: str, sku: str, product_id: int, *, actor: str) -> LinkRun:
        """Link the variant of ``store`` with Shopify SKU ``sku`` to Odoo ``product_id`` (kept
        by later link runs, as ``link --sku --product`` does)."""
        clean = normalise_sku(sku)
        run = await plan_links_now(
            self.rt, stores=[store], overrides=[LinkOverride(clean, product_id, store)]
        )
        await apply_links(self.rt, run, only_sku=clean)
        async with self.rt.db.begin() as conn:
            await record_audit(
                conn,
                actor=actor,
                action="link.manual",
                target=f"{store}/{clean}",
                detail={"product_id": product_id},
            )
        self.invalidate()
        return run

    async def unlink(self, store: str, variant_gid: str, *, actor: str) -> bool:
        t = product_links.c
        async with self.rt.db.begin() as conn:
            row = (
                await conn.execute(
                    select(t.odoo_product_id).where(t.store == store, t.variant_gid == variant_gid)
                )
            ).first()
            if row is None:
                return False
            await conn.execute(
                delete(product_links).where(t.store == store, t.variant_gid == variant_gid)
            )
            await enqueue_many(conn, [stock_key(int(row.odoo_product_id))])
            await record_audit(
                conn,
                actor=actor,
                action="link.unlink",
                target=f"{store}/{variant_gid}",
                detail={"product_id": int(row.odoo_product_id)},
            )
        self.invalidate()
        return True


# -- stock of one SKU ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PushView:
    last_available: int
    change_from: int | None
    outcome: str
    at: datetime


@dataclass(frozen=True, slots=True)
class LocationStock:
    store: str
    location: str
    direction: str
    enabled: bool
    buffer: int
    shown: int | None
    target: int | None
    push: PushView | None


@dataclass(frozen=True, slots=True)
class OdooLocationStock:
    name: str
    qty_available: Decimal
    free_qty: Decimal
    outgoing_qty: Decimal
    sellable: Decimal


@dataclass(frozen=True, slots=True)
class PoolStock:
    pool: str
    allocation: str
    odoo: tuple[OdooLocationStock, ...]
    sellable: Decimal | None
    in_flight: int | None
    buffers: int | None
    capacity: int | None
    oversold: int | None
    locations: tuple[LocationStock, ...]


@dataclass(frozen=True, slots=True)
class SkuStock:
    sku: str
    product_id: int | None
    product_name: str
    pools: tuple[PoolStock, ...]
    notes: tuple[str, ...]


async def stock_of_sku(rt: Runtime, sku: str) -> SkuStock:
    """Why each store shows what it shows for ``sku`` (linked products only)."""
    clean = normalise_sku(sku)
    t = product_links.c
    async with rt.db.connect() as conn:
        pids = sorted(
            {
                int(pid)
                for (pid,) in await conn.execute(
                    select(t.odoo_product_id).where(t.status == "linked", t.sku == clean)
                )
            }
        )
    if not pids:
        return SkuStock(
            clean,
            None,
            "",
            (),
            (
                f'SKU "{clean}" has no linked product: find it under Product links and link it, '
                "or check the SKU in Odoo (Internal Reference)",
            ),
        )
    pid = pids[0]
    topo = await rt.topology()
    read = await read_world(rt, [pid])
    plan = plan_stock(read.world, read.ledger, topo.policy)
    names = await _odoo_location_names(rt, topo.odoo_location_ids)
    outcomes = {o.key: o for o in plan.outcomes}
    levels = {lv.key: lv for lv in read.world.levels}
    items = {lk.store: lk.inventory_item_gid for lk in read.links}
    pushes = await _pushes(rt, items)
    figures = {f.pool: f for f in plan.figures}
    odoo_rows = [r for r in read.world.odoo if r.product_id == pid]
    pools = []
    for pool in topo.policy.pools:
        locs = []
        for route in topo.policy.routes:
            if route.pool != pool.name or route.store not in items:
                continue
            item_gid = items[route.store]
            key = next(
                (
                    k
                    for k in levels
                    if k.store == route.store
                    and k.inventory_item_gid == item_gid
                    and k.location_gid == route.location_gid
                ),
                None,
            )
            outcome = outcomes.get(key) if key is not None else None
            level = levels.get(key) if key is not None else None
            locs.append(
                LocationStock(
                    store=route.store,
                    location=route.location_name or route.location_gid,
                    direction=route.direction.value,
                    enabled=route.enabled,
                    buffer=topo.policy.buffer(clean, route),
                    shown=level.available if level is not None else None,
                    target=outcome.target if outcome is not None else None,
                    push=pushes.get((route.store, route.location_gid)),
                )
            )
        f = figures.get(pool.name)
        pools.append(
            PoolStock(
                pool=pool.name,
                allocation=pool.allocation.value,
                odoo=tuple(
                    OdooLocationStock(
                        names.get(r.location_id, str(r.location_id)),
                        r.qty_available,
                        r.free_qty,
                        r.outgoing_qty,
                        r.sellable,
                    )
                    for r in odoo_rows
                    if r.location_id in pool.odoo_location_ids
                ),
                sellable=f.sellable if f else None,
                in_flight=f.in_flight if f else None,
                buffers=f.buffers if f else None,
                capacity=f.capacity if f else None,
                oversold=f.oversold if f else None,
                locations=tuple(locs),
            )
        )
    notes = [s.message for s in plan.skipped]
    if len(pids) > 1:
        notes.append(f'SKU "{clean}" is linked to several Odoo products {pids}: showing {pid}')
    named = await rt.odoo.read("product.product", [pid], ["id", "display_name"])
    name = str(named[0].get("display_name") or clean) if named else clean
    return SkuStock(clean, pid, name, tuple(pools), tuple(notes))


async def _odoo_location_names(rt: Runtime, ids: tuple[int, ...]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await rt.odoo.read("stock.location", list(ids), ["id", "complete_name"])
    return {int(r["id"]): str(r.get("complete_name") or r["id"]) for r in rows}


async def _pushes(rt: Runtime, items: dict[str, str]) -> dict[tuple[str, str], PushView]:
    s = stock_pushes.c
    out: dict[tuple[str, str], PushView] = {}
    async with rt.db.connect() as conn:
        for store, item in items.items():
            rows = await conn.execute(
                select(stock_pushes).where(s.store == store, s.inventory_item_gid == item)
            )
            for r in rows:
                out[(store, r.location_gid)] = PushView(
                    r.last_available, r.change_from, r.outcome, r.at
                )
    return out
