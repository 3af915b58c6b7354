"""The location map as the dashboard edits it: configuration rows plus rows saved in the database.

A row saved from the dashboard (table ``location_map``) replaces the configuration's row of the
same Shopify location of the same store (compared as :func:`config.location_key` does: numeric
id, GID or name), or adds a new one.  The effective map is validated with the configuration's
own rules (:func:`config.validate_location_rows`, same messages), then put into the running
:class:`Runtime` (its settings and its resolved topology), so the engine uses it at once, and
every change is written to ``audit_log`` with who and when.

``MapEditor(rt).apply_saved()`` at start-up (``web.dashboard.create_site`` does it in the app's
lifespan) makes a process use the rows saved earlier.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.config import LocationRow, Problem, Settings, validate_location_rows
from shopify_odoo.engine.dashboard_audit import record_audit
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.store.tables import location_map
from shopify_odoo.store.types import utcnow


@dataclass(frozen=True, slots=True)
class MapEntry:
    """One row of the effective map and where it comes from."""

    row: LocationRow
    #: "config" (the file), "saved" (the dashboard, overriding or adding)
    origin: str
    overrides_config: bool = False


def _row_values(row: LocationRow, now: datetime) -> dict[str, Any]:
    return {
        "store": row.store,
        "shopify_location_name": row.shopify_location,
        "location_type": row.type or "",
        "odoo_warehouse": row.odoo_warehouse,
        "odoo_location_ids": list(row.odoo_locations),
        "company_id": row.company,
        "enabled": row.enabled,
        "excluded": row.excluded,
        "direction": row.direction,
        "buffer": row.buffer,
        "pool": row.pool,
        "notes": row.notes,
        "fulfilled_by": row.fulfilled_by,
        "updated_at": now,
    }


def _row_of(r: Any) -> LocationRow:
    return LocationRow(
        store=r.store,
        shopify_location=r.shopify_location_name,
        type=r.location_type or None,
        odoo_warehouse=r.odoo_warehouse,
        odoo_locations=list(r.odoo_location_ids or []),
        company=r.company_id,
        enabled=bool(r.enabled),
        excluded=bool(r.excluded),
        direction=r.direction,
        buffer=int(r.buffer or 0),
        pool=r.pool,
        notes=r.notes or "",
        fulfilled_by=r.fulfilled_by,
    )


async def saved_rows(conn: AsyncConnection) -> list[LocationRow]:
    rows = await conn.execute(select(location_map).order_by(location_map.c.id))
    return [_row_of(r) for r in rows]


def merge_rows(config_rows: Sequence[LocationRow], saved: Sequence[LocationRow]) -> list[MapEntry]:
    """The effective map: configuration rows, each replaced by its saved row, then new rows."""
    by_key = {(r.store, r.location_key): r for r in saved}
    used: set[tuple[str, tuple[str, str]]] = set()
    out: list[MapEntry] = []
    for row in config_rows:
        key = (row.store, row.location_key)
        if key in by_key and key not in used:
            used.add(key)
            out.append(MapEntry(by_key[key], "saved", overrides_config=True))
        else:
            out.append(MapEntry(row, "config"))
    for row in saved:
        key = (row.store, row.location_key)
        if key not in used:
            used.add(key)
            out.append(MapEntry(row, "saved"))
    return out


def settings_with_map(settings: Settings, rows: Sequence[LocationRow]) -> Settings:
    return settings.model_copy(update={"location_map": list(rows)})


async def effective_map(rt: Runtime, config_rows: Sequence[LocationRow]) -> list[MapEntry]:
    async with rt.db.connect() as conn:
        return merge_rows(config_rows, await saved_rows(conn))


class MapEditor:
    """Edits of one process's location map (keeps the configuration's rows to merge onto)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.config_rows: tuple[LocationRow, ...] = tuple(rt.settings.location_map)

    async def entries(self) -> list[MapEntry]:
        return await effective_map(self.rt, self.config_rows)

    async def apply_saved(self) -> None:
        """Make the runtime use the effective map (at start-up, and after every change)."""
        rows = [e.row for e in await self.entries()]
        if list(self.rt.settings.location_map) != rows:
            self.rt.settings = settings_with_map(self.rt.settings, rows)
            self.rt._topology = None  # resolved again on next use

    def check(
        self, entries: Sequence[MapEntry], row: LocationRow | dict[str, Any]
    ) -> tuple[list[Problem], int]:
        """Problems of the map with ``row`` saved (replacing its location's row); and the index
        the row takes in the map (problem paths name ``location_map[<index>]``)."""
        rows: list[LocationRow | dict[str, Any]] = []
        index = -1
        if isinstance(row, LocationRow):
            parsed: LocationRow | None = row
        else:
            try:
                parsed = LocationRow.model_validate(dict(row))
            except ValueError:
                parsed = None
        for i, e in enumerate(entries):
            same = (
                parsed is not None
                and e.row.store == parsed.store
                and e.row.location_key == parsed.location_key
            )
            if same:
                rows.append(row)
                index = i
            else:
                rows.append(e.row)
        if index < 0:
            index = len(rows)
            rows.append(row)
        return validate_location_rows(self.rt.settings, rows), index

    async def save(self, row: LocationRow, *, actor: str) -> list[Problem]:
        """Save ``row`` (validated with the whole map); returns the problems (none: saved)."""
        entries = await self.entries()
        problems, _ = self.check(entries, row)
        if any(p.is_error for p in problems):
            return problems
        now = utcnow()
        t = location_map.c
        async with self.rt.db.begin() as conn:
            existing = await saved_rows(conn)
            for old in existing:
                if old.store == row.store and old.location_key == row.location_key:
                    await conn.execute(
                        delete(location_map).where(
                            t.store == old.store, t.shopify_location_name == old.shopify_location
                        )
                    )
            await conn.execute(location_map.insert().values(**_row_values(row, now)))
            await record_audit(
                conn,
                actor=actor,
                action="location_map.save",
                target=f"{row.store}/{row.shopify_location}",
                detail=row.model_dump(mode="json"),
                now=now,
            )
        await self.apply_saved()
        return problems

    async def revert(self, store: str, location: str, *, actor: str) -> bool:
        """Drop the saved row of ``store``/``location`` (the configuration's row applies again)."""
        t = location_map.c
        async with self.rt.db.begin() as conn:
            result = await conn.execute(
                delete(location_map).where(t.store == store, t.shopify_location_name == location)
            )
            gone = bool(result.rowcount)
            if gone:
                await record_audit(
                    conn, actor=actor, action="location_map.revert", target=f"{store}/{location}"
                )
        await self.apply_saved()
        return gone

    async def set_enabled(self, store: str, location: str, enabled: bool, *, actor: str) -> bool:
        """Enable or disable one row (cutover); saved as a dashboard row.  False: no such row."""
        for e in await self.entries():
            if e.row.store == store and e.row.shopify_location == location:
                row = e.row.model_copy(update={"enabled": enabled})
                problems = await self.save(row, actor=actor)
                return not any(p.is_error for p in problems)
        return False


#: seconds one side may take to list its locations for the map page
SIDE_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class ShopifySide:
    store: str
    #: (name, numeric id, GID, active, mapped)
    locations: tuple[tuple[str, int, str, bool, bool], ...]
    error: str = ""


@dataclass(frozen=True, slots=True)
class OdooSide:
    #: (complete name, id, usage, company id, used by a row)
    locations: tuple[tuple[str, int, str, int | None, bool], ...]
    #: (code, name, stock location id)
    warehouses: tuple[tuple[str, str, int | None], ...]
    error: str = ""


async def location_sides(
    rt: Runtime, entries: Sequence[MapEntry]
) -> tuple[list[ShopifySide], OdooSide]:
    """Every store's Shopify locations and Odoo's internal locations and warehouses, each
    flagged with whether a row of the map uses it (read live from both systems)."""
    from shopify_odoo.config import location_key
    from shopify_odoo.odoo.records import find_locations, list_warehouses

    shops = []
    for store in rt.settings.stores:
        keys = {e.row.location_key for e in entries if e.row.store == store.handle}
        try:
            locs = await asyncio.wait_for(rt.shop(store.handle).locations(), SIDE_TIMEOUT)
        except TimeoutError:
            shops.append(ShopifySide(store.handle, (), f"no answer within {SIDE_TIMEOUT:g}s"))
            continue
        except Exception as exc:
            shops.append(ShopifySide(store.handle, (), f"{type(exc).__name__}: {exc}"[:300]))
            continue
        shops.append(
            ShopifySide(
                store.handle,
                tuple(
                    (
                        loc.name,
                        loc.legacy_id,
                        loc.id,
                        loc.is_active,
                        location_key(loc.name) in keys or ("id", str(loc.legacy_id)) in keys,
                    )
                    for loc in locs
                ),
            )
        )
    used = {n for e in entries for n in e.row.odoo_locations}
    used_wh = {e.row.odoo_warehouse.casefold() for e in entries if e.row.odoo_warehouse}
    try:
        odoo_locs, warehouses = await asyncio.wait_for(
            asyncio.gather(
                find_locations(rt.odoo, None, usage=("internal",)), list_warehouses(rt.odoo)
            ),
            SIDE_TIMEOUT,
        )
    except TimeoutError:
        return shops, OdooSide((), (), f"no answer within {SIDE_TIMEOUT:g}s")
    except Exception as exc:
        return shops, OdooSide((), (), f"{type(exc).__name__}: {exc}"[:300])
    stock_of_used_wh = {
        w.lot_stock_id
        for w in warehouses
        if w.code.casefold() in used_wh or w.name.casefold() in used_wh
    }
    return shops, OdooSide(
        tuple(
            (
                loc.complete_name,
                loc.id,
                loc.usage,
                loc.company_id,
                loc.complete_name in used or loc.id in stock_of_used_wh,
            )
            for loc in odoo_locs
            if loc.active
        ),
        tuple((w.code, w.name, w.lot_stock_id) for w in warehouses),
    )
