"""The location map resolved against both systems: a :class:`StockPolicy` the planner can use.

Configuration rows name Shopify locations by name, numeric id or GID and Odoo locations by
complete name (``WH/Stock``) or a warehouse (its stock location).  ``resolve_topology`` reads
each store's locations and Odoo's locations/warehouses once and builds the pure policy; rows
that cannot be resolved become :class:`TopologyProblem` (named store, location, cause, fix) and
are left out, so they are never synced with a guessed mapping.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from shopify_odoo.config import LocationRow, Settings, location_key
from shopify_odoo.odoo.records import find_locations, list_warehouses
from shopify_odoo.shopify.models import Location
from shopify_odoo.sync.model import (
    Allocation,
    BufferOverride,
    Direction,
    Pool,
    Route,
    StockPolicy,
)

if TYPE_CHECKING:
    from shopify_odoo.engine.runtime import Runtime


@dataclass(frozen=True, slots=True)
class TopologyProblem:
    store: str
    location: str
    cause: str
    message: str


@dataclass(frozen=True, slots=True)
class Topology:
    policy: StockPolicy
    #: every Odoo location id any pool reads
    odoo_location_ids: tuple[int, ...]
    problems: tuple[TopologyProblem, ...] = ()
    #: store → Shopify location GID → name
    location_names: dict[str, dict[str, str]] = field(default_factory=dict)

    def routes_of(self, store: str) -> tuple[Route, ...]:
        return tuple(r for r in self.policy.routes if r.store == store)


def match_location(row_ref: str, locations: list[Location]) -> Location | None:
    kind, value = location_key(row_ref)
    for loc in locations:
        if kind == "id" and str(loc.legacy_id) == value:
            return loc
        if kind == "name" and loc.name.casefold() == value:
            return loc
    return None


def build_topology(
    settings: Settings,
    shop_locations: dict[str, list[Location]],
    odoo_ids: dict[str, int],
    warehouse_stock: dict[str, int],
) -> Topology:
    """Pure: rows + what both systems answered → policy (exposed for tests and benchmarks)."""
    problems: list[TopologyProblem] = []
    routes: list[Route] = []
    pool_locations: dict[str, list[int]] = {}
    names: dict[str, dict[str, str]] = {}
    resolved_rows: dict[tuple[str, str], str] = {}
    for row in settings.location_map:
        locs = shop_locations.get(row.store)
        if locs is None:
            continue
        loc = match_location(row.shopify_location, locs)
        if loc is None:
            problems.append(
                TopologyProblem(
                    row.store,
                    row.shopify_location,
                    "unmapped_location",
                    f'Store "{row.store}" has no location "{row.shopify_location}": fix '
                    "shopify_location in the location_map row (name, numeric id or GID as shown "
                    "in Shopify admin > Settings > Locations)",
                )
            )
            continue
        names.setdefault(row.store, {})[loc.id] = loc.name
        resolved_rows[(row.store, row.shopify_location)] = loc.id
        ids = _odoo_ids(row, odoo_ids, warehouse_stock, problems)
        if ids is None:
            continue
        pool_locations.setdefault(row.pool_name, [])
        for i in ids:
            if i not in pool_locations[row.pool_name]:
                pool_locations[row.pool_name].append(i)
        routes.append(
            Route(
                store=row.store,
                location_gid=loc.id,
                pool=row.pool_name,
                direction=Direction(row.direction),
                buffer=row.buffer,
                enabled=row.active,
                location_name=loc.name,
            )
        )
    pools = []
    for name, ids in sorted(pool_locations.items()):
        ps = settings.pool(name)
        pools.append(
            Pool(
                name=name,
                odoo_location_ids=tuple(ids),
                allocation=Allocation(ps.allocation),
                split=tuple(sorted((k, Decimal(v)) for k, v in ps.split.items())),
            )
        )
    overrides = []
    for b in settings.sku_buffers:
        gid = None
        if b.shopify_location is not None and b.store is not None:
            gid = resolved_rows.get((b.store, b.shopify_location))
            if gid is None:
                gid = _find_gid(b.shopify_location, shop_locations.get(b.store, []))
        overrides.append(BufferOverride(b.sku, b.buffer, b.store, gid))
    all_ids = sorted({i for ids in pool_locations.values() for i in ids})
    policy = StockPolicy(
        pools=tuple(pools), routes=tuple(routes), buffer_overrides=tuple(overrides)
    )
    return Topology(policy, tuple(all_ids), tuple(problems), names)


def _find_gid(ref: str, locs: list[Location]) -> str | None:
    loc = match_location(ref, locs)
    return loc.id if loc else None


def _odoo_ids(
    row: LocationRow,
    odoo_ids: dict[str, int],
    warehouse_stock: dict[str, int],
    problems: list[TopologyProblem],
) -> list[int] | None:
    ids: list[int] = []
    for name in row.odoo_locations:
        if name not in odoo_ids:
            problems.append(
                TopologyProblem(
                    row.store,
                    row.shopify_location,
                    "unknown_odoo_location",
                    f'Location map row of store "{row.store}", Shopify location '
                    f'"{row.shopify_location}": Odoo has no internal location "{name}": use the '
                    "complete name shown in Odoo (Inventory > Configuration > Locations)",
                )
            )
            return None
        ids.append(odoo_ids[name])
    if not ids and row.odoo_warehouse:
        wh = warehouse_stock.get(row.odoo_warehouse) or warehouse_stock.get(
            row.odoo_warehouse.casefold()
        )
        if wh is None:
            problems.append(
                TopologyProblem(
                    row.store,
                    row.shopify_location,
                    "unknown_odoo_warehouse",
                    f'Location map row of store "{row.store}", Shopify location '
                    f'"{row.shopify_location}": Odoo has no warehouse "{row.odoo_warehouse}": '
                    "use its short code or name (Inventory > Configuration > Warehouses)",
                )
            )
            return None
        ids.append(wh)
    if not ids and row.draws_stock:
        problems.append(
            TopologyProblem(
                row.store,
                row.shopify_location,
                "no_odoo_location",
                f'Location map row of store "{row.store}", Shopify location '
                f'"{row.shopify_location}" names no Odoo location: set odoo_locations or '
                "odoo_warehouse",
            )
        )
        return None
    return ids


async def resolve_topology(rt: Runtime) -> Topology:
    settings = rt.settings
    handles = [s.handle for s in settings.stores]
    answers = await asyncio.gather(*(rt.shop(h).locations() for h in handles))
    shop_locations = dict(zip(handles, answers, strict=True))
    wanted = sorted({n for row in settings.location_map for n in row.odoo_locations})
    found = await find_locations(rt.odoo, wanted) if wanted else []
    odoo_ids = {loc.complete_name: loc.id for loc in found}
    warehouse_stock: dict[str, int] = {}
    if any(row.odoo_warehouse and not row.odoo_locations for row in settings.location_map):
        for wh in await list_warehouses(rt.odoo):
            if wh.lot_stock_id is not None:
                warehouse_stock[wh.code] = wh.lot_stock_id
                warehouse_stock[wh.name.casefold()] = wh.lot_stock_id
    return build_topology(settings, shop_locations, odoo_ids, warehouse_stock)
