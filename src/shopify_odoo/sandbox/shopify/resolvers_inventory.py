"""Inventory mutations: inventorySetQuantities, inventoryAdjustQuantities, inventoryActivate,
with ``changeFromQuantity`` (correction 7) and ``@idempotent`` (§a.6)."""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError, value_from_ast_untyped

from .clock import iso
from .gql import Ctx, field
from .ids import gid, gid_id
from .info import Info
from .inventory import (
    ADJUSTABLE,
    REASON_LABELS,
    REASONS,
    Change,
    adjust_quantity,
    changes_for,
    emit_levels,
    record_group,
    set_quantity,
    touch,
)
from .model import AdjustmentGroup, Level, Variant
from .resolvers_catalog import MAX_INPUT, input_size_error
from .views import Item
from .world import Store

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
SET_LIMIT = 1_000_000_000  # §a.3 INVALID_QUANTITY_TOO_HIGH / TOO_LOW
ADJUST_LIMIT = 2_000_000_000  # correction 11a


def _ctx(info: Info) -> Ctx:
    ctx: Ctx = info.context
    return ctx


# ------------------------------------------------------------------ @idempotent (§a.6)


def idempotency_key(info: Info, *, required: bool) -> str | None:
    for node in info.field_nodes:
        for d in node.directives or ():
            if d.name.value != "idempotent":
                continue
            for arg in d.arguments or ():
                if arg.name.value == "key":
                    vv = info.variable_values
                    raw: Any = getattr(vv, "coerced", vv)
                    value = value_from_ast_untyped(arg.value, raw)
                    if not isinstance(value, str) or not value.strip():
                        # wording of the directive's description in the 2026-04 schema
                        raise GraphQLError(
                            "The idempotency key cannot be an empty string or whitespace only."
                        )
                    return value
    if required:
        # 2026-04: required at runtime on inventory mutations (§a.6); exact message [U]
        raise GraphQLError(
            f"The @idempotent directive is required for {info.field_name} in API version "
            f"{_ctx(info).version}: add @idempotent(key: <uuid>) to the mutation field.",
            extensions={"code": "BAD_REQUEST"},
        )
    return None


def replay(info: Info, key: str | None, args: dict[str, Any], coded: bool) -> Any:
    """The stored result for a replayed key; a mismatch payload for a reused key; else None."""
    if key is None:
        return None
    store = _ctx(info).store
    hit = store.idempotency.get(key)
    if hit is None:
        return None
    first, payload = hit
    # the coerced arguments of the first call are kept and compared whole (no hashing: a
    # 250-quantity input compares in microseconds)
    if first == (info.field_name, args):
        return payload  # same key, same input: the first result, nothing applied again
    err: dict[str, Any] = {
        "field": ["idempotencyKey"],
        "message": "The idempotency key was already used with different parameters.",
    }
    if coded:
        err["code"] = "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    return {"inventoryAdjustmentGroup": None, "inventoryLevel": None, "userErrors": [err]}


def remember(info: Info, key: str | None, args: dict[str, Any], payload: Any) -> Any:
    if key is not None:
        _ctx(info).store.idempotency[key] = ((info.field_name, args), payload)
    return payload


# ------------------------------------------------------------------ helpers


def _err(code: str | None, path: list[str], message: str) -> dict[str, Any]:
    return {"code": code, "field": path, "message": message}


def _reason_and_uri_errors(reason: Any, uri: Any) -> list[dict[str, Any]]:
    """The checks ``inventorySetQuantities`` and ``inventoryAdjustQuantities`` share."""
    errors: list[dict[str, Any]] = []
    if reason not in REASONS:
        errors.append(
            _err("INVALID_REASON", ["input", "reason"], f"The reason {reason!r} is not valid.")
        )
    if uri is not None and not _URI.match(uri):
        errors.append(
            _err(
                "INVALID_REFERENCE_DOCUMENT",
                ["input", "referenceDocumentUri"],
                "The reference document URI is not a valid URI.",
            )
        )
    return errors


def _resolve_row(
    store: Store, row: dict[str, Any], path: list[str], errors: list[dict[str, Any]]
) -> tuple[Variant, Level] | None:
    item_id = gid_id(row.get("inventoryItemId"), "InventoryItem")
    v = store.items.get(item_id) if item_id is not None else None
    if v is None:
        errors.append(
            _err(
                "INVALID_INVENTORY_ITEM",
                [*path, "inventoryItemId"],
                f"The specified inventory item could not be found: {row.get('inventoryItemId')}.",
            )
        )
        return None
    loc_id = gid_id(row.get("locationId"), "Location")
    loc = store.location(loc_id) if loc_id is not None else None
    if loc is None:
        errors.append(
            _err(
                "INVALID_LOCATION",
                [*path, "locationId"],
                f"The specified location could not be found: {row.get('locationId')}.",
            )
        )
        return None
    level = v.levels[loc.index] if loc.index < len(v.levels) else None
    if level is None or not level.active:
        # ≤ 2026-07: not stocked → ITEM_NOT_STOCKED_AT_LOCATION (§a.7)
        errors.append(
            _err(
                "ITEM_NOT_STOCKED_AT_LOCATION",
                [*path, "locationId"],
                f"The item {v.sku!r} is not stocked at {loc.name}: activate it with "
                "inventoryActivate.",
            )
        )
        return None
    return v, level


def _payload(group: AdjustmentGroup | None, errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"inventoryAdjustmentGroup": group, "userErrors": errors}


# ------------------------------------------------------------------ inventorySetQuantities


def _check_set_row(
    store: Store, name: str, row: dict[str, Any], i: int, errors: list[dict[str, Any]]
) -> tuple[Variant, Level] | None:
    """The slow path of one inventorySetQuantities row: every check, each failure worded.
    Returns the row's (variant, level) when it may proceed to the duplicate/CAS checks."""
    path = ["input", "quantities", str(i)]
    qty = row["quantity"]
    if qty > SET_LIMIT:
        errors.append(
            _err(
                "INVALID_QUANTITY_TOO_HIGH",
                [*path, "quantity"],
                "The quantity can't be higher than 1,000,000,000.",
            )
        )
    elif qty < -SET_LIMIT:
        errors.append(
            _err(
                "INVALID_QUANTITY_TOO_LOW",
                [*path, "quantity"],
                "The quantity can't be lower than -1,000,000,000.",
            )
        )
    elif qty < 0 and name == "on_hand":
        # inference: on_hand is a physical count; available may go negative (oversold)
        errors.append(
            _err(
                "INVALID_QUANTITY_NEGATIVE",
                [*path, "quantity"],
                "The on_hand quantity can't be negative.",
            )
        )
    got = _resolve_row(store, row, path, errors)
    if got is None:
        return None
    if "changeFromQuantity" not in row:
        # correction 7: omitted ≠ null; omitted → error (exact error [U])
        errors.append(
            _err(
                "COMPARE_QUANTITY_REQUIRED",
                [*path, "changeFromQuantity"],
                "changeFromQuantity is mandatory: pass the quantity you last read, or "
                "null to skip the check.",
            )
        )
        return None
    return got


@field("Mutation", "inventorySetQuantities")
def _set_quantities(_: Any, info: Info, input: dict[str, Any]) -> Any:
    rows = input.get("quantities") or []
    if len(rows) > MAX_INPUT:
        raise input_size_error(len(rows))
    key = idempotency_key(info, required=True)
    args = {"input": input}
    prior = replay(info, key, args, coded=True)
    if prior is not None:
        return prior
    ctx = _ctx(info)
    store = ctx.store
    name, reason, uri = input["name"], input["reason"], input.get("referenceDocumentUri")
    errors: list[dict[str, Any]] = []
    if name not in ("available", "on_hand"):
        errors.append(
            _err(
                "INVALID_NAME",
                ["input", "name"],
                f"The quantity name {name!r} is not valid: use available or on_hand.",
            )
        )
    errors += _reason_and_uri_errors(reason, uri)
    resolved: list[tuple[Variant, Level, int]] = []
    seen: set[tuple[int, int]] = set()
    items = store.items
    # location GID → level index, for the rows of the common shape (valid GIDs, stocked)
    loc_index = {gid("Location", loc.id): loc.index for loc in store.locations}
    item_prefix = "gid://shopify/InventoryItem/"
    for i, row in enumerate(rows):
        qty = row["quantity"]
        item_gid = row["inventoryItemId"]
        idx = loc_index.get(row["locationId"])
        found: tuple[Variant, Level] | None = None
        v = (
            items.get(int(item_gid[28:]))
            if item_gid.startswith(item_prefix) and item_gid[28:].isdigit()
            else None
        )
        if v is not None and idx is not None and idx < len(v.levels):
            lv = v.levels[idx]
            if (
                lv is not None
                and lv.active
                and -SET_LIMIT <= qty <= SET_LIMIT
                and not (qty < 0 and name == "on_hand")
                and "changeFromQuantity" in row
            ):
                found = (v, lv)
        if found is None:  # anything unusual: every check, each failure worded
            found = _check_set_row(store, name, row, i, errors)
            if found is None:
                continue
        v, level = found
        pair = (v.item_id, level.location_id)
        if pair in seen:
            errors.append(
                _err(
                    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    ["input", "quantities", str(i)],
                    "The combination of inventoryItemId and locationId must be unique.",
                )
            )
            continue
        seen.add(pair)
        expected = row["changeFromQuantity"]
        if (
            expected is not None
            and name in ("available", "on_hand")
            and expected != (current := level.get(name))
        ):
            errors.append(
                _err(
                    "CHANGE_FROM_QUANTITY_STALE",
                    ["input", "quantities", str(i), "changeFromQuantity"],
                    f"The {name} quantity of {v.sku!r} has changed: changeFromQuantity is "
                    f"{expected} but the current quantity is {current}.",
                )
            )
            continue
        resolved.append((v, level, qty))
    if errors:
        # all or nothing (§a.3 inference): nothing is applied when any row fails
        return remember(info, key, args, _payload(None, errors))
    changes: list[Change] = []
    touched: list[tuple[Variant, Level]] = []
    now = ctx.world.now()
    if name == "available":  # the stock push: inlined set_quantity + changes_for
        append = changes.append
        for v, level, qty in resolved:
            delta = qty - level.available
            level.available = qty
            level.updated_at = now
            item_id, location_id = v.item_id, level.location_id
            append(("available", delta, item_id, location_id, qty, None))
            append(("on_hand", delta, item_id, location_id, level.on_hand, None))
            touched.append((v, level))
    else:
        for v, level, qty in resolved:
            delta = set_quantity(level, name, qty)
            level.updated_at = now
            changes += changes_for(name, delta, v, level, None)
            touched.append((v, level))
    group = record_group(ctx.world, store, reason, uri, changes)
    emit_levels(ctx.world, store, touched)
    return remember(info, key, args, _payload(group, []))


# ------------------------------------------------------------------ inventoryAdjustQuantities


@field("Mutation", "inventoryAdjustQuantities")
def _adjust_quantities(_: Any, info: Info, input: dict[str, Any]) -> Any:
    rows = input.get("changes") or []
    if len(rows) > MAX_INPUT:
        raise input_size_error(len(rows))
    key = idempotency_key(info, required=True)
    args = {"input": input}
    prior = replay(info, key, args, coded=True)
    if prior is not None:
        return prior
    ctx = _ctx(info)
    store = ctx.store
    name, reason, uri = input["name"], input["reason"], input.get("referenceDocumentUri")
    errors: list[dict[str, Any]] = []
    if name not in ADJUSTABLE:
        errors.append(
            _err(
                "INVALID_QUANTITY_NAME",
                ["input", "name"],
                f"The quantity name {name!r} can't be adjusted.",
            )
        )
    errors += _reason_and_uri_errors(reason, uri)
    ledgers = {row.get("ledgerDocumentUri") for row in rows if row.get("ledgerDocumentUri")}
    if len(ledgers) > 1:
        errors.append(
            _err(
                "MAX_ONE_LEDGER_DOCUMENT",
                ["input", "changes"],
                "Only one ledger document URI is allowed per call.",
            )
        )
    resolved: list[tuple[Variant, Level, int, str | None]] = []
    for i, row in enumerate(rows):
        path = ["input", "changes", str(i)]
        ledger = row.get("ledgerDocumentUri")
        # correction 11: ledger document rules
        if name == "available" and ledger:
            errors.append(
                _err(
                    "INVALID_AVAILABLE_DOCUMENT",
                    [*path, "ledgerDocumentUri"],
                    "A ledger document URI is not allowed when adjusting available.",
                )
            )
            continue
        if name != "available" and name in ADJUSTABLE and not ledger:
            errors.append(
                _err(
                    "INVALID_QUANTITY_DOCUMENT",
                    [*path, "ledgerDocumentUri"],
                    "A ledger document URI is required except when adjusting available.",
                )
            )
            continue
        if ledger and ledger.startswith("gid://shopify/"):
            errors.append(
                _err(
                    "INTERNAL_LEDGER_DOCUMENT",
                    [*path, "ledgerDocumentUri"],
                    "The ledger document URI can't be a Shopify resource.",
                )
            )
            continue
        if ledger and not _URI.match(ledger):
            errors.append(
                _err(
                    "INVALID_LEDGER_DOCUMENT",
                    [*path, "ledgerDocumentUri"],
                    "The ledger document URI is not a valid URI.",
                )
            )
            continue
        got = _resolve_row(store, row, path, errors)
        if got is None or name not in ADJUSTABLE:
            continue
        v, level = got
        delta = row["delta"]
        after = level.get(name) + delta
        if after > ADJUST_LIMIT:
            errors.append(
                _err(
                    "INVALID_QUANTITY_TOO_HIGH",
                    [*path, "delta"],
                    "The quantity can't be higher than 2,000,000,000.",
                )
            )
            continue
        if after < -ADJUST_LIMIT:
            errors.append(
                _err(
                    "INVALID_QUANTITY_TOO_LOW",
                    [*path, "delta"],
                    "The quantity can't be lower than -2,000,000,000.",
                )
            )
            continue
        if "changeFromQuantity" not in row:
            # correction 7 (exact error [U]; the 2026-04 adjust enum has no "required" code)
            errors.append(
                _err(
                    None,
                    [*path, "changeFromQuantity"],
                    "changeFromQuantity is mandatory: pass the quantity before the delta, or "
                    "null to skip the check.",
                )
            )
            continue
        expected = row["changeFromQuantity"]
        if expected is not None and expected != level.get(name):
            # compared with the quantity *before* the delta (correction 7)
            errors.append(
                _err(
                    "CHANGE_FROM_QUANTITY_STALE",
                    [*path, "changeFromQuantity"],
                    f"The {name} quantity of {v.sku!r} has changed: changeFromQuantity is "
                    f"{expected} but the current quantity is {level.get(name)}.",
                )
            )
            continue
        resolved.append((v, level, delta, ledger))
    if errors:
        return remember(info, key, args, _payload(None, errors))
    changes: list[Change] = []
    touched: list[tuple[Variant, Level]] = []
    now = ctx.world.now()
    for v, level, delta, ledger in resolved:
        adjust_quantity(level, name, delta)
        level.updated_at = now
        changes += changes_for(name, delta, v, level, ledger)
        touched.append((v, level))
    group = record_group(ctx.world, store, reason, uri, changes)
    emit_levels(ctx.world, store, touched)
    return remember(info, key, args, _payload(group, []))


# ------------------------------------------------------------------ inventoryActivate (§a.7)


@field("Mutation", "inventoryActivate")
def _activate(_: Any, info: Info, inventoryItemId: str, locationId: str, **kw: Any) -> Any:
    key = idempotency_key(info, required=True)
    args = {"inventoryItemId": inventoryItemId, "locationId": locationId, **kw}
    prior = replay(info, key, args, coded=False)
    if prior is not None:
        return prior
    ctx = _ctx(info)
    store = ctx.store
    item_id = gid_id(inventoryItemId, "InventoryItem")
    v = store.items.get(item_id) if item_id is not None else None
    loc_id = gid_id(locationId, "Location")
    loc = store.location(loc_id) if loc_id is not None else None
    if v is None or loc is None:
        what = "inventory item" if v is None else "location"
        err = {
            "field": ["inventoryItemId" if v is None else "locationId"],
            "message": f"The {what} could not be found.",
        }
        return remember(info, key, args, {"inventoryLevel": None, "userErrors": [err]})
    while len(v.levels) <= loc.index:
        v.levels.append(None)
    level = v.levels[loc.index]
    now = ctx.world.now()
    if level is None:
        level = Level(loc.id, now, now)
        v.levels[loc.index] = level
    level.active = True
    # 2026-04: omitted available/onHand preserve the previous quantities (§a.7)
    if kw.get("available") is not None:
        set_quantity(level, "available", kw["available"])
    if kw.get("onHand") is not None:
        set_quantity(level, "on_hand", kw["onHand"])
    touch(ctx.world, v, level)
    if kw.get("available") is not None or kw.get("onHand") is not None:
        emit_levels(ctx.world, store, [(v, level)])
    from .views import LevelRef

    return remember(info, key, args, {"inventoryLevel": LevelRef(v, level), "userErrors": []})


# ------------------------------------------------------------------ InventoryAdjustmentGroup

field("InventoryAdjustmentGroup", "id")(lambda g, _i: gid("InventoryAdjustmentGroup", g.id))
field("InventoryAdjustmentGroup", "createdAt")(lambda g, _i: iso(g.created_at))
field("InventoryAdjustmentGroup", "reason")(
    lambda g, _i: REASON_LABELS.get(g.reason, g.reason.replace("_", " ").capitalize())
)
field("InventoryAdjustmentGroup", "referenceDocumentUri")(lambda g, _i: g.reference_document_uri)


@field("InventoryAdjustmentGroup", "changes")
def _changes(g: AdjustmentGroup, info: Info, **filters: Any) -> list[dict[str, Any]]:
    store = _ctx(info).store
    items = {gid_id(i, "InventoryItem") for i in filters.get("inventoryItemIds") or []}
    locs = {gid_id(i, "Location") for i in filters.get("locationIds") or []}
    names = set(filters.get("quantityNames") or [])
    out = []
    for name, delta, item_id, loc_id, _after, ledger in g.changes:
        if (
            (items and item_id not in items)
            or (locs and loc_id not in locs)
            or (names and name not in names)
        ):
            continue
        v = store.items.get(item_id)
        out.append(
            {
                "name": name,
                "delta": delta,
                # Shopify's own examples answer null: do not rely on it (correction 9)
                "quantityAfterChange": None,
                "item": Item(v) if v else None,
                "location": store.location(loc_id),
                "ledgerDocumentUri": ledger,
            }
        )
    return out
