"""Cutover, location by location: dry-run diff, a pilot group, spot-checks, enable, enable all.

A location the merchant still runs the old way has its map row ``enabled = false``: the engine
leaves its levels alone.  Then:

1. :func:`dry_run_location`: what enabling it would change: the ``sync --dry-run`` table,
   restricted to that location, computed by the same sweep on a copy of the runtime whose map
   has the row enabled (nothing is written);
2. :func:`pilot`: a controlled group of SKUs pushed once at that location (the rest of the
   location stays untouched) so a person can compare both sides before going further;
3. :func:`spot_check`: top sellers, multi-variant products, low stock, multi-warehouse and 3PL
   items, each level's Shopify figure beside the target computed from Odoo;
4. :func:`enable_locations` (some, or all): the rows are enabled (saved rows, see
   :mod:`engine.dashboard_locations`) and every linked product's stock is marked dirty, so the
   workers write the targets.

Every switch is written to ``audit_log`` with who and when.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.config import LocationRow, location_key
from shopify_odoo.engine.assembly import mark_all_stock
from shopify_odoo.engine.dashboard_audit import record_audit
from shopify_odoo.engine.dashboard_locations import MapEditor, settings_with_map
from shopify_odoo.engine.reconcile import SweepRow, sweep
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.engine.stock import sync_products
from shopify_odoo.engine.stock_world import read_world
from shopify_odoo.store.tables import inflight_lines, product_links, stock_pushes
from shopify_odoo.sync.model import Route
from shopify_odoo.sync.stock import plan_stock

SPOT_PER_GROUP = 4


class UnknownLocation(LookupError):
    pass


def route_matches(route: Route, row: LocationRow) -> bool:
    kind, value = location_key(row.shopify_location)
    if route.store != row.store:
        return False
    if kind == "id":
        return route.location_gid.rsplit("/", 1)[-1] == value
    return route.location_name.casefold() == value


async def _row(editor: MapEditor, store: str, location: str) -> LocationRow:
    for e in await editor.entries():
        if e.row.store == store and e.row.shopify_location == location:
            return e.row
    raise UnknownLocation(f'no location map row for "{location}" in store "{store}"')


def shadow(rt: Runtime, rows: Sequence[LocationRow]) -> Runtime:
    """A runtime sharing ``rt``'s clients and database whose map is ``rows`` (never closed)."""
    return dataclasses.replace(
        rt,
        settings=settings_with_map(rt.settings, rows),
        owns_db=False,
        _topology=None,
        _topology_lock=asyncio.Lock(),
    )


async def _enabled_copy(rt: Runtime, editor: MapEditor, row: LocationRow) -> Runtime:
    rows = [
        e.row.model_copy(update={"enabled": True}) if e.row == row else e.row
        for e in await editor.entries()
    ]
    return shadow(rt, rows)


@dataclass(frozen=True, slots=True)
class DryRun:
    store: str
    location: str
    enabled: bool
    rows: tuple[SweepRow, ...]
    levels: int
    mismatches: int
    problems: tuple[str, ...]


async def dry_run_location(
    rt: Runtime, editor: MapEditor, store: str, location: str, *, poll_interval: float = 0.05
) -> DryRun:
    """The diff enabling ``store``/``location`` would write (the ``sync --dry-run`` rows)."""
    row = await _row(editor, store, location)
    copy = await _enabled_copy(rt, editor, row)
    topo = await copy.topology()
    problems = tuple(
        p.message for p in topo.problems if p.store == store and p.location == location
    )
    names = {r.location_name for r in topo.policy.routes if route_matches(r, row)}
    report = await sweep(copy, mode="dry_run", stores=[store], poll_interval=poll_interval)
    rows = tuple(r for r in report.rows if r.location in names)
    return DryRun(store, location, row.enabled, rows, report.levels, len(rows), problems)


async def _product_ids(rt: Runtime, skus: Sequence[str]) -> list[int]:
    t = product_links.c
    async with rt.db.connect() as conn:
        return sorted(
            {
                int(pid)
                for (pid,) in await conn.execute(
                    select(t.odoo_product_id).where(t.status == "linked", t.sku.in_(list(skus)))
                )
            }
        )


async def pilot(
    rt: Runtime, editor: MapEditor, store: str, location: str, skus: Sequence[str], *, actor: str
) -> tuple[int, list[str]]:
    """Push the targets of ``skus`` once, including at the (still disabled) location.

    Returns the levels written and the SKUs that have no linked product.
    """
    row = await _row(editor, store, location)
    wanted = [s.strip() for s in skus if s.strip()]
    pids = await _product_ids(rt, wanted)
    async with rt.db.connect() as conn:
        t = product_links.c
        known = {
            sku
            for (sku,) in await conn.execute(
                select(t.sku).where(t.status == "linked", t.sku.in_(wanted))
            )
        }
    missing = [s for s in wanted if s not in known]
    written = 0
    if pids:
        copy = await _enabled_copy(rt, editor, row)
        result = await sync_products(copy, pids, apply=True)
        written = result.writes_applied
    async with rt.db.begin() as conn:
        await record_audit(
            conn,
            actor=actor,
            action="cutover.pilot",
            target=f"{store}/{location}",
            detail={"skus": wanted, "levels_written": written},
        )
    return written, missing


async def enable_locations(
    rt: Runtime, editor: MapEditor, targets: Sequence[tuple[str, str]], *, actor: str
) -> int:
    """Enable these map rows (store, location); marks every linked product's stock dirty."""
    done = 0
    for store, location in targets:
        await _row(editor, store, location)  # refuses unknown rows before changing anything
    for store, location in targets:
        if await editor.set_enabled(store, location, True, actor=actor):
            done += 1
            async with rt.db.begin() as conn:
                await record_audit(
                    conn, actor=actor, action="cutover.enable", target=f"{store}/{location}"
                )
    if done:
        await rt.topology(refresh=True)
        await mark_all_stock(rt)
    return done


async def disabled_rows(editor: MapEditor) -> list[tuple[str, str]]:
    return [
        (e.row.store, e.row.shopify_location)
        for e in await editor.entries()
        if not e.row.enabled and not e.row.excluded
    ]


# -- spot-check ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpotLevel:
    store: str
    location: str
    shown: int
    target: int


@dataclass(frozen=True, slots=True)
class SpotItem:
    group: str
    sku: str
    product_id: int
    sellable: str
    in_flight: int
    levels: tuple[SpotLevel, ...]

    @property
    def agrees(self) -> bool:
        return all(lv.shown == lv.target for lv in self.levels)


async def _groups(rt: Runtime) -> dict[str, list[int]]:
    three_pl = [r for r in rt.settings.location_map if r.type == "3pl" and r.active]
    topo = await rt.topology()
    three_pl_gids = {
        route.location_gid
        for route in topo.policy.routes
        for r in three_pl
        if route_matches(route, r)
    }
    async with rt.db.connect() as conn:
        return await sample_groups(conn, three_pl_gids, multi_pool=len(topo.policy.pools) > 1)


async def sample_groups(
    conn: AsyncConnection, three_pl_gids: set[str], *, multi_pool: bool
) -> dict[str, list[int]]:
    """Odoo product ids of each spot-check group (at most ``SPOT_PER_GROUP`` each)."""
    t = product_links.c
    f = inflight_lines.c
    s = stock_pushes.c
    groups: dict[str, list[int]] = {}
    groups["top sellers"] = [
        int(pid)
        for pid, _n in await conn.execute(
            select(f.odoo_product_id, func.sum(f.qty).label("n"))
            .where(f.odoo_product_id.is_not(None), f.state != "cancelled")
            .group_by(f.odoo_product_id)
            .order_by(func.sum(f.qty).desc(), f.odoo_product_id)
            .limit(SPOT_PER_GROUP)
        )
    ]
    big = (
        select(t.product_gid)
        .where(t.status == "linked", t.product_gid.is_not(None))
        .group_by(t.store, t.product_gid)
        .having(func.count() > 1)
        .order_by(func.count().desc(), t.product_gid)
        .limit(1)
    )
    groups["multi-variant products"] = sorted(
        {
            int(pid)
            for (pid,) in await conn.execute(
                select(t.odoo_product_id).where(t.product_gid.in_(big))
            )
        }
    )[:SPOT_PER_GROUP]
    # linked products with the levels we pushed, one row per Odoo product
    pushed = (
        select(t.odoo_product_id)
        .join(stock_pushes, (s.store == t.store) & (s.inventory_item_gid == t.inventory_item_gid))
        .where(t.status == "linked")
        .group_by(t.odoo_product_id)
    )
    groups["low stock"] = [
        int(pid)
        for (pid,) in await conn.execute(
            pushed.order_by(func.min(s.last_available), t.odoo_product_id).limit(SPOT_PER_GROUP)
        )
    ]
    if three_pl_gids:
        groups["3PL items"] = [
            int(pid)
            for (pid,) in await conn.execute(
                pushed.where(s.location_gid.in_(sorted(three_pl_gids)))
                .order_by(func.max(s.at).desc(), t.odoo_product_id)
                .limit(SPOT_PER_GROUP)
            )
        ]
    if multi_pool:
        # stocked from more than one warehouse: levels written at several locations
        groups["multi-warehouse"] = [
            int(pid)
            for (pid,) in await conn.execute(
                pushed.where(s.last_available > 0)
                .having(func.count(s.location_gid.distinct()) > 1)
                .order_by(func.count(s.location_gid.distinct()).desc(), t.odoo_product_id)
                .limit(SPOT_PER_GROUP)
            )
        ]
    return groups


async def spot_check(rt: Runtime) -> list[SpotItem]:
    """Both sides of a sample of products, level by level (read now; nothing written)."""
    groups = await _groups(rt)
    pids = sorted({p for ps in groups.values() for p in ps})
    if not pids:
        return []
    topo = await rt.topology()
    read = await read_world(rt, pids)
    plan = plan_stock(read.world, read.ledger, topo.policy)
    names = topo.location_names
    by_pid: dict[int, list[SpotLevel]] = {}
    for o in plan.outcomes:
        by_pid.setdefault(o.product_id, []).append(
            SpotLevel(
                o.key.store,
                names.get(o.key.store, {}).get(o.key.location_gid, o.key.location_gid),
                o.shown,
                o.target,
            )
        )
    sellable: dict[int, tuple[str, int]] = {}
    for f in plan.figures:
        text, flight = sellable.get(f.product_id, ("", 0))
        part = f"{f.pool}: {f.sellable.normalize():f}"
        sellable[f.product_id] = (f"{text}, {part}" if text else part, flight + f.in_flight)
    sku_of = {i.product_id: i.sku for i in read.world.items}
    out = []
    for group, ids in groups.items():
        for pid in ids:
            if pid not in sku_of:
                continue
            text, flight = sellable.get(pid, ("-", 0))
            levels = sorted(by_pid.get(pid, []), key=lambda lv: (lv.store, lv.location))
            out.append(SpotItem(group, sku_of[pid], pid, text, flight, tuple(levels)))
    return out
