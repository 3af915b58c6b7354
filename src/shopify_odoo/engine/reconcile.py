"""The reconcile sweep: every linked product, both sides read in bulk, mismatches found.

Shopify: one bulk operation per store (every variant with its levels, streamed, §c).  Odoo:
``read_group`` snapshots per batch of products.  The sweep then plans batch by batch with the
same pure planner as the stock worker, so a dry run shows exactly what the worker would write:

* ``mode="dry_run"``: report only (``sync --dry-run``);
* ``mode="enqueue"``: mark the stock key of every product with something to do dirty (the
  periodic sweep of ``run``: the workers re-read and apply);
* ``mode="apply"``: apply each batch's plan directly (``sync --apply``), writes batched per
  store by 250 with ``changeFromQuantity``; stale answers re-queue their keys.

Batches are scoped by product id and processed in order, so a sweep can resume after
``start_after`` (the last product id a previous run reported).  ``progress(done, total)`` is
called after every batch.

Memory stays bounded by the batch, not the catalogue: the bulk answer is read line by line
and kept as one compact tuple per linked inventory item (the rest of each line is dropped while
streaming), and only one batch's world and plan exist at a time.  Odoo's first batches are read
while Shopify runs the bulk operation.

In ``apply`` mode each batch's ledger changes and Odoo adjustments are applied at once, in
batch order, by a lane task (the next batches are read meanwhile); its writes are merged with
the next batches' into groups of full calls (250 quantities each) and held until the reading is
over, or until the backlog holds ``write_backlog`` writes: then ``write_concurrency`` workers
send them back to back, so the store's rate limit, not our reading, sets the pace of the write
phase.  The report keeps the figures of that write phase (points used, bucket credit at its
start, restore rate) so a caller can compare the apply with the store's rate-limit bound.

A complete sweep (no ``start_after``) records each swept store's ``stock_mismatches`` gauge:
the levels found different (``dry_run`` / ``enqueue``), or those still different after the
writes (``apply``).  In ``enqueue`` and ``apply`` mode, what the planner left alone for a
reason a person must fix (an unmapped location, an untracked variant, a product that is not
storable, an undefined or doubly counted pool) is listed for ``errors``: one problem per store,
cause and location, naming an example SKU and Odoo product and the number of SKUs concerned;
a later complete sweep that no longer meets it resolves it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from sqlalchemy import select

from shopify_odoo.engine import metrics
from shopify_odoo.engine.catalog import BULK_POLL_ATTEMPTS, VARIANTS_BULK_QUERY
from shopify_odoo.engine.dirty import stock_key
from shopify_odoo.engine.errors import record_problem, resolve_problem
from shopify_odoo.engine.ledger_store import load_ledger
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.engine.stock import execute_plan, flush_adjustments
from shopify_odoo.engine.stock_world import (
    LinkRow,
    WorldRead,
    build_items,
    load_links,
    odoo_products,
    order_cursors,
)
from shopify_odoo.errors import TerminalError, TransientError
from shopify_odoo.odoo.stock import ZERO_LEVEL, StockSnapshot, _dec, stock_snapshot
from shopify_odoo.queue import enqueue_many
from shopify_odoo.shopify.bulk import BulkOperation
from shopify_odoo.shopify.client import ShopifyClient
from shopify_odoo.store.tables import errors_for_people
from shopify_odoo.sync.ledger import Ledger
from shopify_odoo.sync.model import Level, OdooStock, StockWorld
from shopify_odoo.sync.stock import SHOPIFY_BATCH, Skip, SkipReason, StockPlan, plan_stock
from shopify_odoo.sync.stock.plan import QuantityWrite

Mode = Literal["dry_run", "enqueue", "apply"]
#: full write calls per store a merged group aims at in ``apply`` mode (one ``execute_plan``)
GROUP_CALLS = 8
Progress = Callable[[int, int], None]

#: problem kind of what the sweep left alone for a reason a person must fix
CONFIG_KIND = "stock_config"
#: skip reasons listed for a person (the others are the configuration working as meant)
ACTIONABLE = frozenset(
    {
        SkipReason.NOT_STORABLE,
        SkipReason.NOT_TRACKED,
        SkipReason.UNMAPPED_LOCATION,
        SkipReason.UNKNOWN_POOL,
        SkipReason.SPLIT_TWICE,
        SkipReason.COUNTED_TWICE,
    }
)


@dataclass(frozen=True, slots=True)
class SweepRow:
    """One level showing another figure than its target."""

    store: str
    sku: str
    product_id: int
    location: str
    shown: int
    target: int


@dataclass
class WritePhase:
    """The ``apply`` writes of one store, for comparing them with its rate-limit bound."""

    started: float = 0.0  # time.time() when the first write call of the store was sent
    ended: float = 0.0
    calls: int = 0
    quantities: int = 0
    points: float = 0.0  # GraphQL points the client spent meanwhile (Shopify's actual costs)
    credit: float = 0.0  # points in the store's bucket when the phase started
    restore_rate: float | None = None
    bucket_size: float | None = None


@dataclass
class SweepReport:
    mode: Mode
    products: int = 0
    levels: int = 0
    mismatches: int = 0
    oversold: int = 0
    skipped: int = 0
    writes_applied: int = 0
    writes_stale: int = 0
    writes_failed: int = 0
    adjustments: int = 0
    enqueued: int = 0
    last_product_id: int | None = None
    rows: list[SweepRow] = field(default_factory=list)
    rows_dropped: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    by_store: dict[str, int] = field(default_factory=dict)
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    #: one example sentence per skip reason (what a person would do about it)
    skip_examples: dict[str, str] = field(default_factory=dict)
    write_phases: dict[str, WritePhase] = field(default_factory=dict)
    #: (store, reason, location GID) → (first skip met, SKUs concerned), actionable reasons only
    problems: dict[tuple[str, str, str], tuple[Skip, int]] = field(default_factory=dict)


#: compact levels of one inventory item: (tracked, ((location GID, available), ...))
ItemLevels = tuple[bool, tuple[tuple[str, int], ...]]
#: store → inventory item GID → its levels
ShopifyLevels = dict[str, dict[str, ItemLevels]]


async def read_shopify_levels(
    rt: Runtime,
    wanted: dict[str, set[str]],
    *,
    poll_interval: float = 0.25,
    wait_times: dict[str, float] | None = None,
) -> ShopifyLevels:
    """Levels of the wanted inventory items of each store, one bulk operation per store.

    Only the wanted items are kept, as compact tuples (location GIDs interned), so memory
    grows with the linked items, not with the size of the bulk answer.  The JSONL is read line
    by line and taken apart on the fly (no tree per root, §c): a variant line names its
    inventory item, the level lines after it (``__parentId`` = the variant, the file is grouped)
    give ``available`` per location; the same figures as ``catalog.parse_variant``.
    """

    async def one(store: str) -> dict[str, ItemLevels]:
        shop = rt.shop(store)
        started = time.perf_counter()
        done = await _finished_bulk(shop, poll_interval)
        if wait_times is not None:
            wait_times[store] = time.perf_counter() - started
        if not done.url:
            return {}
        return await _stream_levels(shop, done.url, wanted[store])

    stores = sorted(wanted)
    answers = await asyncio.gather(*(one(s) for s in stores))
    return dict(zip(stores, answers, strict=True))


async def _finished_bulk(shop: ShopifyClient, poll_interval: float) -> BulkOperation:
    """Start the variants bulk query and follow it until Shopify reports it complete."""
    op = await shop.run_bulk_query(VARIANTS_BULK_QUERY)
    for attempt in range(1, BULK_POLL_ATTEMPTS + 1):
        try:
            return await shop.wait_bulk_operation(op.id, poll_interval=poll_interval)
        except TransientError:
            # the operation keeps running at Shopify while a status read fails: read again
            if attempt == BULK_POLL_ATTEMPTS:
                raise
            await asyncio.sleep(min(30.0, poll_interval * 2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover


async def _stream_levels(shop: ShopifyClient, url: str, items: set[str]) -> dict[str, ItemLevels]:
    out: dict[str, ItemLevels] = {}
    locations: dict[str, str] = {}
    variant: str | None = None  # the variant whose levels follow
    keep: tuple[str, bool, list[tuple[str, int]]] | None = None  # its item, when wanted

    def close() -> None:
        if keep is not None:
            gid, tracked, levels = keep
            out[gid] = (tracked, tuple(sorted(levels)))

    number = 0
    async for line in shop.bulk_lines(url):
        number += 1
        parent = line.get("__parentId")
        if parent is None:
            close()
            variant, keep = line.get("id"), None
            item = line.get("inventoryItem")
            if isinstance(item, dict) and item.get("id") and str(item["id"]) in items:
                keep = (str(item["id"]), bool(item.get("tracked", True)), [])
                inline = item.get("inventoryLevels")
                if isinstance(inline, dict):  # nested inline rather than as lines: read too
                    nodes = inline.get("nodes") or [
                        e.get("node") for e in inline.get("edges") or []
                    ]
                    for node in nodes:
                        _add_level(node, keep[2], locations)
            continue
        if parent != variant:
            raise TerminalError(
                f"store {shop.store}: bulk result line {number} points at parent {parent}, "
                "which is not the variant being read: the file is not grouped",
                cause="bulk_not_grouped",
                hint="run the bulk query with group_objects=True",
            )
        if keep is not None:
            _add_level(line, keep[2], locations)
    close()
    return out


def _add_level(node: object, levels: list[tuple[str, int]], locations: dict[str, str]) -> None:
    """One level node's (location GID, available), as ``catalog.parse_variant`` reads it."""
    if not isinstance(node, dict):
        return
    loc = (node.get("location") or {}).get("id")
    for q in node.get("quantities") or ():
        if isinstance(q, dict) and q.get("name") == "available":
            value = q.get("quantity")
            if loc and isinstance(value, int):
                key = str(loc)
                levels.append((locations.setdefault(key, key), value))
            return


@dataclass
class _Group:
    """The writes of consecutive batches merged for one ``execute_plan`` (full write calls)."""

    plans: list[StockPlan] = field(default_factory=list)
    product_of: dict[tuple[str, str], int] = field(default_factory=dict)
    writes_by_store: dict[str, int] = field(default_factory=dict)
    #: the last batch whose writes are here: its ledger changes must be saved first
    last_batch: int = -1

    def add(self, writes: tuple[QuantityWrite, ...], links: Sequence[LinkRow], batch: int) -> None:
        self.plans.append(StockPlan(writes=writes))
        for lk in links:
            self.product_of[(lk.store, lk.inventory_item_gid)] = lk.product_id
        for w in writes:
            self.writes_by_store[w.store] = self.writes_by_store.get(w.store, 0) + 1
        self.last_batch = batch

    @property
    def writes(self) -> int:
        return sum(self.writes_by_store.values())

    def full(self, size: int, calls: int = 1) -> bool:
        """Every store has ``calls`` full calls, or the group is big enough to send anyway (a
        store with little drift must not hold back the others' writes, nor grow the group)."""
        counts = self.writes_by_store.values()
        if not counts:
            return False
        return (
            min(counts) >= calls * size or max(counts) >= 8 * calls * size or len(self.plans) >= 25
        )

    def merged(self) -> tuple[WorldRead, StockPlan]:
        plan = StockPlan(writes=tuple(w for p in self.plans for w in p.writes))
        world = StockWorld(items=(), odoo=(), levels=(), order_cursors=())
        read = WorldRead(world, Ledger(), (), self.product_of)
        return read, plan


async def sweep(
    rt: Runtime,
    *,
    mode: Mode = "dry_run",
    batch_size: int = 2000,
    progress: Progress | None = None,
    stores: Sequence[str] | None = None,
    start_after: int | None = None,
    max_rows: int = 10_000,
    poll_interval: float = 0.25,
    write_batch: int = SHOPIFY_BATCH,
    prefetch: int = 3,
    prefetch_while_waiting: int = 8,
    write_backlog: int = 100_000,
    write_concurrency: int = 2,
) -> SweepReport:
    report = SweepReport(mode)
    if mode == "apply":
        # Odoo adjustments a failed pass still owes land before the snapshots are read
        await flush_adjustments(rt)
    clock = time.perf_counter
    t0 = clock()
    topo = await rt.topology()
    async with rt.db.connect() as conn:
        links = await load_links(conn, None)
        cursors_all = await order_cursors(conn, [s.handle for s in rt.settings.stores])
    if stores is not None:
        links = [lk for lk in links if lk.store in stores]
    if start_after is not None:
        links = [lk for lk in links if lk.product_id > start_after]
    by_product: dict[int, list[LinkRow]] = {}
    wanted: dict[str, set[str]] = {}
    for lk in links:
        by_product.setdefault(lk.product_id, []).append(lk)
        wanted.setdefault(lk.store, set()).add(lk.inventory_item_gid)
    del links
    swept_stores = sorted(wanted)
    product_ids = sorted(by_product)
    read_at = rt.clock()  # bulk values are at least this fresh
    chunks = [product_ids[i : i + batch_size] for i in range(0, len(product_ids), batch_size)]
    # Odoo's first batches are read while Shopify runs the bulk operation (other processes)
    odoo_reads = _OdooPrefetch(rt, topo.odoo_location_ids, chunks, ahead=prefetch)
    odoo_reads.top_up(max(prefetch, prefetch_while_waiting))
    try:
        waits: dict[str, float] = {}
        levels = await read_shopify_levels(
            rt, wanted, poll_interval=poll_interval, wait_times=waits
        )
    except BaseException:
        odoo_reads.cancel()
        raise
    del wanted
    report.seconds["shopify_bulk"] = clock() - t0
    # of which waiting for Shopify to finish the bulk operation (the longest store)
    report.seconds["shopify_bulk_wait"] = max(waits.values(), default=0.0)
    names = topo.location_names
    t1 = clock()
    odoo_time = plan_time = apply_time = 0.0
    remaining_by_store: dict[str, int] = {}
    writer = lane = None
    if mode == "apply":
        lane = _Lane(rt, report)
        writer = _Writer(
            rt,
            report,
            remaining_by_store,
            lane,
            concurrency=write_concurrency,
            backlog=write_backlog,
        )
    group = _Group()
    done = 0
    try:
        for batch_no, chunk in enumerate(chunks):
            ta = clock()
            try:
                products, snapshot = await odoo_reads.next()
            except BaseException:
                odoo_reads.cancel()
                raise
            async with rt.db.connect() as conn:
                ledger = await load_ledger(conn, chunk)
            tb = clock()
            odoo_time += tb - ta
            chunk_links = [lk for pid in chunk for lk in by_product.pop(pid)]
            lv: list[Level] = []
            tracked: dict[tuple[str, str], bool] = {}
            for lk in chunk_links:
                got = levels.get(lk.store, {}).pop(lk.inventory_item_gid, None)
                if got is None:
                    continue
                tracked[(lk.store, lk.inventory_item_gid)] = got[0]
                for loc, avail in got[1]:
                    lv.append(Level(lk.store, lk.inventory_item_gid, loc, avail, read_at))
            world = StockWorld(
                items=build_items(chunk_links, products, tracked),
                odoo=_odoo_rows(snapshot, chunk),
                levels=tuple(lv),
                order_cursors=cursors_all,
            )
            del snapshot, lv
            plan = plan_stock(world, ledger, topo.policy)
            tc = clock()
            plan_time += tc - tb
            report.products += len(world.items)
            report.levels += len(world.levels)
            report.oversold += plan.oversold
            report.skipped += len(plan.skipped)
            for skip in plan.skipped:
                reason = skip.reason.value
                report.skipped_by_reason[reason] = report.skipped_by_reason.get(reason, 0) + 1
                report.skip_examples.setdefault(reason, skip.message)
                if skip.reason in ACTIONABLE:
                    where = (skip.store, reason, skip.location_gid or "")
                    first, n = report.problems.get(where, (skip, 0))
                    report.problems[where] = (first, n + 1)
            sku_of = {item.product_id: item.sku for item in world.items}
            for o in plan.outcomes:
                if o.diff == 0:
                    continue
                report.mismatches += 1
                report.by_store[o.key.store] = report.by_store.get(o.key.store, 0) + 1
                if len(report.rows) < max_rows:
                    report.rows.append(
                        SweepRow(
                            o.key.store,
                            sku_of.get(o.product_id, o.sku),
                            o.product_id,
                            names.get(o.key.store, {}).get(o.key.location_gid, o.key.location_gid),
                            o.shown,
                            o.target,
                        )
                    )
                else:
                    report.rows_dropped += 1
            if writer is not None and lane is not None:
                for o in plan.outcomes:
                    if o.diff != 0:
                        remaining_by_store[o.key.store] = remaining_by_store.get(o.key.store, 0) + 1
                if not plan.is_empty:
                    # the ledger changes and Odoo adjustments are applied now, in batch order;
                    # the writes wait for a backlog (then their batch's changes are saved)
                    await lane.send(batch_no, _without_writes(plan, ledger, chunk_links))
                    if plan.writes:
                        group.add(plan.writes, chunk_links, batch_no)
                        if group.full(write_batch, GROUP_CALLS):
                            await writer.send(group)
                            group = _Group()
            elif mode == "enqueue" and not plan.is_empty:
                dirty = sorted(
                    {w.product_id for w in plan.writes}
                    | {a.product_id for a in plan.adjustments}
                    | {o.product_id for o in plan.outcomes if o.diff}
                )
                async with rt.db.begin() as conn:
                    report.enqueued += await enqueue_many(conn, [stock_key(p) for p in dirty])
            del world, plan, ledger
            apply_time += clock() - tc
            report.last_product_id = chunk[-1]
            done += len(chunk)
            if progress is not None:
                progress(done, len(product_ids))
        if writer is not None and lane is not None:
            tw = clock()
            if group.plans:
                await writer.send(group)
            await lane.close()
            await writer.close()
            apply_time += clock() - tw
    except BaseException:
        odoo_reads.cancel()
        if lane is not None:
            lane.cancel()
        if writer is not None:
            writer.cancel()
        raise
    report.seconds.update(
        odoo=odoo_time, plan=plan_time, apply=apply_time, batches=clock() - t1, total=clock() - t0
    )
    if mode != "dry_run":
        await _list_problems(rt, report, complete=start_after is None and stores is None)
    if start_after is None:
        gauge = remaining_by_store if mode == "apply" else report.by_store
        async with rt.db.begin() as conn:
            for store in swept_stores:
                value = max(0, gauge.get(store, 0))
                await metrics.record(
                    conn, metrics.STOCK_MISMATCHES, value, store=store, at=rt.clock()
                )
    return report


def _odoo_rows(snapshot: StockSnapshot, product_ids: Sequence[int]) -> tuple[OdooStock, ...]:
    """``stock_world.odoo_rows`` for a whole batch: the same rows (``StockSnapshot.get``'s
    figures, zero where no row), each figure converted to a Decimal once per batch rather than
    once per level (a batch repeats few distinct figures)."""
    memo: dict[float, Decimal] = {}

    def dec(value: float) -> Decimal:
        if value == 0:  # 0.0 and -0.0 share a key: each keeps its own conversion
            return _dec(value)
        got = memo.get(value)
        if got is None:
            got = memo[value] = _dec(value)
        return got

    rows = []
    scope = snapshot.product_ids
    locations = snapshot.location_ids
    figures = snapshot.rows
    zero = ZERO_LEVEL
    for pid in product_ids:
        if pid not in scope:
            continue
        for loc in locations:
            row = figures.get((pid, loc))
            if row is None:
                rows.append(
                    OdooStock(pid, loc, zero.qty_available, zero.free_qty, zero.outgoing_qty)
                )
            else:
                rows.append(OdooStock(pid, loc, dec(row[0]), dec(row[1]), dec(row[2])))
    return tuple(rows)


class _OdooPrefetch:
    """Odoo reads (products, stock snapshot) of the batches, in order, ``ahead`` batches ahead
    (more while Shopify runs the bulk operation: ``top_up``), ``concurrency`` at a time."""

    def __init__(
        self,
        rt: Runtime,
        locations: Sequence[int],
        chunks: list[list[int]],
        *,
        ahead: int,
        concurrency: int = 2,
    ) -> None:
        self.rt = rt
        self.locations = list(locations)
        self.chunks = iter(chunks)
        self.ahead = max(1, ahead)
        self.gate = asyncio.Semaphore(max(1, concurrency))
        self.tasks: list[asyncio.Task[tuple[dict[int, tuple[str, bool]], StockSnapshot]]] = []
        self.top_up(self.ahead)

    def top_up(self, count: int) -> None:
        """Have ``count`` batches read or being read (the surplus drains as ``next`` is
        called: it schedules a new read only below ``ahead``)."""
        while len(self.tasks) < count and self._schedule():
            pass

    def _schedule(self) -> bool:
        chunk = next(self.chunks, None)
        if chunk is None:
            return False
        self.tasks.append(asyncio.create_task(self._read(chunk)))
        return True

    async def _read(self, chunk: list[int]) -> tuple[dict[int, tuple[str, bool]], StockSnapshot]:
        async with self.gate:  # FIFO: batches are read in order
            products, snapshot = await asyncio.gather(
                odoo_products(self.rt, chunk), stock_snapshot(self.rt.odoo, chunk, self.locations)
            )
        return products, snapshot

    async def next(self) -> tuple[dict[int, tuple[str, bool]], StockSnapshot]:
        task = self.tasks.pop(0)
        if len(self.tasks) < self.ahead:
            self._schedule()
        return await task

    def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()


async def _list_problems(rt: Runtime, report: SweepReport, *, complete: bool) -> None:
    """Record the actionable skips for ``errors``; a complete sweep resolves the rest."""
    seen: set[tuple[str, str]] = set()
    async with rt.db.begin() as conn:
        for (store, reason, location), (skip, n) in sorted(report.problems.items()):
            key = f"{reason}@{location or '-'}"
            seen.add((store, key))
            others = f"; {n - 1} other SKU(s) of this store have the same problem" if n > 1 else ""
            await record_problem(
                conn,
                store=store,
                kind=CONFIG_KIND,
                key=key,
                cause=reason,
                message=f"{skip.message} (Odoo product {skip.product_id}){others}",
                next_step="fix it as the message says; the next sweep (or "
                '"shopify-odoo sync --apply") then syncs these SKUs and closes this problem',
            )
        if complete:
            e = errors_for_people.c
            rows = await conn.execute(
                select(e.store, e.key).where(e.kind == CONFIG_KIND, e.resolved.is_(False))
            )
            for store, key in rows.all():
                if (store, key) not in seen:
                    await resolve_problem(conn, store=store, kind=CONFIG_KIND, key=key)


def _without_writes(
    plan: StockPlan, ledger: Ledger, links: Sequence[LinkRow]
) -> tuple[WorldRead, StockPlan]:
    """What of a batch's plan is applied at once: ledger changes, Odoo adjustments, and the
    figures that feed a metric (oversold, short)."""
    product_of = {(lk.store, lk.inventory_item_gid): lk.product_id for lk in links}
    figures = tuple(f for f in plan.figures if f.oversold or f.short)
    rest = StockPlan(
        adjustments=plan.adjustments, ledger_changes=plan.ledger_changes, figures=figures
    )
    empty = StockWorld(items=(), odoo=(), levels=(), order_cursors=())
    return WorldRead(empty, ledger, (), product_of), rest


class _Lane:
    """Each batch's ledger changes and Odoo adjustments, applied in batch order by one task
    while the next batches are read: ``execute_plan`` of the plan without its writes, which
    leaves a consistent state whenever the writes go (``sync/stock/planner.py``: the ledger
    changes carry the read whether or not the writes land)."""

    def __init__(self, rt: Runtime, report: SweepReport) -> None:
        self.rt = rt
        self.report = report
        self.queue: asyncio.Queue[tuple[int, WorldRead, StockPlan] | None] = asyncio.Queue(2)
        self.done = -1
        self.failed: BaseException | None = None
        self.changed = asyncio.Condition()
        self.task = asyncio.create_task(self._run())

    async def send(self, batch: int, part: tuple[WorldRead, StockPlan]) -> None:
        await self._put((batch, *part))

    async def _put(self, item: tuple[int, WorldRead, StockPlan] | None) -> None:
        while True:
            if self.failed is not None:
                raise self.failed
            try:
                await asyncio.wait_for(self.queue.put(item), 1.0)
                return
            except TimeoutError:
                continue

    async def reached(self, batch: int) -> None:
        """Wait until the changes of the batches up to ``batch`` are saved."""
        async with self.changed:
            await self.changed.wait_for(lambda: self.done >= batch or self.failed is not None)
        if self.failed is not None and self.done < batch:
            raise self.failed

    async def close(self) -> None:
        await self._put(None)
        await self.task
        if self.failed is not None:
            raise self.failed

    def cancel(self) -> None:
        self.task.cancel()

    async def _run(self) -> None:
        try:
            while (item := await self.queue.get()) is not None:
                batch, read, plan = item
                result = await execute_plan(self.rt, read, plan)
                self.report.adjustments += result.adjustments
                async with self.changed:
                    self.done = batch
                    self.changed.notify_all()
        except Exception as exc:
            self.failed = exc
            async with self.changed:
                self.changed.notify_all()


class _Writer:
    """Applies the merged plans, back to back, once there is a backlog worth the bucket.

    Groups wait (``pending``) until the reading is over, or until they hold ``backlog`` writes
    (memory stays bounded by that, not by the catalogue): from then on ``concurrency`` workers
    each run one group's ``execute_plan`` at a time, so calls are always queued at the cost
    limiter and the store's rate limit, not our reading nor one group's round trips (lowering
    calls before raising ones), sets the pace of the write phase.
    """

    def __init__(
        self,
        rt: Runtime,
        report: SweepReport,
        remaining: dict[str, int],
        lane: _Lane,
        *,
        concurrency: int = 2,
        backlog: int = 100_000,
    ) -> None:
        self.rt = rt
        self.lane = lane
        self.report = report
        self.remaining = remaining
        self.concurrency = max(1, concurrency)
        self.backlog = backlog
        self.pending: list[_Group] = []
        self.pending_writes = 0
        self.queue: asyncio.Queue[_Group | None] = asyncio.Queue(maxsize=self.concurrency)
        self.tasks: list[asyncio.Task[None]] = []
        self._points0: dict[str, float] = {}

    def _start(self) -> None:
        if not self.tasks:
            self.tasks = [asyncio.create_task(self._run()) for _ in range(self.concurrency)]

    def _check(self) -> None:
        for task in self.tasks:
            if task.done():
                task.result()  # raises the writer's error here

    async def send(self, group: _Group) -> None:
        self._check()
        if self.tasks:
            await self._put(group)
            return
        self.pending.append(group)
        self.pending_writes += group.writes
        if self.pending_writes >= self.backlog:
            self._start()
            await self._flush()

    async def _flush(self) -> None:
        pending, self.pending, self.pending_writes = self.pending, [], 0
        for group in pending:
            await self._put(group)

    async def _put(self, group: _Group | None) -> None:
        # a worker's error must not leave us waiting for room in the queue forever
        while True:
            self._check()
            try:
                await asyncio.wait_for(self.queue.put(group), 1.0)
                return
            except TimeoutError:
                continue

    async def close(self) -> None:
        if self.pending:
            self._start()
            await self._flush()
        for _ in self.tasks:
            await self._put(None)
        results = await asyncio.gather(*self.tasks, return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                raise r

    def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()

    async def _run(self) -> None:
        while (group := await self.queue.get()) is not None:
            await self.lane.reached(group.last_batch)
            read, plan = group.merged()
            stores = sorted(group.writes_by_store)
            for store in stores:
                await self._phase_start(store)
            result = await execute_plan(self.rt, read, plan)
            now = time.time()
            for store in stores:
                phase = self.report.write_phases[store]
                phase.ended = max(phase.ended, now)
                phase.quantities += group.writes_by_store[store]
                phase.calls += -(-group.writes_by_store[store] // SHOPIFY_BATCH)
                phase.points = self.rt.shop(store).budget.points_used - self._points0[store]
            r = self.report
            r.writes_applied += result.writes_applied
            r.writes_stale += result.writes_stale
            r.writes_failed += result.writes_failed
            if not (result.writes_stale or result.writes_failed or result.requeued):
                for store, n in group.writes_by_store.items():
                    self.remaining[store] = self.remaining.get(store, 0) - n

    async def _phase_start(self, store: str) -> None:
        if store in self.report.write_phases:
            return
        budget = self.rt.shop(store).budget
        # set before the first await: the other workers must not start a second phase
        phase = self.report.write_phases[store] = WritePhase(started=time.time())
        self._points0[store] = budget.points_used
        state = await budget.state()
        phase.credit = await budget.level()
        phase.restore_rate = state.restore_rate
        phase.bucket_size = state.maximum
