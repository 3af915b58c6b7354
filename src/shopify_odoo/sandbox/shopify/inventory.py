"""Inventory arithmetic and the events it emits (§a.2-§a.7, corrections 7-12)."""

from __future__ import annotations

from typing import Any

from .clock import rest_time
from .ids import gid
from .model import UNAVAILABLE_STATES, AdjustmentGroup, Level, Variant
from .views import level_gid
from .world import Store, World, new_event_id

#: Reason codes (§a.5); anything else → INVALID_REASON.
REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_created",
        "movement_updated",
        "movement_received",
        "movement_canceled",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)
#: ``reason`` comes back as a display label (correction 9).
REASON_LABELS = {
    "correction": "Inventory correction",
    "cycle_count_available": "Cycle count",
    "damaged": "Damaged",
    "received": "Received",
    "restock": "Restock",
    "shrinkage": "Shrinkage",
    "other": "Other",
}
ADJUSTABLE = frozenset({"available", "incoming", *UNAVAILABLE_STATES})

Change = tuple[str, int, int, int, int | None, str | None]


def set_quantity(level: Level, name: str, value: int) -> int:
    """Set ``available`` or ``on_hand``; returns the delta.  Setting on_hand moves available by
    the same delta (on_hand is derived, §a.2)."""
    delta = value - level.get(name)
    level.available += delta
    return delta


def adjust_quantity(level: Level, name: str, delta: int) -> None:
    if name in ("available", "incoming", "committed", *UNAVAILABLE_STATES):
        setattr(level, name, getattr(level, name) + delta)
    elif name == "on_hand":
        level.available += delta
    else:
        raise ValueError(f"quantity {name!r} is not adjustable")


def changes_for(
    name: str, delta: int, v: Variant, level: Level, ledger: str | None
) -> list[Change]:
    """The change rows, including derived ones (correction 9): available → also on_hand."""
    rows: list[Change] = [(name, delta, v.item_id, level.location_id, level.get(name), ledger)]
    if name in ("available", *UNAVAILABLE_STATES):
        rows.append(("on_hand", delta, v.item_id, level.location_id, level.on_hand, None))
    elif name == "on_hand":
        rows.append(("available", delta, v.item_id, level.location_id, level.available, None))
    return rows


def record_group(
    world: World, store: Store, reason: str, uri: str | None, changes: list[Change]
) -> AdjustmentGroup:
    group = AdjustmentGroup(world.new_id(), world.now(), reason, uri, changes)
    store.adjustment_groups[group.id] = group
    return group


def level_body(v: Variant, level: Level) -> dict[str, Any]:
    """``inventory_levels/update`` body: only ``available`` (samples README, correction 17)."""
    return {
        "admin_graphql_api_id": level_gid(level, v.item_id),
        "available": level.available,
        "inventory_item_id": v.item_id,
        "location_id": level.location_id,
        "updated_at": rest_time(level.updated_at),
    }


def item_body(v: Variant) -> dict[str, Any]:
    """``inventory_items/update`` body, shaped as the sample."""
    return {
        "admin_graphql_api_id": gid("InventoryItem", v.item_id),
        "cost": None,
        "country_code_of_origin": None,
        "country_harmonized_system_codes": [],
        "created_at": rest_time(v.created_at),
        "harmonized_system_code": None,
        "id": v.item_id,
        "province_code_of_origin": None,
        "requires_shipping": v.requires_shipping,
        "sku": v.sku,
        "tracked": v.tracked,
        "updated_at": rest_time(v.updated_at),
    }


def touch(world: World, v: Variant, level: Level) -> None:
    level.updated_at = world.now()


def emit_levels(
    world: World, store: Store, touched: list[tuple[Variant, Level]], event_id: str | None = None
) -> None:
    """One ``inventory_levels/update`` per level touched, our own writes included
    (correction 15: self-echo)."""
    if not world.wants(store, "inventory_levels/update"):
        return
    event_id = event_id or new_event_id()
    seen: set[tuple[int, int]] = set()
    for v, level in touched:
        key = (v.item_id, level.location_id)
        if key in seen:
            continue
        seen.add(key)
        world.emit(store, "inventory_levels/update", level_body(v, level), event_id)


def merchant_set(
    world: World, store: Store, v: Variant, location_id: int, name: str, value: int
) -> int:
    """A merchant edits stock in the admin: same effect and webhooks as the API write."""
    level = store.level(v, location_id)
    if level is None:
        raise LookupError(
            f"SKU {v.sku!r} is not stocked at location {location_id} in store {store.handle}: "
            "activate it first (inventoryActivate)"
        )
    if name in ("available", "on_hand"):
        delta = set_quantity(level, name, value)
    else:
        delta = value - level.get(name)
        adjust_quantity(level, name, delta)
    touch(world, v, level)
    record_group(world, store, "correction", None, changes_for(name, delta, v, level, None))
    emit_levels(world, store, [(v, level)])
    return delta
