"""Rules across rows: the location map, shared pools and per-SKU buffers.

Each function takes ``(index, item)`` pairs of items that passed type validation, so the
loader can run them even when other rows were broken, and reports every problem it finds.
``validate_location_rows`` runs the same rules on an edited location map (dashboard).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import ValidationError

from .credentials import check_exposure, check_odoo, check_stores, unknown_store
from .messages import problems_from_validation
from .models import (
    DashboardSettings,
    LocationRow,
    OdooSettings,
    PoolSettings,
    Settings,
    SkuBuffer,
    StoreSettings,
    SyncSettings,
    location_key,
)
from .problems import Problem, show

T = TypeVar("T")
Indexed = Sequence[tuple[int, T]]
#: the store handles, or None when the stores are unreadable (then no "unknown store" rule)
Handles = Sequence[str] | None


def _unknown(handle: str, handles: Handles) -> bool:
    return handles is not None and handle not in handles


def _parts(name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in name.split("/"))


def _inside(inner: str, outer: str) -> bool:
    """Whether Odoo location ``inner`` is a strict descendant of ``outer`` (by complete name)."""
    a, b = _parts(inner), _parts(outer)
    return len(a) > len(b) and a[: len(b)] == b


def _overlaps(a: Sequence[str], b: Sequence[str]) -> str | None:
    for x in a:
        for y in b:
            if _parts(x) == _parts(y) or _inside(x, y) or _inside(y, x):
                return x
    return None


def check_row(index: int, row: LocationRow, handles: Handles) -> list[Problem]:
    path = f"location_map[{index}]"
    problems: list[Problem] = []
    if _unknown(row.store, handles):
        problems.append(unknown_store(f"{path}.store", row.store, handles or []))
    if not row.odoo_locations and not row.excluded:
        problems.append(
            Problem(
                f"{path}.odoo_locations",
                f"empty: Shopify location {show(row.shopify_location)} needs the Odoo "
                "location(s) whose stock it sells",
                'List complete location names, e.g. odoo_locations = ["WH/Stock"], or set '
                "excluded = true",
            )
        )
    seen: list[str] = []
    for name in row.odoo_locations:
        if not name.strip():
            problems.append(
                Problem(
                    f"{path}.odoo_locations",
                    "contains an empty name",
                    'Remove it; names look like "WH/Stock"',
                )
            )
            continue
        if any(_parts(name) == _parts(other) for other in seen):
            problems.append(
                Problem(f"{path}.odoo_locations", f"lists {show(name)} twice", "Remove one")
            )
            continue
        for other in seen:
            inner, outer = (name, other) if _inside(name, other) else (other, name)
            if _inside(inner, outer):
                problems.append(
                    Problem(
                        f"{path}.odoo_locations",
                        f"{show(inner)} is inside {show(outer)}: Odoo's quantities of a "
                        "location include its children, so that stock would count twice",
                        f"Remove {show(inner)} (keep {show(outer)}), or list {show(inner)} "
                        f"instead of {show(outer)}",
                    )
                )
        seen.append(name)
    return problems


def check_location_map(rows: Indexed[LocationRow], handles: Handles) -> list[Problem]:
    problems: list[Problem] = []
    mapped: dict[tuple[str, tuple[str, str]], int] = {}
    pool_locations: dict[str, tuple[int, list[str]]] = {}
    for index, row in rows:
        problems += check_row(index, row, handles)
        key = (row.store, row.location_key)
        if key in mapped:
            problems.append(
                Problem(
                    f"location_map[{index}].shopify_location",
                    f"Shopify location {show(row.shopify_location)} of store {show(row.store)} "
                    f"is already mapped by location_map[{mapped[key]}]",
                    "Keep one row per Shopify location: merge the two rows or delete one",
                )
            )
        else:
            mapped[key] = index
        if row.pool:
            first = pool_locations.get(row.pool)
            if first is None:
                pool_locations[row.pool] = (index, sorted(row.odoo_locations))
            elif first[1] != sorted(row.odoo_locations) and row.odoo_locations:
                problems.append(
                    Problem(
                        f"location_map[{index}].pool",
                        f"pool {show(row.pool)} is used by location_map[{first[0]}] with "
                        f"odoo_locations {show(first[1])}, this row has "
                        f"{show(sorted(row.odoo_locations))}",
                        "Rows of one pool must list the same Odoo locations: align them or "
                        "give this row another pool",
                    )
                )
    drawing = [(i, r) for i, r in rows if r.draws_stock and r.odoo_locations]
    for pos, (i, a) in enumerate(drawing):
        for j, b in drawing[pos + 1 :]:
            if a.pool_name == b.pool_name:
                continue
            shared = _overlaps(b.odoo_locations, a.odoo_locations)
            if shared is not None:
                problems.append(
                    Problem(
                        f"location_map[{j}].odoo_locations",
                        f"{show(shared)} overlaps pool {show(a.pool_name)} of "
                        f"location_map[{i}]; the two pools each offer the same units",
                        "Give rows that sell the same Odoo stock one pool (same odoo_locations "
                        "or the same pool name) if they must not oversell each other",
                        "warning",
                    )
                )
    return problems


def check_pools(
    pools: Indexed[PoolSettings], rows: Indexed[LocationRow], handles: Handles
) -> list[Problem]:
    problems: list[Problem] = []
    names: dict[str, int] = {}
    for k, pool in pools:
        path = f"pools[{k}]"
        if pool.name in names:
            problems.append(
                Problem(
                    f"{path}.name",
                    f"{show(pool.name)} is also the name of pools[{names[pool.name]}]",
                    "Give each pool one [[pools]] table",
                )
            )
            continue
        names[pool.name] = k
        users = [(i, r) for i, r in rows if r.pool_name == pool.name]
        if not users:
            problems.append(
                Problem(
                    f"{path}.name",
                    f"no location_map row draws on pool {show(pool.name)}",
                    f'Set pool = "{pool.name}" on the rows that share it, or remove this table',
                    "warning",
                )
            )
        if pool.allocation == "shared":
            if pool.split:
                problems.append(
                    Problem(
                        f"{path}.split",
                        'percentages are given but allocation is "shared"',
                        'Set allocation = "split", or remove split',
                    )
                )
            continue
        problems += _check_split(path, pool, users, handles)
    return problems


def _check_split(
    path: str, pool: PoolSettings, users: Indexed[LocationRow], handles: Handles
) -> list[Problem]:
    problems: list[Problem] = []
    if not pool.split:
        return [
            Problem(
                f"{path}.split",
                'missing: allocation "split" needs a percentage per store',
                "Add e.g. split = { eu = 60, us = 40 } (adding up to 100), or set "
                'allocation = "shared"',
            )
        ]
    for handle, share in pool.split.items():
        if _unknown(handle, handles):
            problems.append(unknown_store(f"{path}.split.{handle}", handle, handles or []))
        if share <= 0 or share > 100:
            problems.append(
                Problem(
                    f"{path}.split.{handle}",
                    f"{share} is not a percentage between 0 (excluded) and 100",
                    "Give a share above 0 and at most 100, or remove the store",
                )
            )
    total = sum(pool.split.values(), Decimal(0))
    if total != 100:
        listing = " + ".join(f"{h} {v}" for h, v in pool.split.items())
        problems.append(
            Problem(
                f"{path}.split",
                f"shares add up to {total}, not 100 ({listing})",
                "Adjust the percentages so they add up to exactly 100",
            )
        )
    drawing: dict[str, int] = {}
    for i, row in users:
        if row.draws_stock:
            drawing.setdefault(row.store, i)
    for handle, i in drawing.items():
        if handle not in pool.split:
            problems.append(
                Problem(
                    f"{path}.split",
                    f"store {show(handle)} sells this pool (location_map[{i}]) but has no share",
                    f"Add {handle} = <percent> to {path}.split and keep the total at 100",
                )
            )
    for handle in pool.split:
        if handles is not None and handle in handles and handle not in drawing:
            problems.append(
                Problem(
                    f"{path}.split.{handle}",
                    f"store {show(handle)} has a share but no active row draws on this pool",
                    "Remove the share, or map one of its locations to the pool",
                    "warning",
                )
            )
    return problems


def check_sku_buffers(
    items: Indexed[SkuBuffer], rows: Indexed[LocationRow], handles: Handles
) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[tuple[str, str | None, tuple[str, str] | None], int] = {}
    for k, item in items:
        path = f"sku_buffers[{k}]"
        if not item.sku.strip() or item.sku != item.sku.strip():
            problems.append(
                Problem(
                    f"{path}.sku",
                    f"{show(item.sku)} has blank space around it or is blank",
                    "Write the SKU exactly as in Odoo and Shopify",
                )
            )
        if item.store is not None and _unknown(item.store, handles):
            problems.append(unknown_store(f"{path}.store", item.store, handles or []))
        loc = location_key(item.shopify_location) if item.shopify_location else None
        if loc is not None and item.store is None:
            problems.append(
                Problem(
                    f"{path}.store",
                    "missing: a shopify_location scope needs its store",
                    "Set store to the handle of the store that has this location",
                )
            )
        elif loc is not None and not any(
            r.store == item.store and r.location_key == loc for _, r in rows
        ):
            problems.append(
                Problem(
                    f"{path}.shopify_location",
                    f"{show(item.shopify_location)} is not mapped by any location_map row of "
                    f"store {show(item.store)}",
                    "Use the shopify_location exactly as in the location_map row",
                    "warning",
                )
            )
        key = (item.sku, item.store, loc)
        if key in seen:
            problems.append(
                Problem(
                    path,
                    f"SKU {show(item.sku)} already has a buffer for this scope in "
                    f"sku_buffers[{seen[key]}]",
                    "Keep one of the two",
                )
            )
        else:
            seen[key] = k
    return problems


def _stores_without_rows(
    stores: Indexed[StoreSettings], rows: Indexed[LocationRow]
) -> list[Problem]:
    mapped = {row.store for _, row in rows}
    return [
        Problem(
            f"stores[{index}]",
            f"store {show(store.handle)} has no location_map row, so no stock reaches it",
            f'Add a [[location_map]] row with store = "{store.handle}" for each of its Shopify '
            "locations (excluded = true for those to leave alone)",
            "warning",
        )
        for index, store in stores
        if store.handle not in mapped
    ]


def check_all(
    *,
    odoo: OdooSettings | None,
    stores: Indexed[StoreSettings],
    rows: Indexed[LocationRow],
    pools: Indexed[PoolSettings],
    sku_buffers: Indexed[SkuBuffer],
    dashboard: DashboardSettings | None,
    sync: SyncSettings | None,
    handles: Handles,
    store_count: int | None,
) -> list[Problem]:
    """Every rule beyond types, over the parts that passed type validation.

    ``handles`` are all store handles written in the file (even of stores with other errors),
    so rows are not reported against a store that merely failed elsewhere; ``None`` (and
    ``store_count`` None) when ``stores`` is not even a list.
    """
    problems = check_odoo(odoo) if odoo is not None else []
    problems += check_stores(stores)
    if store_count == 0:  # None: the stores did not even parse as a list
        problems.append(
            Problem(
                "stores",
                "no store is configured",
                "Add a [[stores]] table with handle, shop_domain and credentials "
                "(shopify-odoo init writes an example)",
            )
        )
    problems += check_location_map(rows, handles)
    problems += _stores_without_rows(stores, rows)
    problems += check_pools(pools, rows, handles)
    problems += check_sku_buffers(sku_buffers, rows, handles)
    if dashboard is not None and sync is not None:
        problems += check_exposure(dashboard, sync, bool(store_count))
    return problems


def check_settings(settings: Settings) -> list[Problem]:
    """Every rule beyond types, over complete settings (errors and warnings)."""
    return check_all(
        odoo=settings.odoo,
        stores=list(enumerate(settings.stores)),
        rows=list(enumerate(settings.location_map)),
        pools=list(enumerate(settings.pools)),
        sku_buffers=list(enumerate(settings.sku_buffers)),
        dashboard=settings.dashboard,
        sync=settings.sync,
        handles=[s.handle for s in settings.stores],
        store_count=len(settings.stores),
    )


def validate_location_rows(
    settings: Settings, rows: Sequence[LocationRow | Mapping[str, Any]]
) -> list[Problem]:
    """Problems of ``rows`` taken as the whole new location map of ``settings``.

    Rows may be models or plain mappings (a submitted form); type errors get the same messages
    as in the file.  Pools and SKU buffers are re-checked against the new rows.
    """
    problems: list[Problem] = []
    parsed: list[tuple[int, LocationRow]] = []
    for index, row in enumerate(rows):
        if isinstance(row, LocationRow):
            parsed.append((index, row))
            continue
        try:
            parsed.append((index, LocationRow.model_validate(dict(row))))
        except ValidationError as exc:
            problems += problems_from_validation(exc, prefix=("location_map", index))
    handles = [s.handle for s in settings.stores]
    problems += check_location_map(parsed, handles)
    problems += check_pools(list(enumerate(settings.pools)), parsed, handles)
    problems += check_sku_buffers(list(enumerate(settings.sku_buffers)), parsed, handles)
    return problems
