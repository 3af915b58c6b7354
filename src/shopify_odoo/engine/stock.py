"""The stock worker: ``("stock", <odoo product id>)`` keys → read both sides → plan → apply.

The queue's worker calls the handler once per job; to keep every remote call full, handlers
of concurrent stock jobs hand their product to a per-process :class:`StockBatcher`, which
gathers products for ``window`` seconds (up to ``max_products``), reads both sides for all of
them at once (:func:`read_world`), plans with the pure planner and applies (DESIGN.md §2):

1. in one transaction, the ledger changes (drops, marks: the Shopify-side changes are
   consumed) and the Odoo adjustments (``shopify_to_odoo`` / ``two_way``) recorded as *owed*;
2. the owed adjustments applied in one named ``action_apply_inventory`` call, then forgotten;
   a call whose answer was lost is found in Odoo by its name and never repeated
   (:func:`flush_adjustments`; every pass first flushes what a failed pass still owes);
3. per store, ``inventorySetQuantities`` in batches of 250 with ``changeFromQuantity`` and an
   ``@idempotent`` key; the pending value is recorded before sending (so a write that lands
   while we crash is recognised as ours), the new mark after.  Lowerings go first and a
   product's raises only once none of its lowerings went stale, so no moment shows more than
   the pool holds (split pools move units between stores).  A stale answer re-queues the
   product's key (planned again on fresh data); it is never retried blindly.

Metrics (``metric_events``): ``oversold_units``, ``time_to_correction`` (job creation → the
write applied).  The store-wide ``stock_mismatches`` gauge is written by the reconcile sweep
(engine/reconcile.py): one product's pass cannot know the store's count.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.engine import metrics
from shopify_odoo.engine.dirty import STOCK, stock_key, stock_recheck_key
from shopify_odoo.engine.errors import record_problem
from shopify_odoo.engine.ledger_store import (
    OwedAdjustment,
    owe_adjustments,
    owed_adjustments,
    save_changes,
    settle_adjustments,
)
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.engine.stock_world import WorldRead, read_world
from shopify_odoo.errors import TransientError
from shopify_odoo.odoo.errors import OdooUserError
from shopify_odoo.odoo.records import read_quants
from shopify_odoo.queue import Handler, Lease, enqueue_many
from shopify_odoo.shopify.models import QuantityChange
from shopify_odoo.store.tables import jobs, stock_pushes
from shopify_odoo.sync.ledger import RecordDrop, ResolveDrop, SetMark
from shopify_odoo.sync.stock import StockPlan, batch_idempotency_key, plan_stock
from shopify_odoo.sync.stock.plan import OdooAdjustment, QuantityWrite

log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    """What one pass over a set of products did."""

    products: int = 0
    writes_applied: int = 0
    writes_stale: int = 0
    writes_failed: int = 0
    adjustments: int = 0
    mismatches: int = 0
    oversold: int = 0
    requeued: set[int] = field(default_factory=set)
    plan: StockPlan | None = None


async def sync_products(
    rt: Runtime,
    product_ids: Sequence[int],
    *,
    apply: bool = True,
    created_at: dict[int, datetime] | None = None,
) -> SyncResult:
    """Read, plan and (with ``apply``) apply the stock of ``product_ids`` in every store."""
    read = await read_world(rt, product_ids)
    if apply and read.owed:
        # adjustments a failed pass still owes Odoo land first: the figures read include them
        await flush_adjustments(rt, product_ids, requeue=False)
        read = await read_world(rt, product_ids)
    topo = await rt.topology()
    plan = plan_stock(read.world, read.ledger, topo.policy)
    if not apply:
        result = SyncResult(products=len(read.world.items), plan=plan)
        result.mismatches = plan.mismatches
        result.oversold = plan.oversold
        return result
    return await execute_plan(rt, read, plan, created_at=created_at)


async def execute_plan(
    rt: Runtime,
    read: WorldRead,
    plan: StockPlan,
    *,
    created_at: dict[int, datetime] | None = None,
) -> SyncResult:
    """Apply ``plan`` (made from ``read``) in the executor order of ``sync/stock/plan.py``."""
    result = SyncResult(products=len(read.world.items), plan=plan)
    result.mismatches = plan.mismatches
    result.oversold = plan.oversold
    async with rt.db.begin() as conn:
        # the Shopify-side changes an adjustment stems from are consumed (marks, drops) in the
        # transaction that records the adjustment as owed: it is applied once, whatever fails
        await save_changes(conn, plan.ledger_changes, read.product_of)
        if plan.adjustments:
            await owe_adjustments(conn, plan.adjustments, _batch_name(plan.adjustments))
        await _record_metrics(conn, rt, plan)
        for at, pids in _drop_rechecks(rt, read, plan).items():
            await enqueue_many(conn, [stock_recheck_key(p) for p in pids], not_before=at)
    if plan.adjustments:
        result.adjustments += await flush_adjustments(
            rt, sorted({a.product_id for a in plan.adjustments}), requeue=False
        )
    await _apply_writes(rt, read, plan, result, created_at or {})
    if result.requeued:
        async with rt.db.begin() as conn:
            await enqueue_many(conn, [stock_key(p) for p in sorted(result.requeued)])
    return result


def _drop_rechecks(rt: Runtime, read: WorldRead, plan: StockPlan) -> dict[datetime, list[int]]:
    """When to look again at the products that still hold an unexplained drop.

    A drop counts as in flight until the store's order cursor passes its time (DESIGN.md §2),
    then the next pass resolves it (a merchant edit: the direction rule applies).  Nothing else
    marks the product dirty at that moment, so the pass that leaves a drop pending schedules
    its own re-check: when the order poll (cursor = poll start - overlap) has passed the drop,
    and never sooner than one poll interval from now (a late poll re-schedules, never spins).
    """
    from shopify_odoo.engine.order_poller import OVERLAP

    resolved = {c.drop.ident for c in plan.ledger_changes if isinstance(c, ResolveDrop)}
    pending = [d for d in read.ledger.drops if not d.resolved]
    pending += [
        c.drop for c in plan.ledger_changes if isinstance(c, RecordDrop) and not c.drop.resolved
    ]
    interval = timedelta(seconds=rt.settings.sync.order_poll_interval)
    soonest = rt.clock() + interval
    due: dict[int, datetime] = {}
    for d in pending:
        if d.ident in resolved:
            continue
        at = max(d.at + OVERLAP + interval + timedelta(seconds=1), soonest)
        due[d.product_id] = min(at, due.get(d.product_id, at))
    by_time: dict[datetime, list[int]] = {}
    for pid, at in sorted(due.items()):
        by_time.setdefault(at, []).append(pid)
    return by_time


def _batch_name(adjustments: Sequence[OdooAdjustment]) -> str:
    digest = hashlib.sha256("\n".join(sorted(a.key for a in adjustments)).encode()).hexdigest()
    return f"shopify-odoo:{digest[:24]}"


async def flush_adjustments(
    rt: Runtime, product_ids: Sequence[int] | None = None, *, requeue: bool = True
) -> int:
    """Apply the Odoo adjustments still owed (of ``product_ids``, or all); returns how many.

    Each batch is one ``action_apply_inventory`` call whose moves carry the batch's name
    (context ``inventory_name``, §3.3).  A batch whose moves Odoo already holds (an earlier
    call landed but its answer was lost: a timeout, a killed worker) is only forgotten, so an
    adjustment is applied exactly once.  Otherwise each count is the quant's exact on-hand at
    the location + the delta.  With ``requeue`` the products' stock keys are marked dirty (their
    targets were planned without the delta).
    """
    async with rt.db.connect() as conn:
        owed = await owed_adjustments(conn, product_ids)
    if not owed:
        return 0
    batches: dict[str, list[OwedAdjustment]] = {}
    for o in owed:
        batches.setdefault(o.batch, []).append(o)
    landed = await rt.odoo.search_read(
        "stock.move",
        [("name", "in", sorted(batches)), ("is_inventory", "=", True)],
        ["name"],
    )
    done = {str(r["name"]) for r in landed}
    applied = 0
    for name in sorted(batches):
        group = batches[name]
        if name not in done:
            pids = sorted({o.product_id for o in group})
            locs = sorted({o.location_id for o in group})
            quants = await read_quants(rt.odoo, pids, locs)
            exact: dict[tuple[int, int], Decimal] = {}
            for q in quants:
                k = (q.product_id, q.location_id)
                exact[k] = exact.get(k, Decimal(0)) + q.quantity
            counts: dict[tuple[int, int], Decimal] = {}
            for o in group:
                k = (o.product_id, o.location_id)
                counts[k] = counts.get(k, exact.get(k, Decimal(0))) + o.delta
            await _apply_counts(rt, name, counts)
            applied += len(group)
        async with rt.db.begin() as conn:
            await settle_adjustments(conn, [o.key for o in group])
            if requeue:
                await enqueue_many(conn, [stock_key(o.product_id) for o in group])
    return applied


async def _apply_counts(rt: Runtime, name: str, counts: Mapping[tuple[int, int], Decimal]) -> None:
    """One inventory adjustment call named ``name`` (create in inventory mode, then apply)."""
    context = {"inventory_mode": True, "inventory_name": name}
    ids = await rt.odoo.create(
        "stock.quant",
        [
            {"product_id": pid, "location_id": loc, "inventory_quantity": float(qty)}
            for (pid, loc), qty in sorted(counts.items())
        ],
        context=context,
    )
    answer = await rt.odoo.call(
        "stock.quant", "action_apply_inventory", ids=ids, context=context, readonly=False
    )
    if isinstance(answer, Mapping) and answer.get("type") == "ir.actions.act_window":
        raise OdooUserError(
            f"Odoo {rt.odoo.label}: the inventory adjustment {name} of {len(ids)} quants "
            f"stopped at the wizard {answer.get('res_model')!r}",
            cause="odoo_inventory_wizard",
            hint="the quants changed since they were counted, or lots are required: apply "
            "the count in Odoo (Inventory > Physical Inventory), then let the next sync pass "
            "recount",
        )


async def _record_metrics(conn: AsyncConnection, rt: Runtime, plan: StockPlan) -> None:
    if plan.oversold:
        await metrics.record(conn, metrics.OVERSOLD_UNITS, plan.oversold, at=rt.clock())


async def _apply_writes(
    rt: Runtime,
    read: WorldRead,
    plan: StockPlan,
    result: SyncResult,
    created_at: dict[int, datetime],
) -> None:
    stale: set[int] = set()

    async def one_store(store: str, batch: tuple[QuantityWrite, ...]) -> None:
        key = batch_idempotency_key(batch)
        async with rt.db.begin() as conn:
            await save_changes(conn, [SetMark(w.before_send) for w in batch], read.product_of)
        changes = [
            QuantityChange(w.inventory_item_gid, w.location_gid, w.quantity, w.change_from)
            for w in batch
        ]
        try:
            outcomes = await rt.shop(store).set_available(changes, salt=key)
        except TransientError:
            raise
        now = rt.clock()
        applied_marks = []
        rows = []
        async with rt.db.begin() as conn:
            for w, out in zip(batch, outcomes, strict=True):
                rows.append(
                    {
                        "store": store,
                        "inventory_item_gid": w.inventory_item_gid,
                        "location_gid": w.location_gid,
                        "last_available": w.quantity,
                        "change_from": w.change_from,
                        "idempotency_key": key,
                        "outcome": "applied" if out.status == "applied" else out.status,
                        "at": now,
                    }
                )
                if out.status == "applied":
                    applied_marks.append(SetMark(w.after_success))
                    result.writes_applied += 1
                    since = created_at.get(w.product_id)
                    if since is not None:
                        await metrics.record(
                            conn,
                            metrics.TIME_TO_CORRECTION,
                            max(0.0, (now - since).total_seconds()),
                            store=store,
                            at=now,
                        )
                elif out.status == "stale":
                    result.writes_stale += 1
                    result.requeued.add(w.product_id)
                    stale.add(w.product_id)
                else:
                    result.writes_failed += 1
                    await record_problem(
                        conn,
                        store=store,
                        kind=STOCK,
                        key=f"{w.product_id}@{w.location_gid}",
                        cause=(out.code or "shopify_error").lower()[:64],
                        message=(
                            f'SKU "{w.sku}" (Odoo product {w.product_id}) in store "{store}", '
                            f"location {w.location_gid}: Shopify refused to set available to "
                            f"{w.quantity}: {out.message or out.code}"
                        ),
                        next_step="check the item is stocked and tracked at that location in "
                        "Shopify admin, then run: shopify-odoo sync --apply",
                    )
            await save_changes(conn, applied_marks, read.product_of)
            await _upsert_pushes(conn, rows)

    # lowering first: a pass never shows more than the pool holds, even between two stores'
    # writes (split pools move units from one store to another); a raise goes out only once
    # no lowering of its product went stale (that product is planned again on fresh data)
    lower = replace(plan, writes=tuple(w for w in plan.writes if w.quantity < w.change_from))
    raise_ = [w for w in plan.writes if w.quantity >= w.change_from]
    answers = await asyncio.gather(
        *(one_store(s, b) for s, b in lower.batches()), return_exceptions=True
    )
    failed = [a for a in answers if isinstance(a, BaseException)]
    if failed:
        raise failed[0]
    rest = replace(plan, writes=tuple(w for w in raise_ if w.product_id not in stale))
    answers = await asyncio.gather(
        *(one_store(s, b) for s, b in rest.batches()), return_exceptions=True
    )
    failed = [a for a in answers if isinstance(a, BaseException)]
    if failed:
        raise failed[0]


async def _upsert_pushes(conn: AsyncConnection, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    dialect = conn.dialect.name
    stmt = _PUSH_UPSERTS.get(dialect)
    if stmt is None:  # built once per dialect (statements are immutable)
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        base = insert(stock_pushes)
        ex = base.excluded
        stmt = _PUSH_UPSERTS[dialect] = base.on_conflict_do_update(
            index_elements=["store", "inventory_item_gid", "location_gid"],
            set_={
                "last_available": ex.last_available,
                "change_from": ex.change_from,
                "idempotency_key": ex.idempotency_key,
                "outcome": ex.outcome,
                "at": ex.at,
            },
        )
    await conn.execute(stmt, rows)


_PUSH_UPSERTS: dict[str, Any] = {}


# --------------------------------------------------------------------------- micro-batcher


class StockBatcher:
    """Gathers concurrent stock jobs into one read-plan-apply pass.

    ``await batcher.submit(product_id, job_id)`` returns when a pass that covered the product
    finished (raising what the pass raised).  One pass runs at a time per batcher, so a
    product's levels are never written by two passes of this process at once (the queue
    already ensures one lease per key across processes).
    """

    def __init__(self, rt: Runtime, *, window: float = 0.005, max_products: int = 250) -> None:
        self.rt = rt
        self.window = window
        self.max_products = max_products
        self._waiting: dict[int, list[asyncio.Future[SyncResult]]] = {}
        self._jobs: dict[int, int] = {}
        self._kick = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self.passes = 0

    async def submit(self, product_id: int, job_id: int | None = None) -> SyncResult:
        fut: asyncio.Future[SyncResult] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(product_id, []).append(fut)
        if job_id is not None:
            self._jobs[product_id] = job_id
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run(), name="stock-batcher")
        self._kick.set()
        return await fut

    async def _run(self) -> None:
        while self._waiting:
            await asyncio.sleep(self.window)
            ids = sorted(self._waiting)[: self.max_products]
            futures = {pid: self._waiting.pop(pid) for pid in ids}
            job_ids = {pid: self._jobs.pop(pid) for pid in ids if pid in self._jobs}
            self.passes += 1
            try:
                created = await _job_times(self.rt, job_ids)
                res = await sync_products(self.rt, ids, created_at=created)
            except BaseException as exc:  # every waiter gets the pass's outcome
                for futs in futures.values():
                    for f in futs:
                        if not f.done():
                            f.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for futs in futures.values():
                for f in futs:
                    if not f.done():
                        f.set_result(res)


async def _job_times(rt: Runtime, job_ids: dict[int, int]) -> dict[int, datetime]:
    if not job_ids:
        return {}
    by_job = {j: p for p, j in job_ids.items()}
    async with rt.db.connect() as conn:
        rows = await conn.execute(
            select(jobs.c.id, jobs.c.updated_at, jobs.c.created_at).where(
                jobs.c.id.in_(list(by_job))
            )
        )
        return {by_job[int(i)]: created for i, _u, created in rows}


async def product_of_key(rt: Runtime, key: str) -> int | None:
    """A stock key is an Odoo product id; an SKU is accepted and resolved through the links."""
    if key.isdigit():
        return int(key)
    from shopify_odoo.store.tables import product_links

    async with rt.db.connect() as conn:
        row = (
            await conn.execute(
                select(product_links.c.odoo_product_id).where(product_links.c.sku == key).limit(1)
            )
        ).first()
    return int(row[0]) if row else None


def stock_handler(rt: Runtime, batcher: StockBatcher | None = None) -> Handler:
    """The queue handler of ``stock`` jobs (see :mod:`engine.registry`)."""
    b = batcher or StockBatcher(rt)

    async def handle(lease: Lease) -> None:
        pid = await product_of_key(rt, lease.key)
        if pid is None:
            return  # an SKU nothing is linked to: nothing to sync (the link report says why)
        await b.submit(pid, lease.job_id)

    return handle
