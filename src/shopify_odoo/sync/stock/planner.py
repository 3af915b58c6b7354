"""``plan_stock``: from both sides' figures, the ledger and the policy to a ``StockPlan``.

Rules, per linked product P (``StockItem``) and each of its Shopify levels:

1. Levels are *left alone with a reason* (``Skip``) when P is not storable in Odoo, the variant
   is not tracked in Shopify, the location is not in the map, excluded, or maps to an unknown
   pool, or the read is older than our last mark there (re-read).  An enabled mapped location
   where the item has no level is reported as not stocked.
2. Levels are grouped by pool.  ``sellable`` is Odoo's figure over the pool's locations;
   ``in_flight`` is the ledger's order units of P drawing on the pool (every store) plus the
   residual of the unexplained drops still pending at the pool's levels.
3. Echo check, per ``odoo_to_shopify`` / ``two_way`` level with a mark: ``expected`` = the mark
   (or its pending write, if Shopify shows that one landed) minus the net units known orders
   took at the level since (placed since, less cancellations since: ``LedgerIndex.explained``);
   ``d = expected − available``.  ``d == 0``: nothing happened but our
   own writes and known orders (never echoed).  ``d > 0`` (unexplained drop): if the store's
   order cursor has passed the read time it is a merchant edit, else it is recorded as a
   ``Drop`` and counted in flight.  ``d < 0``: a Shopify-side rise (edit, restock).  Merchant
   edits of ``two_way`` levels become Odoo deltas; ``odoo_to_shopify`` levels are overwritten
   with the target.  A pending drop whose ``at`` the cursor has passed is resolved; in
   ``two_way`` what it still owes (the net change no order explains, less what was applied
   when it was recorded) becomes an Odoo delta.
   A level without a mark gets one: its first figure is taken as the baseline, not imported.
   At a ``two_way`` level, whenever the mark moves past a read the order cursor has not
   passed, the window it leaves is recorded too (a ``Drop`` of ``d`` units, possibly 0 or
   negative, with the delta already applied): a sale heard of later reveals the edit it hid
   (a sale of 3 and a restock of 3 show no change), and the window's ``owed_delta`` reaches
   Odoo when the cursor passes it.  A pending write that settles without any change keeps
   the baseline's time, so no window is left behind.
   Whenever the read was taken into account, ``ledger_changes`` carry ``SetMark(read)``, so the
   state is consistent even if the Shopify writes are then lost.  A read with ``d == 0`` at an
   ``odoo_to_shopify`` level gives a *complete* mark (its own, and the marks of its write)
   listing the known orders dated in its second; an order of that second it does not list
   explains the next window instead of the last (``sync/ledger.py``, "Windows and the order's
   second": Shopify dates orders in whole seconds).  At such a level, a drop that orders heard
   of later explain beyond its units carries the excess (up to the units of its orders dated in
   its own second) into the window that starts at it (``_Carry``).
4. A ``shopify_to_odoo`` level is the count: Odoo is adjusted so that
   ``sellable − in_flight`` equals Shopify's ``available`` there.  Adjustments land at the
   pool's adjustment location, one per (product, pool), and shift ``sellable`` by their delta
   before targets are computed (so the plan is consistent once applied).
5. Targets per ``odoo_to_shopify`` / ``two_way`` level: formula and allocation in
   ``formula.py``.  A level showing another figure gets a ``QuantityWrite`` with
   ``changeFromQuantity`` = the value read.

Property-tested: applying a plan and planning again plans nothing; losing the writes after the
ledger changes re-plans the same writes only; a write that landed unrecorded is not echoed.
Cost: linear in levels (300,000 levels ≈ 7 s on one core); plan large sweeps in chunks of
items to bound memory.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from shopify_odoo.sync.ledger import (
    SECOND,
    Drop,
    Ledger,
    LedgerChange,
    LedgerIndex,
    Mark,
    Pending,
    RecordDrop,
    ResolveDrop,
    SetMark,
    index,
)
from shopify_odoo.sync.model import (
    Allocation,
    BufferOverride,
    Direction,
    Level,
    LevelKey,
    OdooStock,
    Pool,
    Route,
    StockItem,
    StockPolicy,
    StockWorld,
    buffer_for,
    normalise_sku,
)
from shopify_odoo.sync.stock import messages
from shopify_odoo.sync.stock.formula import floor_nonneg, sellable, shared_target, split_shares
from shopify_odoo.sync.stock.plan import (
    AdjustReason,
    LevelOutcome,
    OdooAdjustment,
    PoolFigures,
    QuantityWrite,
    Skip,
    SkipReason,
    StockPlan,
)

_PUSH = (Direction.ODOO_TO_SHOPIFY, Direction.TWO_WAY)


@dataclass(slots=True)
class _Acc:
    writes: list[QuantityWrite] = field(default_factory=list)
    adjustments: list[OdooAdjustment] = field(default_factory=list)
    changes: list[LedgerChange] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    outcomes: list[LevelOutcome] = field(default_factory=list)
    figures: list[PoolFigures] = field(default_factory=list)

    def skip(
        self,
        stock_item: StockItem,
        reason: SkipReason,
        store: str,
        message: str,
        *,
        item: str | None = None,
        location: str | None = None,
    ) -> None:
        self.skipped.append(
            Skip(
                reason=reason,
                store=store,
                sku=stock_item.sku,
                product_id=stock_item.product_id,
                message=message,
                inventory_item_gid=item,
                location_gid=location,
            )
        )


@dataclass(slots=True)
class _View:
    """The snapshot and policy indexed once, so a plan is linear in the number of levels."""

    policy: StockPolicy
    odoo: dict[int, list[OdooStock]]
    levels: dict[tuple[str, str], list[Level]]
    cursors: dict[str, datetime]
    routes: dict[tuple[str, str], Route]
    store_routes: dict[str, list[Route]]
    pools: dict[str, Pool]
    overrides: dict[str, list[BufferOverride]]

    @classmethod
    def build(cls, world: StockWorld, policy: StockPolicy) -> _View:
        view = cls(policy, {}, {}, dict(world.order_cursors), {}, {}, {}, {})
        for o in policy.buffer_overrides:
            view.overrides.setdefault(normalise_sku(o.sku), []).append(o)
        for row in world.odoo:
            view.odoo.setdefault(row.product_id, []).append(row)
        for level in world.levels:
            view.levels.setdefault((level.store, level.inventory_item_gid), []).append(level)
        for route in policy.routes:
            view.routes.setdefault((route.store, route.location_gid), route)
            view.store_routes.setdefault(route.store, []).append(route)
        for pool in policy.pools:
            view.pools.setdefault(pool.name, pool)
        return view

    def buffer(self, sku: str, route: Route) -> int:
        return buffer_for(self.overrides.get(sku, ()), sku, route)

    def passed(self, store: str, moment: datetime) -> bool:
        """Has the store's order poller seen every order up to ``moment``?"""
        cursor = self.cursors.get(store)
        return cursor is not None and cursor >= moment


def plan_stock(world: StockWorld, ledger: Ledger, policy: StockPolicy) -> StockPlan:
    """The plan for every product of ``world`` (see the module rules)."""
    idx = index(ledger)
    view = _View.build(world, policy)
    acc = _Acc()
    for item in sorted(world.items, key=lambda i: i.product_id):
        _plan_item(item, view, idx, acc)
    return StockPlan(
        writes=tuple(acc.writes),
        adjustments=tuple(acc.adjustments),
        ledger_changes=tuple(acc.changes),
        skipped=tuple(acc.skipped),
        outcomes=tuple(acc.outcomes),
        figures=tuple(acc.figures),
    )


def _plan_item(item: StockItem, view: _View, idx: LedgerIndex, acc: _Acc) -> None:
    by_pool: dict[str, list[tuple[Level, Route]]] = {}
    for listing in sorted(item.listings, key=lambda li: (li.store, li.inventory_item_gid)):
        store, gid = listing.store, listing.inventory_item_gid
        if not item.storable:
            msg = messages.not_storable(item.sku, item.product_id, store)
            acc.skip(item, SkipReason.NOT_STORABLE, store, msg, item=gid)
            continue
        if not listing.tracked:
            msg = messages.not_tracked(item.sku, store, gid)
            acc.skip(item, SkipReason.NOT_TRACKED, store, msg, item=gid)
            continue
        seen: set[str] = set()
        for level in sorted(view.levels.get((store, gid), ()), key=lambda lv: lv.location_gid):
            loc = level.location_gid
            seen.add(loc)
            route = view.routes.get((store, loc))
            if route is None:
                msg = messages.unmapped(item.sku, store, loc)
                acc.skip(item, SkipReason.UNMAPPED_LOCATION, store, msg, item=gid, location=loc)
            elif not route.enabled:
                msg = messages.excluded(item.sku, route)
                acc.skip(item, SkipReason.EXCLUDED_LOCATION, store, msg, item=gid, location=loc)
            elif route.pool not in view.pools:
                msg = messages.unknown_pool(item.sku, route)
                acc.skip(item, SkipReason.UNKNOWN_POOL, store, msg, item=gid, location=loc)
            else:
                mark = idx.marks.get(level.key)
                if mark is not None and level.read_at < mark.at and route.direction in _PUSH:
                    msg = messages.stale_read(item.sku, route, level.read_at, mark.at)
                    acc.skip(item, SkipReason.STALE_READ, store, msg, item=gid, location=loc)
                    continue
                by_pool.setdefault(route.pool, []).append((level, route))
        for route in view.store_routes.get(store, ()):
            if route.enabled and route.location_gid not in seen:
                msg = messages.not_stocked(item.sku, gid, route)
                acc.skip(
                    item, SkipReason.NOT_STOCKED, store, msg, item=gid, location=route.location_gid
                )
    for pool_name in sorted(by_pool):
        _plan_pool(item, view.pools[pool_name], by_pool[pool_name], view, idx, acc)


def _plan_pool(
    item: StockItem,
    pool: Pool,
    rows: list[tuple[Level, Route]],
    view: _View,
    idx: LedgerIndex,
    acc: _Acc,
) -> None:
    odoo_rows = view.odoo.get(item.product_id, [])
    rows = _refuse_bad_rows(item, pool, rows, acc)
    push = [(lv, r) for lv, r in rows if r.direction in _PUSH]
    counted = [(lv, r) for lv, r in rows if r.direction is Direction.SHOPIFY_TO_ODOO]
    pid = item.product_id
    odoo_sellable = sellable(odoo_rows, pid, pool.odoo_location_ids)
    in_flight = idx.orders_in_flight(pid, pool.name)
    delta = 0
    sources: list[str] = []
    touched: list[LevelKey] = []
    needs_mark: set[LevelKey] = set()
    settled: dict[LevelKey, Mark] = {}

    carry = _Carry(idx)
    windows: dict[LevelKey, Drop] = {}
    #: the ``known`` of the marks set at this plan's reads, for the levels where they are
    #: complete (see ``sync/ledger.py``); other new marks are not complete
    complete: dict[LevelKey, tuple[str, ...]] = {}
    for level, route in push:
        key = level.key
        two_way = route.direction is Direction.TWO_WAY
        near = False  # a drop still pending that ends within a second before this read
        for drop in idx.drops.get(key, ()):
            if drop.resolved:
                continue
            explained_now = carry.explained(key, drop.since, drop.at, drop.since_known, two_way)
            if view.passed(level.store, drop.at):
                acc.changes.append(ResolveDrop(drop))
                owed = drop.owed_delta(explained_now) if two_way else 0
                if owed:
                    delta += owed
                    sources.append(f"resolve:{key}:{drop.at.isoformat()}:{owed}")
                    touched.append(key)
            else:
                in_flight += drop.residual(explained_now)
                near = near or drop.at + SECOND > level.read_at
        mark = idx.marks.get(key)
        if mark is None:
            needs_mark.add(key)
            continue
        baseline, since = mark.value, mark.at
        pend = mark.pending
        if pend is not None and level.available == pend.value - carry.explained(
            key, pend.at, level.read_at, mark.known, two_way
        ):
            baseline, since = pend.value, pend.at
        explained = carry.explained(key, since, level.read_at, mark.known, two_way)
        d = baseline - explained - level.available
        # complete (sync/ledger.py): nothing unexplained since a mark that was complete itself,
        # or older than the read's second (an order of that second came after it)
        if (
            d == 0
            and not two_way
            and not near
            and (mark.known is not None or since + SECOND <= level.read_at)
        ):
            complete[key] = idx.known_at(key, level.read_at)
        if d or explained:
            needs_mark.add(key)
        elif pend is not None:  # the pending write is settled; the baseline's time is kept
            settled[key] = Mark(key, baseline, since, known=mark.known)
        unsettled = not view.passed(level.store, level.read_at)
        if d > 0 and unsettled:
            drop = Drop(
                key,
                level.read_at,
                since,
                d,
                pid,
                pool.name,
                explained=explained,
                since_known=mark.known,
            )
            acc.changes.append(RecordDrop(drop))
            in_flight += d
            continue
        if d and two_way:
            delta -= d
            sources.append(f"edit:{key}:{since.isoformat()}:{baseline}:{level.available}")
            touched.append(key)
        known = any(dr.at == level.read_at for dr in idx.drops.get(key, ()))
        if two_way and unsettled and since < level.read_at and not known:
            # kept if the mark leaves this window: a sale heard of later may hide an edit
            windows[key] = Drop(
                key,
                level.read_at,
                since,
                d,
                pid,
                pool.name,
                explained=explained,
                applied=-d,
                since_known=mark.known,
            )

    if counted:
        level, _route = counted[0]
        # Odoo follows the count: sellable + delta − in_flight == available
        count_delta = Decimal(level.available) - (odoo_sellable + delta - in_flight)
        sources.append(f"count:{level.key}:{level.read_at.isoformat()}:{level.available}")
        touched.append(level.key)
        _adjust(
            item,
            pool,
            odoo_rows,
            Decimal(delta) + count_delta,
            AdjustReason.SHOPIFY_COUNT,
            sources,
            touched,
            acc,
        )
        total_sellable = Decimal(level.available) + in_flight
    else:
        if delta:
            _adjust(
                item,
                pool,
                odoo_rows,
                Decimal(delta),
                AdjustReason.SHOPIFY_EDIT,
                sources,
                touched,
                acc,
            )
        total_sellable = odoo_sellable + delta

    targets = _targets(item, pool, push, total_sellable, in_flight, view)
    for level, _route in push:
        target = targets[level.key]
        acc.outcomes.append(
            LevelOutcome(level.key, item.sku, pid, pool.name, level.available, target)
        )
        window = windows.get(level.key)
        if window is not None and (level.key in needs_mark or level.available != target):
            acc.changes.append(RecordDrop(window))
            needs_mark.add(level.key)  # the next window starts at this read, never overlaps
        knew = complete.get(level.key)
        if level.key in needs_mark:  # the read is the new baseline, with or without a write
            acc.changes.append(SetMark(Mark(level.key, level.available, level.read_at, known=knew)))
        elif level.key in settled:
            acc.changes.append(SetMark(settled[level.key]))
        if level.available != target:
            acc.writes.append(
                QuantityWrite(
                    store=level.store,
                    inventory_item_gid=level.inventory_item_gid,
                    location_gid=level.location_gid,
                    quantity=target,
                    change_from=level.available,
                    product_id=pid,
                    sku=item.sku,
                    before_send=Mark(
                        level.key,
                        level.available,
                        level.read_at,
                        Pending(target, level.read_at),
                        known=knew,
                    ),
                    # the write is a compare-and-set: nothing moved the level between the read
                    # and the write, so the read's completeness carries over
                    after_success=Mark(level.key, target, level.read_at, known=knew),
                )
            )
    acc.figures.append(_figures(item, pool, push, view, total_sellable, in_flight, targets))


class _Carry:
    """``LedgerIndex.explained`` plus what a drop ending where the window starts carries over.

    At an ``odoo_to_shopify`` level, a drop recorded at ``at`` measured exactly ``units`` that
    no known order explained.  When orders heard of later explain *more* than that, the excess
    did not move the level by ``at``: it can only be orders dated in ``at``'s second (Shopify's
    whole seconds), which then came after ``at``.  Up to those orders' units, the excess explains
    the window that starts at ``at`` (a second order in the same second as a fall read before
    its webhook, otherwise held twice).  ``two_way`` levels carry nothing: there an excess is a
    merchant restock the sale hid, and becomes an Odoo delta when the cursor passes.
    """

    def __init__(self, idx: LedgerIndex) -> None:
        self.idx = idx
        self.memo: dict[tuple[LevelKey, datetime], int] = {}

    def explained(
        self,
        key: LevelKey,
        after: datetime,
        until: datetime,
        known: tuple[str, ...] | None,
        two_way: bool,
    ) -> int:
        net = self.idx.explained(key, after, until, known)
        return net if two_way else net + self.carried(key, after)

    def carried(self, key: LevelKey, start: datetime) -> int:
        found = self.memo.get((key, start))
        if found is not None:
            return found
        self.memo[(key, start)] = 0  # drops chain back in time; this guards a malformed loop
        total = 0
        for drop in self.idx.drops.get(key, ()):
            if drop.at != start or drop.since >= drop.at:
                continue
            now = self.explained(key, drop.since, drop.at, drop.since_known, False)
            excess = (now - drop.explained) - drop.units
            if excess > 0:
                last = self.idx.in_last_second(key, drop.since, drop.at, drop.since_known)
                total += min(excess, last)
        self.memo[(key, start)] = total
        return total


def _refuse_bad_rows(
    item: StockItem, pool: Pool, rows: list[tuple[Level, Route]], acc: _Acc
) -> list[tuple[Level, Route]]:
    """Drop the rows a split share or a Shopify count cannot be defined for (reported)."""
    bad: set[LevelKey] = set()
    if pool.allocation is Allocation.SPLIT:
        per_store: dict[str, list[tuple[Level, Route]]] = {}
        for lv, r in rows:
            if r.direction in _PUSH:
                per_store.setdefault(lv.store, []).append((lv, r))
        for store, group in sorted(per_store.items()):
            if len(group) > 1:
                labels = [r.label for _lv, r in group]
                msg = messages.split_twice(item.sku, store, pool.name, labels)
                for lv, _r in group:
                    bad.add(lv.key)
                    acc.skip(
                        item,
                        SkipReason.SPLIT_TWICE,
                        store,
                        msg,
                        item=lv.inventory_item_gid,
                        location=lv.location_gid,
                    )
    counted = [(lv, r) for lv, r in rows if r.direction is Direction.SHOPIFY_TO_ODOO]
    if len(counted) > 1:
        labels = [f"{r.store}/{r.label}" for _lv, r in counted]
        msg = messages.counted_twice(item.sku, pool.name, labels)
        for lv, _r in counted:
            bad.add(lv.key)
            acc.skip(
                item,
                SkipReason.COUNTED_TWICE,
                lv.store,
                msg,
                item=lv.inventory_item_gid,
                location=lv.location_gid,
            )
    return [(lv, r) for lv, r in rows if lv.key not in bad]


def _adjust(
    item: StockItem,
    pool: Pool,
    odoo_rows: Sequence[OdooStock],
    delta: Decimal,
    reason: AdjustReason,
    sources: Sequence[str],
    touched: Sequence[LevelKey],
    acc: _Acc,
) -> None:
    if delta == 0:
        return
    loc = pool.adjustment_location
    on_hand = sum(
        (
            r.qty_available
            for r in odoo_rows
            if r.product_id == item.product_id and r.location_id == loc
        ),
        Decimal(0),
    )
    digest = hashlib.sha256("|".join(sorted(sources)).encode()).hexdigest()[:20]
    acc.adjustments.append(
        OdooAdjustment(
            product_id=item.product_id,
            location_id=loc,
            delta=delta,
            on_hand_before=on_hand,
            reason=reason,
            sku=item.sku,
            key=f"shopify-odoo:{item.product_id}:{loc}:{digest}",
            sources=tuple(sorted(set(touched))),
        )
    )


def _targets(
    item: StockItem,
    pool: Pool,
    push: list[tuple[Level, Route]],
    total_sellable: Decimal,
    in_flight: int,
    view: _View,
) -> dict[LevelKey, int]:
    if pool.allocation is Allocation.SHARED:
        return {
            lv.key: shared_target(total_sellable, in_flight, view.buffer(item.sku, r))
            for lv, r in push
        }
    buffers = sum(view.buffer(item.sku, r) for _lv, r in push)
    capacity = floor_nonneg(total_sellable - in_flight - buffers)
    shares = split_shares(capacity, {lv.store: pool.share_percent(lv.store) for lv, _r in push})
    return {lv.key: shares[lv.store] for lv, _r in push}


def _figures(
    item: StockItem,
    pool: Pool,
    push: list[tuple[Level, Route]],
    view: _View,
    total_sellable: Decimal,
    in_flight: int,
    targets: dict[LevelKey, int],
) -> PoolFigures:
    bufs = [view.buffer(item.sku, r) for _lv, r in push]
    if pool.allocation is Allocation.SPLIT:
        buffers = sum(bufs)
        capacity = floor_nonneg(total_sellable - in_flight - buffers)
        oversold = max(0, sum(max(0, lv.available) for lv, _r in push) - capacity)
    else:
        buffers = min(bufs, default=0)
        capacity = floor_nonneg(total_sellable - in_flight - buffers)
        oversold = max((max(0, lv.available - targets[lv.key]) for lv, _r in push), default=0)
    short = max(0, math.ceil(in_flight - total_sellable))
    return PoolFigures(
        product_id=item.product_id,
        sku=item.sku,
        pool=pool.name,
        sellable=total_sellable,
        in_flight=in_flight,
        buffers=buffers,
        capacity=capacity,
        oversold=oversold,
        short=short,
    )
