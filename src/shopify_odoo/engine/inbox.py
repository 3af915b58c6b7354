"""The webhook inbox: store each delivery once and mark its keys dirty, in one transaction.

STYLE.md §4 (saleor's rule): the receiver verifies, persists, enqueues and answers; it never
calls Shopify or Odoo.  :func:`store_deliveries` does the persist-and-enqueue part for a batch
of deliveries inside the caller's transaction:

* a delivery is stored once by its ``X-Shopify-Webhook-Id`` (``ON CONFLICT DO NOTHING``); a
  duplicate is reported as such and enqueues nothing;
* the dirty keys of a new delivery are enqueued in the same transaction (so a crash can never
  keep a delivery without its work, or the work without the delivery);
* inventory items and Odoo products named by an event are resolved to stock keys through the
  product links (a local read, no outbound call);
* a validly signed delivery whose body does not parse is kept with state ``unparseable``, counted
  in ``metric_events`` and listed for a person in ``errors_for_people``;
* the webhook lag (``X-Shopify-Triggered-At`` → received) is recorded as a metric event.

:class:`InboxWriter` batches concurrent requests into one transaction (group commit): every
request still gets its answer only after its delivery is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.config import Settings
from shopify_odoo.engine.dirty import DirtyKeys, stock_key
from shopify_odoo.queue import enqueue_many
from shopify_odoo.queue.model import DEFAULT_PRIORITY, JobState
from shopify_odoo.store.database import Database
from shopify_odoo.store.tables import (
    errors_for_people,
    jobs,
    metric_events,
    product_links,
    stores,
    webhook_inbox,
)
from shopify_odoo.store.types import utcnow

log = logging.getLogger(__name__)

#: metric_events kinds written here (read by engine.metrics)
METRIC_WEBHOOK_LAG = "webhook_lag"
METRIC_WEBHOOK_UNPARSEABLE = "webhook_unparseable"
METRIC_WEBHOOK_RECEIVED = "webhook_received"

#: the errors_for_people cause of a delivery kept for a person
CAUSE_UNPARSEABLE = "webhook_payload"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One verified delivery, ready to be stored."""

    store: str
    delivery_id: str
    topic: str
    body: bytes
    headers: dict[str, str]
    received_at: datetime
    triggered_at: datetime | None
    dirty: DirtyKeys = field(default_factory=DirtyKeys)
    #: why the body could not be read (then it is kept for a person and nothing is enqueued)
    parse_error: str | None = None


async def store_deliveries(conn: AsyncConnection, deliveries: Sequence[Delivery]) -> set[str]:
    """Store ``deliveries`` and enqueue their keys; returns the delivery ids that were new.

    Call inside a transaction; a delivery id seen before (in this batch or earlier) is a
    duplicate: it is neither stored again nor enqueued again.
    """
    unique: dict[str, Delivery] = {}
    for d in deliveries:
        unique.setdefault(d.delivery_id, d)
    if not unique:
        return set()
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    rows = [
        {
            "delivery_id": d.delivery_id,
            "store": d.store,
            "topic": d.topic[:64],
            "received_at": d.received_at,
            "triggered_at": d.triggered_at,
            "body": d.body,
            "headers": d.headers,
            "state": "unparseable" if d.parse_error else "received",
            "parse_error": d.parse_error,
        }
        for d in unique.values()
    ]
    stmt = (
        insert(webhook_inbox)
        .on_conflict_do_nothing(index_elements=[webhook_inbox.c.delivery_id])
        .returning(webhook_inbox.c.delivery_id)
    )
    result = await conn.execute(stmt, rows)
    new_ids = {row[0] for row in result.all()}
    fresh = [d for d in unique.values() if d.delivery_id in new_ids]
    if not fresh:
        return new_ids
    await _enqueue_dirty(conn, [d.dirty for d in fresh if not d.parse_error])
    await _record_metrics(conn, fresh)
    for d in fresh:
        if d.parse_error:
            await record_unparseable(conn, d)
    return new_ids


async def enqueue_dirty(conn: AsyncConnection, dirty: Iterable[DirtyKeys]) -> int:
    """Resolve and enqueue the keys of ``dirty`` (inside the caller's transaction)."""
    return await _enqueue_dirty(conn, list(dirty))


async def _enqueue_dirty(conn: AsyncConnection, dirty: list[DirtyKeys]) -> int:
    keys: list[tuple[str, str]] = []
    items: set[tuple[str, str]] = set()
    variants: set[tuple[str, str]] = set()
    products: set[int] = set()
    for d in dirty:
        keys.extend(d.keys)
        items.update(d.inventory_items)
        variants.update(d.variants)
        products.update(d.odoo_products)
    found = set(products)  # an Odoo product id is its own stock key
    if items or variants:
        found.update(await _linked_products(conn, items, variants))
    keys.extend(stock_key(pid) for pid in sorted(found))
    if not keys:
        return 0
    return await enqueue_many(conn, keys)


async def _linked_products(
    conn: AsyncConnection, items: set[tuple[str, str]], variants: set[tuple[str, str]]
) -> set[int]:
    """Odoo product ids linked to the given inventory items and variants (a local read)."""
    link = product_links.c
    found: set[int] = set()
    for column, refs in ((link.inventory_item_gid, items), (link.variant_gid, variants)):
        if not refs:
            continue
        stores = sorted({store for store, _gid in refs})
        gids = sorted({ref for _store, ref in refs})
        rows = await conn.execute(
            select(link.store, column, link.odoo_product_id).where(
                link.store.in_(stores), column.in_(gids)
            )
        )
        found.update(pid for store, ref, pid in rows if (store, ref) in refs)
    return found


async def _record_metrics(conn: AsyncConnection, fresh: list[Delivery]) -> None:
    rows: list[dict[str, Any]] = []
    for d in fresh:
        rows.append(
            {"kind": METRIC_WEBHOOK_RECEIVED, "store": d.store, "value": 1.0, "at": d.received_at}
        )
        if d.triggered_at is not None:
            lag = max(0.0, (d.received_at - d.triggered_at).total_seconds())
            rows.append(
                {"kind": METRIC_WEBHOOK_LAG, "store": d.store, "value": lag, "at": d.received_at}
            )
        if d.parse_error:
            rows.append(
                {
                    "kind": METRIC_WEBHOOK_UNPARSEABLE,
                    "store": d.store,
                    "value": 1.0,
                    "at": d.received_at,
                }
            )
    await conn.execute(metric_events.insert(), rows)


async def record_unparseable(conn: AsyncConnection, d: Delivery) -> None:
    """List a kept delivery for a person (one row per delivery id)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    message = (
        f"Webhook {d.delivery_id} ({d.topic or 'no topic'}) from store {d.store} is validly "
        f"signed but could not be read: {d.parse_error}"
    )
    stmt = insert(errors_for_people).values(
        store=d.store,
        kind="webhook",
        key=d.delivery_id,
        cause=CAUSE_UNPARSEABLE,
        message=message[:4000],
        next_step=(
            'the body is kept in the webhook inbox; run "shopify-odoo errors" to see it and '
            '"shopify-odoo sync --apply" to reconcile what it was about'
        ),
        first_seen=d.received_at,
        last_seen=d.received_at,
        count=1,
        resolved=False,
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[
                errors_for_people.c.store,
                errors_for_people.c.kind,
                errors_for_people.c.key,
            ],
            set_={"last_seen": stmt.excluded.last_seen, "count": errors_for_people.c.count + 1},
        )
    )


class InboxUnavailable(Exception):
    """The delivery could not be committed: the receiver answers 503 so Shopify retries."""


_In = TypeVar("_In")
_Out = TypeVar("_Out")


class _GroupCommit(Generic[_In, _Out]):
    """Concurrent submissions share one transaction (at most ``max_batch``), each answered
    once it commits; if it fails, every submission of the batch gets
    :class:`InboxUnavailable` (the receiver answers 503) and none is acknowledged unrecorded."""

    #: what one batch is, for the log line of a failed commit
    what = "items"

    def __init__(self, db: Database, *, max_batch: int = 500) -> None:
        self._db = db
        self._max_batch = max_batch
        self._pending: list[tuple[_In, asyncio.Future[_Out]]] = []
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        #: how many batches were written
        self.batches = 0

    async def _commit(self, conn: AsyncConnection, items: list[_In]) -> list[_Out]:
        """Store ``items`` in ``conn``'s transaction; one answer per item, in order."""
        raise NotImplementedError

    async def _submit(self, item: _In) -> _Out:
        if self._closed:
            raise InboxUnavailable("the receiver is shutting down")
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"group-commit-{self.what}")
        future: asyncio.Future[_Out] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._ready.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._write(batch)

    async def _write(self, batch: list[tuple[_In, asyncio.Future[_Out]]]) -> None:
        try:
            async with self._db.begin() as conn:
                answers = await self._commit(conn, [item for item, _f in batch])
        except Exception as exc:
            log.exception("storing %d %s failed", len(batch), self.what, extra={"action": "inbox"})
            for _item, future in batch:
                if not future.done():
                    future.set_exception(InboxUnavailable(f"{type(exc).__name__}: {exc}"))
            return
        self.batches += 1
        for (_item, future), answer in zip(batch, answers, strict=True):
            if not future.done():
                future.set_result(answer)

    async def close(self) -> None:
        """Write what is pending, then stop."""
        self._closed = True
        if self._pending:
            batch, self._pending = self._pending, []
            await self._write(batch)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class InboxWriter(_GroupCommit[Delivery, bool]):
    """Group commit of Shopify webhook deliveries into the inbox."""

    what = "webhook deliveries"

    async def submit(self, delivery: Delivery) -> bool:
        """Store ``delivery``; ``True`` if new, ``False`` if a duplicate.  Raises
        :class:`InboxUnavailable` when the state database cannot take it."""
        return await self._submit(delivery)

    async def _commit(self, conn: AsyncConnection, items: list[Delivery]) -> list[bool]:
        new_ids = await store_deliveries(conn, items)
        claimed: set[str] = set()
        answers: list[bool] = []
        for d in items:
            # the first request of an id in this batch is the new one; repeats are duplicates
            answers.append(d.delivery_id in new_ids and d.delivery_id not in claimed)
            claimed.add(d.delivery_id)
        return answers


class OdooTrigger(_GroupCommit[DirtyKeys, int]):
    """Marks the keys of Odoo automation-rule webhooks dirty (no inbox: Odoo sends no id).

    Odoo 17 posts a rule's webhooks one at a time and inline (odoo-external-api.md §7.1), a
    receipt sends several (move line, quants) naming the same product, and the answer holds
    up the next one: each ``mark`` must be quick, and only answered once its keys are durable.

    * **Already covered**: when every key already has a job that will read Odoo after now (a
      pending row due now at least at the default priority, or a running row with a rerun
      so due), a read (no write lock, no transaction on the write queue) answers it: the
      worker leases that job later and its pass reads Odoo after the change this delivery
      reports.  That is the usual case of a receipt's second and third webhook.
    * **Group commit** otherwise: concurrent marks share one transaction (at most
      ``max_batch``), each answered when that transaction commits; if it fails, every mark
      of the batch gets :class:`InboxUnavailable` (a 503), none is acknowledged unrecorded.
    """

    what = "Odoo webhook marks"

    def __init__(self, db: Database, *, max_batch: int = 500) -> None:
        super().__init__(db, max_batch=max_batch)
        #: how many marks were answered by the read (batches written: ``batches``)
        self.covered = 0

    async def mark(self, dirty: DirtyKeys) -> int:
        """Make ``dirty`` durable; returns how many keys it names.  Raises
        :class:`InboxUnavailable` when the state database cannot take it."""
        keys = _direct_keys(dirty)
        if keys is not None and keys:
            try:
                if await self._covered(keys):
                    self.covered += 1
                    return len(keys)
            except Exception:  # the write below decides; a failed read costs only time
                log.debug("covered-check failed", exc_info=True, extra={"action": "inbox"})
        return await self._submit(dirty)

    async def _covered(self, keys: list[tuple[str, str]]) -> bool:
        j = jobs.c
        now = utcnow()
        kinds = sorted({k for k, _ in keys})
        names = sorted({n for _, n in keys})
        async with self._db.connect() as conn:
            rows = await conn.execute(
                select(j.kind, j.key).where(
                    j.kind.in_(kinds),
                    j.key.in_(names),
                    or_(
                        and_(
                            j.state == JobState.PENDING.value,
                            j.not_before <= now,
                            j.priority >= DEFAULT_PRIORITY,
                        ),
                        and_(
                            j.state == JobState.RUNNING.value,
                            j.rerun.is_(True),
                            j.rerun_not_before <= now,
                            j.rerun_priority >= DEFAULT_PRIORITY,
                        ),
                    ),
                )
            )
            found = {(kind, key) for kind, key in rows}
        return all(k in found for k in keys)

    async def _commit(self, conn: AsyncConnection, items: list[DirtyKeys]) -> list[int]:
        await _enqueue_dirty(conn, items)
        return [_key_count(d) for d in items]


def _direct_keys(dirty: DirtyKeys) -> list[tuple[str, str]] | None:
    """The queue keys of ``dirty`` when they need no lookup (else ``None``)."""
    if dirty.inventory_items or dirty.variants:
        return None
    return sorted({*dirty.keys, *(stock_key(pid) for pid in dirty.odoo_products)})


def _key_count(dirty: DirtyKeys) -> int:
    keys = _direct_keys(dirty)
    if keys is not None:
        return len(keys)
    return len(dirty.keys) + len(dirty.inventory_items) + len(dirty.variants)


async def register_stores(db: Database, settings: Settings) -> None:
    """Make sure every configured store has its row (the inbox and links refer to it)."""
    now = utcnow()
    async with db.begin() as conn:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        for s in settings.stores:
            stmt = insert(stores).values(
                handle=s.handle,
                shop_domain=s.shop_domain,
                api_version=s.api_version,
                enabled=True,
                created_at=now,
                updated_at=now,
            )
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[stores.c.handle],
                    set_={
                        "shop_domain": stmt.excluded.shop_domain,
                        "api_version": stmt.excluded.api_version,
                        "updated_at": stmt.excluded.updated_at,
                    },
                )
            )
