"""Product links and the stock of one SKU, for the dashboard.

* :class:`LinkBook`: the product-links page.  The catalogues of both sides and the link plan's
  problems (unmatched, blank, duplicate, many-to-one, with their fix) are read from Shopify and
  Odoo only when asked ("Read catalogues again", a manual link, or the first visit when none
  was ever read) and kept in the state database (``link_catalog``, shared by every process);
  a page is then one search in the database by SKU, barcode or name (either side), ordered by
  store and variant, ``limit`` rows at a time with a cursor for the next page, so a page costs
  the same at 100 000 variants as at 100.  Whether a variant is linked is read live from
  ``product_links``.  Manual link and unlink;
* :func:`stock_of_sku`: per pool and location, Odoo sellable, in-flight orders, buffer, target,
  what each store shows and the last push with its outcome: the planner's own figures, read
  from both sides now (nothing is written).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.engine.catalog import odoo_products
from shopify_odoo.engine.dashboard_audit import record_audit
from shopify_odoo.engine.dirty import stock_key
from shopify_odoo.engine.links import LinkRun, apply_links, plan_links_now
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.engine.stock_world import read_world
from shopify_odoo.queue import enqueue_many
from shopify_odoo.store.tables import link_catalog, product_links, stock_pushes
from shopify_odoo.store.types import utcnow
from shopify_odoo.sync.link_plan import LinkOverride, LinkProblem, ProblemKind
from shopify_odoo.sync.model import OdooProduct, normalise_sku
from shopify_odoo.sync.stock import plan_stock

#: variants per page of the links page
PAGE_SIZE = 100
#: problems and Odoo products shown for one search
PROBLEMS_SHOWN = 200
PRODUCTS_SHOWN = 50
#: rows per INSERT when the catalogues are stored
_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class VariantView:
    store: str
    variant_gid: str
    sku: str
    barcode: str
    title: str
    #: linked Odoo product (id, how, its name), if any
    product_id: int | None
    matched_by: str | None
    product_name: str = ""


@dataclass(frozen=True, slots=True)
class ProductView:
    id: int
    default_code: str
    barcode: str
    name: str
    linked: bool


@dataclass(frozen=True, slots=True)
class LinksPage:
    variants: tuple[VariantView, ...]
    #: cursor of the next page (``store``, ``variant_gid`` of this page's last row), or None
    next_after: tuple[str, str] | None
    problems: tuple[LinkProblem, ...]
    #: problems matching the search beyond those shown
    more_problems: int
    #: Odoo products matching the search (none without a search)
    products: tuple[ProductView, ...]
    #: variants without a link, over the whole catalogue
    unlinked: int
    #: when the catalogues were read (None: never)
    read_at: datetime | None


def _text(*parts: object) -> str:
    return "\n".join(str(p) for p in parts if p not in (None, "")).casefold()


def _problem_row(store: str | None, i: int, p: LinkProblem, now: datetime) -> dict[str, Any]:
    return {
        "kind": "problem",
        "store": store,
        "ref": f"{i:08d}",
        "product_id": None,
        "sku": p.sku,
        "barcode": None,
        "name": p.message,
        "search": _text(p.sku, p.message, *p.product_ids),
        "detail": {
            "kind": p.kind.value,
            "blocking": p.blocking,
            "variant_gids": list(p.variant_gids),
            "product_ids": list(p.product_ids),
        },
        "read_at": now,
    }


def _variant_rows(run: LinkRun, stores: Iterable[str], now: datetime) -> list[dict[str, Any]]:
    wanted = set(stores)
    rows = []
    for (store, gid), cv in sorted(run.catalog.items()):
        if store not in wanted:
            continue
        v = cv.variant
        title = f"{v.product_title} / {v.variant_title}".strip(" /")
        rows.append(
            {
                "kind": "variant",
                "store": store,
                "ref": gid,
                "product_id": None,
                "sku": v.sku or "",
                "barcode": v.barcode or "",
                "name": title,
                "search": _text(v.sku, v.barcode, title),
                "detail": None,
                "read_at": now,
            }
        )
    return rows


def _product_rows(products: Sequence[OdooProduct], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "kind": "product",
            "store": None,
            "ref": str(p.id),
            "product_id": p.id,
            "sku": p.default_code or "",
            "barcode": p.barcode or "",
            "name": p.name,
            "search": _text(p.default_code, p.barcode, p.name),
            "detail": None,
            "read_at": now,
        }
        for p in sorted(products, key=lambda p: p.id)
    ]


#: PostgreSQL advisory lock key of ``link_catalog`` writes: two processes storing a reading at
#: once take turns (else each would delete the old rows and both readings would stay); SQLite
#: writers already take turns (``BEGIN IMMEDIATE``)
_CATALOG_LOCK = 0x5D0C_A7A1


async def _lock_catalog(conn: AsyncConnection) -> None:
    if conn.dialect.name == "postgresql":
        await conn.execute(select(func.pg_advisory_xact_lock(_CATALOG_LOCK)))


async def _insert(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), _CHUNK):
        await conn.execute(link_catalog.insert(), rows[i : i + _CHUNK])


class LinkBook:
    """The product-links page's reads (in the database) and actions."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        """Read both catalogues and the link plan now and store them for the page."""
        async with self._lock:
            run, products = await asyncio.gather(
                plan_links_now(self.rt),
                odoo_products(self.rt.odoo, company_id=self.rt.settings.odoo.company_id),
            )
            now = utcnow()
            rows = _variant_rows(run, run.stores, now) + _product_rows(products, now)
            problems: list[tuple[str | None, LinkProblem]] = [
                (sp.store, p) for sp in run.plan.stores for p in sp.problems
            ]
            problems += [(p.store, p) for p in run.plan.problems]
            rows += [_problem_row(store, i, p, now) for i, (store, p) in enumerate(problems)]
            async with self.rt.db.begin() as conn:
                await _lock_catalog(conn)
                await conn.execute(delete(link_catalog))
                await _insert(conn, rows)

    async def read_at(self) -> datetime | None:
        """When the stored catalogues were read (None: never)."""
        async with self.rt.db.connect() as conn:
            value = (await conn.execute(select(func.max(link_catalog.c.read_at)))).scalar()
        return value if isinstance(value, datetime) else None

    async def _ensure(self) -> datetime | None:
        """When the catalogues were stored; read them the first time (never on later visits)."""
        read_at = await self.read_at()
        if read_at is None:
            await self.refresh()
            read_at = await self.read_at()
        return read_at

    async def search(
        self,
        query: str,
        *,
        unlinked_only: bool = False,
        after: tuple[str, str] | None = None,
        limit: int = PAGE_SIZE,
        stores: Sequence[str] | None = None,
    ) -> LinksPage:
        """Variants (ordered by store and variant GID, ``limit`` after the cursor ``after``),
        problems and Odoo products whose SKU, barcode or name (either side) contains
        ``query``; all in the database."""
        read_at = await self._ensure()
        q = query.strip().casefold()
        v = link_catalog.alias("v")
        o = link_catalog.alias("o")
        pl = product_links.c
        joined = v.outerjoin(
            product_links,
            and_(pl.store == v.c.store, pl.variant_gid == v.c.ref, pl.status == "linked"),
        ).outerjoin(o, and_(o.c.kind == "product", o.c.product_id == pl.odoo_product_id))
        stmt = (
            select(
                v.c.store,
                v.c.ref,
                v.c.sku,
                v.c.barcode,
                v.c.name,
                pl.odoo_product_id,
                pl.matched_by,
                o.c.name.label("product_name"),
            )
            .select_from(joined)
            .where(v.c.kind == "variant")
        )
        if q:
            stmt = stmt.where(
                or_(
                    v.c.search.contains(q, autoescape=True), o.c.search.contains(q, autoescape=True)
                )
            )
        if unlinked_only:
            stmt = stmt.where(pl.id.is_(None))
        if stores is not None:
            stmt = stmt.where(v.c.store.in_(list(stores)))
        if after is not None:
            stmt = stmt.where(
                or_(v.c.store > after[0], and_(v.c.store == after[0], v.c.ref > after[1]))
            )
        stmt = stmt.order_by(v.c.store, v.c.ref).limit(limit + 1)
        c = link_catalog.c
        async with self.rt.db.connect() as conn:
            found = (await conn.execute(stmt)).all()
            unlinked = (
                await conn.execute(
                    select(func.count())
                    .select_from(
                        v.outerjoin(
                            product_links,
                            and_(
                                pl.store == v.c.store,
                                pl.variant_gid == v.c.ref,
                                pl.status == "linked",
                            ),
                        )
                    )
                    .where(v.c.kind == "variant", pl.id.is_(None))
                )
            ).scalar_one()
            problem_query = select(link_catalog).where(c.kind == "problem")
            if q:
                problem_query = problem_query.where(c.search.contains(q, autoescape=True))
            if stores is not None:
                problem_query = problem_query.where(
                    or_(c.store.is_(None), c.store.in_(list(stores)))
                )
            problem_rows = (
                await conn.execute(problem_query.order_by(c.id).limit(PROBLEMS_SHOWN + 1))
            ).all()
            more = 0
            if len(problem_rows) > PROBLEMS_SHOWN:
                more = (
                    await conn.execute(select(func.count()).select_from(problem_query.subquery()))
                ).scalar_one() - PROBLEMS_SHOWN
            products: list[ProductView] = []
            if q:
                rows = (
                    await conn.execute(
                        select(c.product_id, c.sku, c.barcode, c.name)
                        .where(c.kind == "product", c.search.contains(q, autoescape=True))
                        .order_by(c.product_id)
                        .limit(PRODUCTS_SHOWN)
                    )
                ).all()
                pids = [int(r.product_id) for r in rows]
                linked = {
                    int(pid)
                    for (pid,) in await conn.execute(
                        select(pl.odoo_product_id).where(
                            pl.status == "linked", pl.odoo_product_id.in_(pids)
                        )
                    )
                }
                products = [
                    ProductView(
                        int(r.product_id),
                        r.sku or "",
                        r.barcode or "",
                        r.name or "",
                        int(r.product_id) in linked,
                    )
                    for r in rows
                ]
        variants = tuple(
            VariantView(
                r.store,
                r.ref,
                r.sku or "",
                r.barcode or "",
                r.name or "",
                int(r.odoo_product_id) if r.odoo_product_id is not None else None,
                r.matched_by,
                r.product_name or "",
            )
            for r in found[:limit]
        )
        next_after = (variants[-1].store, variants[-1].variant_gid) if len(found) > limit else None
        problems = tuple(
            LinkProblem(
                ProblemKind(r.detail["kind"]),
                r.store,
                r.sku or "",
                r.name or "",
                bool(r.detail["blocking"]),
                tuple(r.detail.get("variant_gids") or ()),
                tuple(int(i) for i in r.detail.get("product_ids") or ()),
            )
            for r in problem_rows[:PROBLEMS_SHOWN]
        )
        return LinksPage(
            variants, next_after, problems, more, tuple(products), int(unlinked), read_at
        )

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
            # the store's catalogue and problems as this run read them (other stores and the
            # cross-store problems keep their last reading); nothing when the page never read
            # the catalogues (its first visit reads them all)
            await _lock_catalog(conn)
            c = link_catalog.c
            if (await conn.execute(select(c.id).limit(1))).first() is None:
                return run
            now = utcnow()
            await conn.execute(
                delete(link_catalog).where(c.kind.in_(("variant", "problem")), c.store == store)
            )
            rows = _variant_rows(run, [store], now)
            rows += [
                _problem_row(store, i, p, now) for i, p in enumerate(run.plan.store(store).problems)
            ]
            await _insert(conn, rows)
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
