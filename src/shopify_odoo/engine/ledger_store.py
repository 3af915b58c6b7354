"""Persisting the stock planner's ledger (``sync/ledger.py``) in the ``stock_ledger`` table.

* ``order`` rows: one order's observations restricted to one product, so the slice of one
  product loads without reading whole orders.  Loaded back, each row is its own
  ``OrderEntry`` (order id ``<order>|<product>``): the planner only sums lines per product.
  Writes merge with the stored row through ``merge_shopify``/``merge_odoo`` (idempotent,
  commutative), so duplicated or reordered events converge.
* ``drop`` rows: one ``Drop`` each, merged through ``apply_events`` (join).
* ``mark`` rows: the last mark of one level (last write wins, taken under the key's lease),
  with its ``known`` orders when it is complete (``sync/ledger.py``; ``drop`` rows keep their
  start mark's as ``since_known``).
* ``adjust`` rows: Odoo inventory adjustments owed (decided in the transaction that consumed
  their sources, removed once Odoo holds them): see ``engine/stock.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.store.tables import stock_ledger
from shopify_odoo.store.types import utcnow
from shopify_odoo.sync.ledger import (
    Drop,
    Ledger,
    LedgerChange,
    Mark,
    OdooOrderSeen,
    OrderEntry,
    OrderLine,
    Pending,
    RecordDrop,
    ResolveDrop,
    SetMark,
    ShopifyOrderSeen,
    apply_events,
    merge_odoo,
    merge_shopify,
)
from shopify_odoo.sync.model import LevelKey
from shopify_odoo.sync.stock.plan import OdooAdjustment

_CHUNK = 500


def _dt(value: datetime) -> str:
    return value.isoformat()


def _pdt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _key_ident(key: LevelKey) -> str:
    return f"{key.store}|{key.inventory_item_gid}|{key.location_gid}"


# --------------------------------------------------------------------------- (de)serialise


def _shopify_json(seen: ShopifyOrderSeen) -> dict[str, Any]:
    return {
        "store": seen.store,
        "order_id": seen.order_id,
        "updated_at": _dt(seen.updated_at),
        "placed_at": _dt(seen.placed_at),
        "cancelled": seen.cancelled,
        "digest": seen.whole_digest(),
        "lines": [
            [ln.product_id, ln.pool, ln.location_gid, ln.inventory_item_gid, ln.quantity, ln.sku]
            for ln in seen.lines
        ],
    }


def _shopify_from(raw: Mapping[str, Any]) -> ShopifyOrderSeen:
    return ShopifyOrderSeen(
        store=raw["store"],
        order_id=raw["order_id"],
        updated_at=_pdt(raw["updated_at"]),
        placed_at=_pdt(raw["placed_at"]),
        lines=tuple(
            OrderLine(int(p), pl, loc, it, int(q), sku) for p, pl, loc, it, q, sku in raw["lines"]
        ),
        cancelled=bool(raw["cancelled"]),
        # rows written before the digest was kept lack it: their part's own lines stand in
        digest=str(raw.get("digest", "")),
    )


def _odoo_json(seen: OdooOrderSeen) -> dict[str, Any]:
    return {
        "store": seen.store,
        "order_id": seen.order_id,
        "version": _dt(seen.version),
        "confirmed": seen.confirmed,
        "held": None if seen.held is None else [list(h) for h in seen.held],
    }


def _odoo_from(raw: Mapping[str, Any]) -> OdooOrderSeen:
    held = raw.get("held")
    return OdooOrderSeen(
        store=raw["store"],
        order_id=raw["order_id"],
        version=_pdt(raw["version"]),
        confirmed=bool(raw["confirmed"]),
        held=None if held is None else tuple((int(p), int(q)) for p, q in held),
    )


def _entry_json(entry: OrderEntry) -> dict[str, Any]:
    return {
        "shopify": None if entry.shopify is None else _shopify_json(entry.shopify),
        "odoo": None if entry.odoo is None else _odoo_json(entry.odoo),
    }


def _entry_from(store: str, order_id: str, raw: Mapping[str, Any]) -> OrderEntry:
    return OrderEntry(
        store,
        order_id,
        shopify=None if raw.get("shopify") is None else _shopify_from(raw["shopify"]),
        odoo=None if raw.get("odoo") is None else _odoo_from(raw["odoo"]),
    )


def _drop_json(d: Drop) -> dict[str, Any]:
    return {
        "key": [d.key.store, d.key.inventory_item_gid, d.key.location_gid],
        "at": _dt(d.at),
        "since": _dt(d.since),
        "units": d.units,
        "product_id": d.product_id,
        "pool": d.pool,
        "resolved": d.resolved,
        "explained": d.explained,
        "applied": d.applied,
        "since_known": None if d.since_known is None else list(d.since_known),
    }


def _drop_from(raw: Mapping[str, Any]) -> Drop:
    return Drop(
        key=LevelKey(*raw["key"]),
        at=_pdt(raw["at"]),
        since=_pdt(raw["since"]),
        units=int(raw["units"]),
        product_id=int(raw["product_id"]),
        pool=raw["pool"],
        resolved=bool(raw["resolved"]),
        explained=int(raw["explained"]),
        applied=int(raw.get("applied", 0)),
        # rows written before complete marks existed lack it: not complete (held, never early)
        since_known=_known_from(raw.get("since_known")),
    )


def _known_from(raw: Any) -> tuple[str, ...] | None:
    return None if raw is None else tuple(str(o) for o in raw)


def _mark_json(m: Mark) -> dict[str, Any]:
    return {
        "key": [m.key.store, m.key.inventory_item_gid, m.key.location_gid],
        "value": m.value,
        "at": _dt(m.at),
        "pending": None
        if m.pending is None
        else {"value": m.pending.value, "at": _dt(m.pending.at)},
        "known": None if m.known is None else list(m.known),
    }


def _mark_from(raw: Mapping[str, Any]) -> Mark:
    p = raw.get("pending")
    return Mark(
        key=LevelKey(*raw["key"]),
        value=int(raw["value"]),
        at=_pdt(raw["at"]),
        pending=None if p is None else Pending(int(p["value"]), _pdt(p["at"])),
        known=_known_from(raw.get("known")),
    )


# --------------------------------------------------------------------------- reads


async def load_ledger(conn: AsyncConnection, product_ids: Iterable[int]) -> Ledger:
    """The ledger slice of ``product_ids``: their order lines, drops and marks."""
    return (await load_slice(conn, product_ids))[0]


async def load_slice(
    conn: AsyncConnection, product_ids: Iterable[int]
) -> tuple[Ledger, list[OwedAdjustment]]:
    """The ledger slice of ``product_ids`` and the Odoo adjustments still owed for them, in
    one read."""
    ids = sorted(set(product_ids))
    orders: list[OrderEntry] = []
    drops: list[Drop] = []
    marks: list[Mark] = []
    owed: list[OwedAdjustment] = []
    t = stock_ledger.c
    for start in range(0, len(ids), _CHUNK):
        rows = await conn.execute(
            select(t.kind, t.ident, t.data).where(t.product_id.in_(ids[start : start + _CHUNK]))
        )
        for kind, ident, data in rows:
            if kind == "order":
                store, order_id, product = ident.split("|", 2)
                orders.append(_entry_from(store, f"{order_id}|{product}", data))
            elif kind == "drop":
                drops.append(_drop_from(data))
            elif kind == "mark":
                marks.append(_mark_from(data))
            elif kind == OWED:
                owed.append(_owed_from(ident, data))
    ledger = Ledger(
        orders=tuple(sorted(orders, key=lambda e: (e.store, e.order_id))),
        drops=tuple(sorted(drops, key=lambda d: d.ident)),
        marks=tuple(sorted(marks, key=lambda m: m.key)),
    )
    return ledger, sorted(owed, key=lambda o: (o.batch, o.key))


async def _existing(
    conn: AsyncConnection, kind: str, idents: Sequence[str]
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    t = stock_ledger.c
    for start in range(0, len(idents), _CHUNK):
        rows = await conn.execute(
            select(t.ident, t.data).where(
                t.kind == kind, t.ident.in_(list(idents[start : start + _CHUNK]))
            )
        )
        out.update({ident: data for ident, data in rows})
    return out


_UPSERTS: dict[str, Any] = {}


def _upsert_statement(dialect: str) -> Any:
    """The ledger's upsert for ``dialect``, built once (statements are immutable)."""
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        base = insert(stock_ledger)
        stmt = _UPSERTS[dialect] = base.on_conflict_do_update(
            index_elements=[stock_ledger.c.kind, stock_ledger.c.ident],
            set_={"data": base.excluded.data, "updated_at": base.excluded.updated_at},
        )
    return stmt


async def _upsert(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    await conn.execute(_upsert_statement(conn.dialect.name), rows)


# --------------------------------------------------------------------------- writes


async def record_orders(
    conn: AsyncConnection,
    shopify: Sequence[ShopifyOrderSeen] = (),
    odoo: Sequence[OdooOrderSeen] = (),
    *,
    odoo_products: Mapping[tuple[str, str], Sequence[int]] | None = None,
) -> set[int]:
    """Merge order observations into the ledger; returns the product ids whose figures may move.

    A Shopify observation is split per product of its lines.  An Odoo observation applies to
    every product row of that order already stored, plus ``odoo_products[(store, order)]``.
    """
    now = utcnow()
    entries: dict[str, tuple[int, OrderEntry]] = {}
    touched: set[int] = set()
    wanted: dict[str, int] = {}
    for seen in shopify:
        for pid in sorted({ln.product_id for ln in seen.lines}):
            wanted[f"{seen.store}|{seen.order_id}|{pid}"] = pid
    odoo_orders = {(s.store, s.order_id) for s in odoo}
    if odoo_orders:
        t = stock_ledger.c
        for store, order_id in odoo_orders:
            prefix = f"{store}|{order_id}|"
            rows = await conn.execute(
                select(t.ident, t.product_id).where(t.kind == "order", t.ident.like(prefix + "%"))
            )
            for ident, pid in rows:
                wanted[ident] = int(pid)
            for pid in (odoo_products or {}).get((store, order_id), ()):
                wanted[f"{prefix}{pid}"] = int(pid)
    stored = await _existing(conn, "order", sorted(wanted))
    # Odoo's view of each order is also kept on its own (``odoo_order``, ident store|order), so
    # a confirmation heard of before the Shopify order is never lost
    order_keys = sorted(
        {ident.rsplit("|", 1)[0] for ident in wanted} | {f"{s.store}|{s.order_id}" for s in odoo}
    )
    odoo_rows = await _existing(conn, "odoo_order", order_keys)
    odoo_seen: dict[str, OdooOrderSeen] = {k: _odoo_from(v) for k, v in odoo_rows.items()}
    for oseen in odoo:
        okey = f"{oseen.store}|{oseen.order_id}"
        merged = merge_odoo(
            OrderEntry(oseen.store, oseen.order_id, odoo=odoo_seen.get(okey)), oseen
        ).odoo
        assert merged is not None
        odoo_seen[okey] = merged
    for ident, pid in wanted.items():
        store, order_id, _ = ident.split("|", 2)
        raw = stored.get(ident)
        entry = _entry_from(store, order_id, raw) if raw else OrderEntry(store, order_id)
        known = odoo_seen.get(f"{store}|{order_id}")
        if known is not None:
            entry = merge_odoo(entry, _held_for(known, pid))
        entries[ident] = (pid, entry)
    for seen in shopify:
        for pid in sorted({ln.product_id for ln in seen.lines}):
            ident = f"{seen.store}|{seen.order_id}|{pid}"
            part = ShopifyOrderSeen(
                seen.store,
                seen.order_id,
                seen.updated_at,
                seen.placed_at,
                tuple(ln for ln in seen.lines if ln.product_id == pid),
                seen.cancelled,
                digest=seen.whole_digest(),
            )
            entries[ident] = (pid, merge_shopify(entries[ident][1], part))
    odoo_out = [
        {
            "kind": "odoo_order",
            "ident": okey,
            "product_id": None,
            "data": _odoo_json(o),
            "updated_at": now,
        }
        for okey, o in odoo_seen.items()
        if odoo_rows.get(okey) != _odoo_json(o)
    ]
    await _upsert(conn, odoo_out)
    out_rows: list[dict[str, Any]] = []
    for ident, (pid, entry) in entries.items():
        data = _entry_json(entry)
        if stored.get(ident) != data:
            touched.add(pid)
            out_rows.append(
                {
                    "kind": "order",
                    "ident": ident,
                    "product_id": pid,
                    "data": data,
                    "updated_at": now,
                }
            )
    await _upsert(conn, out_rows)
    return touched


def _held_for(seen: OdooOrderSeen, pid: int) -> OdooOrderSeen:
    """The Odoo observation restricted to one product's row."""
    held = None if seen.held is None else tuple(h for h in seen.held if h[0] == pid)
    return OdooOrderSeen(seen.store, seen.order_id, seen.version, seen.confirmed, held)


async def save_changes(
    conn: AsyncConnection,
    changes: Sequence[LedgerChange],
    product_of: Mapping[tuple[str, str], int],
) -> None:
    """Persist the planner's ledger changes; ``product_of[(store, item)]`` names the product
    of a mark's level (marks are stored under their product so a slice loads them)."""
    now = utcnow()
    marks: dict[str, dict[str, Any]] = {}
    drops: dict[str, Drop] = {}
    for change in changes:
        if isinstance(change, SetMark):
            m = change.mark
            pid = product_of.get((m.key.store, m.key.inventory_item_gid))
            marks[_key_ident(m.key)] = {
                "kind": "mark",
                "ident": _key_ident(m.key),
                "product_id": pid,
                "data": _mark_json(m),
                "updated_at": now,
            }
        elif isinstance(change, RecordDrop | ResolveDrop):
            d = change.drop
            ident = f"{_key_ident(d.key)}|{_dt(d.at)}"
            base = drops.get(ident)
            merged = apply_events(Ledger(drops=(base,) if base else ()), [change]).drops
            drops[ident] = merged[0]
    if drops:
        stored = await _existing(conn, "drop", sorted(drops))
        for ident, d in list(drops.items()):
            if ident in stored:
                old = _drop_from(stored[ident])
                drops[ident] = apply_events(Ledger(drops=(old,)), [RecordDrop(d)]).drops[0]
                if d.resolved or old.resolved:
                    drops[ident] = apply_events(
                        Ledger(drops=(drops[ident],)), [ResolveDrop(drops[ident])]
                    ).drops[0]
    await _upsert(conn, list(marks.values()))
    await _upsert(
        conn,
        [
            {
                "kind": "drop",
                "ident": i,
                "product_id": d.product_id,
                "data": _drop_json(d),
                "updated_at": now,
            }
            for i, d in drops.items()
        ],
    )


# --------------------------------------------------------------------------- Odoo adjustments owed

#: ``stock_ledger`` kind of an Odoo inventory adjustment decided but not yet known to be applied
#: (ident = the adjustment's key; ``data.batch`` = the name its ``action_apply_inventory`` call
#: gives the moves, so a call whose answer was lost is recognised in Odoo and never repeated).
OWED = "adjust"


@dataclass(frozen=True, slots=True)
class OwedAdjustment:
    key: str
    batch: str
    product_id: int
    location_id: int
    delta: Decimal
    sku: str


async def owe_adjustments(
    conn: AsyncConnection, adjustments: Sequence[OdooAdjustment], batch: str
) -> None:
    """Record ``adjustments`` as owed to Odoo, in the transaction that consumes their sources."""
    now = utcnow()
    await _upsert(
        conn,
        [
            {
                "kind": OWED,
                "ident": a.key,
                "product_id": a.product_id,
                "data": {
                    "batch": batch,
                    "product_id": a.product_id,
                    "location_id": a.location_id,
                    "delta": str(a.delta),
                    "sku": a.sku,
                },
                "updated_at": now,
            }
            for a in adjustments
        ],
    )


async def owed_adjustments(
    conn: AsyncConnection, product_ids: Iterable[int] | None = None
) -> list[OwedAdjustment]:
    """The adjustments still owed to Odoo (of ``product_ids``, or all)."""
    t = stock_ledger.c
    query = select(t.ident, t.data).where(t.kind == OWED)
    rows: list[Any] = []
    if product_ids is None:
        rows = list(await conn.execute(query))
    else:
        ids = sorted(set(product_ids))
        for start in range(0, len(ids), _CHUNK):
            rows += list(
                await conn.execute(query.where(t.product_id.in_(ids[start : start + _CHUNK])))
            )
    return sorted((_owed_from(ident, data) for ident, data in rows), key=lambda o: (o.batch, o.key))


def _owed_from(ident: str, data: Mapping[str, Any]) -> OwedAdjustment:
    return OwedAdjustment(
        key=ident,
        batch=str(data["batch"]),
        product_id=int(data["product_id"]),
        location_id=int(data["location_id"]),
        delta=Decimal(str(data["delta"])),
        sku=str(data.get("sku") or ""),
    )


async def settle_adjustments(conn: AsyncConnection, keys: Sequence[str]) -> None:
    """Forget owed adjustments that Odoo now holds."""
    t = stock_ledger.c
    for start in range(0, len(keys), _CHUNK):
        await conn.execute(
            delete(stock_ledger).where(
                t.kind == OWED, t.ident.in_(list(keys[start : start + _CHUNK]))
            )
        )
