"""The orders worker: ``("order", "<store>:<order GID>")`` keys → Odoo sale orders, exactly once.

For a set of keys (one job, or every job a :class:`OrderBatcher` gathered for ``window`` s):

1. read each order as Shopify has it now (never a webhook's copy: DESIGN.md §2);
2. read Odoo for all of them at once: sale orders by ``client_order_ref`` with their lines,
   partners by email (phone as fallback), and the cached taxes, currencies, countries, states;
3. plan each order with the pure :func:`shopify_odoo.sync.orders.plan_order`;
4. apply in batches (:mod:`engine.order_apply`), record ``order_links`` (sale order, line keys)
   and feed the in-flight ledger in one transaction: the order is in flight until its sale
   order is confirmed or the order is cancelled;
5. for confirmed sale orders, fulfillments both ways (:mod:`engine.order_fulfillment`): done
   Odoo deliveries become Shopify fulfillments with tracking, Shopify fulfillments at 3PL/POS
   locations validate the Odoo delivery; level-triggered, so never twice.

A parked decision raises a :class:`TerminalError` on that order's job only, naming the store,
order, line, SKU and the fix; ``shopify-odoo reprocess --store S --order N``
(:func:`reprocess_orders`) enqueues the key again.  :func:`backfill_orders` (``orders import
--since``) runs past orders through the same pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.engine.dirty import ORDER, stock_key
from shopify_odoo.engine.inflight import default_location, variant_links
from shopify_odoo.engine.ledger_store import record_orders
from shopify_odoo.engine.order_apply import (
    Outcome,
    apply_cancels,
    apply_creates,
    apply_updates,
    decisions_by_kind,
)
from shopify_odoo.engine.order_fulfillment import (
    DeliveryReader,
    FulfilOutcome,
    FulfilTarget,
    Recorded,
    apply_plan,
    plan_for,
    read_recorded,
    write_recorded,
)
from shopify_odoo.engine.order_reads import (
    FetchedOrder,
    OdooReference,
    fetch_order,
    read_line_keys,
    read_links,
    read_partners,
    read_sale_orders,
    state_for,
)
from shopify_odoo.engine.problems import REPROCESS_HOOKS
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.errors import ConfigError, ShopifyOdooError, TerminalError
from shopify_odoo.odoo.records import list_warehouses
from shopify_odoo.queue import Handler, Lease, enqueue_many
from shopify_odoo.queue.model import JobState
from shopify_odoo.store.tables import jobs, order_links
from shopify_odoo.sync.fulfillment import CarrierMapping
from shopify_odoo.sync.ledger import OdooOrderSeen, OrderLine, ShopifyOrderSeen
from shopify_odoo.sync.order_model import (
    ExistingSaleOrder,
    LocationRoute,
    OrderSettings,
    ShopifyOrder,
    TaxRule,
    VariantLink,
)
from shopify_odoo.sync.orders import (
    CancelSaleOrder,
    NoChange,
    OrderDecision,
    Parked,
    SaleOrderPlan,
    SaleOrderUpdate,
    plan_order,
)

log = logging.getLogger(__name__)

#: parked decisions whose sale order still ships: its done deliveries are still reported to
#: Shopify (what Shopify has left to fulfil; the rest is a warning) while a person decides
SHIPPING_GOES_ON = frozenset({"edited_after_delivery"})


@dataclass(frozen=True, slots=True)
class OrderResult:
    """One key's pass: the decision, what applying it did, and the order read (None: gone)."""

    key: str
    fetched: FetchedOrder | None
    decision: OrderDecision | None
    outcome: Outcome | None
    #: the fulfillment pass (both ways) when the order's sale order is confirmed
    fulfil: FulfilOutcome | None = None

    def raise_for_problem(self) -> None:
        """Raise on the job what a person must fix (parked) or what failed (retry or park)."""
        if isinstance(self.decision, Parked):
            order = self.fetched.order if self.fetched else None
            hint = f"then run: shopify-odoo reprocess --store {order.store}" if order else None
            raise TerminalError(self.decision.message, cause=self.decision.codes[0], hint=hint)
        if self.outcome is not None and self.outcome.error is not None:
            raise self.outcome.error
        if self.fulfil is not None and self.fulfil.error is not None:
            raise self.fulfil.error


def split_key(key: str) -> tuple[str, str]:
    store, sep, gid = key.partition(":")
    if not sep or not gid:
        raise TerminalError(
            f"Order job key {key!r} is not <store>:<order GID>", cause="bad_key",
            hint="purge the job with shopify-odoo jobs purge",
        )  # fmt: skip
    return store, gid


class OrderSync:
    """Per process: the order settings per store and Odoo's reference data (cached)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.reference = OdooReference(rt.odoo, rt.settings.odoo.company_id)
        self.deliveries = DeliveryReader(rt.odoo)
        self._settings: dict[str, OrderSettings] | None = None
        self._carriers: dict[str, tuple[CarrierMapping, ...]] = {}
        self._notify: dict[str, bool] = {}
        self._lock = asyncio.Lock()

    async def settings_of(self, store: str) -> OrderSettings:
        async with self._lock:
            if self._settings is None:
                self._settings = await self._resolve()
        try:
            return self._settings[store]
        except KeyError:
            raise ConfigError(f'Store "{store}" is not configured') from None

    async def _resolve(self) -> dict[str, OrderSettings]:
        rt = self.rt
        warehouses = await list_warehouses(rt.odoo) if rt.settings.location_map else []
        out: dict[str, OrderSettings] = {}
        for store in rt.settings.stores:
            o = store.orders
            routes: list[LocationRoute] = []
            rows = [r for r in rt.settings.location_map if r.store == store.handle and r.active]
            locations = await rt.shop(store.handle).locations() if rows else []
            from shopify_odoo.engine.topology import match_location

            for row in rows:
                loc = match_location(row.shopify_location, locations)
                names = [row.odoo_warehouse] if row.odoo_warehouse else []
                names += [n.split("/")[0] for n in row.odoo_locations]
                wh = next(
                    (
                        w
                        for n in names
                        for w in warehouses
                        if n and (w.code == n or w.name.casefold() == n.casefold())
                    ),
                    None,
                )
                if loc is not None and wh is not None:
                    routes.append(LocationRoute(loc.id, wh.id, row.ships_from))
            self._carriers[store.handle] = tuple(
                CarrierMapping(c.odoo_carrier, c.company, c.tracking_url) for c in o.carriers
            )
            self._notify[store.handle] = o.notify_customer
            out[store.handle] = OrderSettings(
                store=store.handle,
                confirmation=o.confirmation,
                team_id=o.team_id,
                company_id=o.company_id or rt.settings.odoo.company_id,
                shipping_product_id=o.shipping_product_id,
                carrier_id=o.carrier_id,
                discount_product_id=o.discount_product_id,
                gift_card_product_id=o.gift_card_product_id,
                tip_product_id=o.tip_product_id,
                rounding_product_id=o.rounding_product_id,
                guest_partner_id=o.guest_partner_id,
                tax_rules=tuple(
                    TaxRule(r.rate, r.taxes_included, tuple(r.odoo_tax_ids), r.title)
                    for r in o.tax_rules
                ),
                locations=tuple(routes),
            )
        return out

    # -- one pass ---------------------------------------------------------------------------

    async def process(self, keys: Sequence[str], *, apply: bool = True) -> dict[str, OrderResult]:
        """Read, plan and (with ``apply``) apply the orders of ``keys`` (deduplicated)."""
        keys = list(dict.fromkeys(keys))
        parsed = {k: split_key(k) for k in keys}
        fetched_list = await asyncio.gather(
            *(fetch_order(self.rt.shop(s), s, gid) for s, gid in parsed.values())
        )
        fetched = {k: f for k, f in zip(keys, fetched_list, strict=True) if f is not None}
        results = {k: OrderResult(k, None, None, None) for k in keys if k not in fetched}
        if not fetched:
            return results
        orders = [f.order for f in fetched.values()]
        stores = sorted({o.store for o in orders})
        links: dict[str, Any] = {}
        line_keys: dict[str, dict[int, str]] = {}
        async with self.rt.db.connect() as conn:
            for store in stores:
                mine = [o for o in orders if o.store == store]
                links[store] = await read_links(conn, store, mine)
                by_gid = await read_line_keys(conn, store, [o.id for o in mine])
                for o in mine:
                    line_keys[o.client_order_ref] = by_gid.get(o.id, {})
        reference, partners, existing = await asyncio.gather(
            self.reference.get(),
            read_partners(self.rt.odoo, orders),
            read_sale_orders(self.rt.odoo, [o.client_order_ref for o in orders], line_keys),
        )
        decisions: dict[str, OrderDecision] = {}
        for key, f in fetched.items():
            o = f.order
            state = state_for(reference, links[o.store], partners, existing.get(o.client_order_ref))
            decisions[key] = plan_order(o, state, await self.settings_of(o.store))
        outcomes: dict[str, Outcome] = {}
        if apply:
            outcomes = await self._apply(decisions)
        for key, f in fetched.items():
            results[key] = OrderResult(key, f, decisions[key], outcomes.get(key))
        if apply:
            await self._record(results, existing_ids={
                f.order.client_order_ref: e for f in fetched.values()
                if (e := existing.get(f.order.client_order_ref)) is not None
            })  # fmt: skip
            await self._fulfil(results, existing, links)
        return results

    async def _fulfil(
        self,
        results: dict[str, OrderResult],
        existing: Mapping[str, ExistingSaleOrder],
        links: Mapping[str, tuple[VariantLink, ...]],
    ) -> None:
        """Fulfillments both ways for the orders whose sale order is confirmed.

        Only orders confirmed before this pass (a delivery may be done) or with Shopify
        fulfillments (3PL, POS) are read: a sale order created just now has nothing done."""
        targets: list[FulfilTarget] = []
        for key, r in results.items():
            if r.fetched is None or r.outcome is None:
                continue
            if isinstance(r.decision, Parked) and not set(r.decision.codes) <= SHIPPING_GOES_ON:
                continue
            order = r.fetched.order
            if order.cancelled_at is not None or r.outcome.error is not None:
                continue
            prior = existing.get(order.client_order_ref)
            so_id = r.outcome.sale_order_id or (prior.id if prior else None)
            state = r.outcome.state or (prior.state if prior else None)
            was_confirmed = prior is not None and prior.state in ("sale", "done")
            if so_id is None or state not in ("sale", "done"):
                continue
            if not (was_confirmed or r.fetched.fulfillments):
                continue
            settings = await self.settings_of(order.store)
            targets.append(
                FulfilTarget(
                    key=key,
                    fetched=r.fetched,
                    sale_order_id=so_id,
                    product_by_line_item=_products_of(order, links.get(order.store, ())),
                    routes=settings.locations,
                    carriers=self._carriers.get(order.store, ()),
                    notify_customer=self._notify.get(order.store, True),
                )
            )
        if not targets:
            return
        try:
            deliveries = await self.deliveries.read([t.sale_order_id for t in targets])
        except ShopifyOdooError as exc:  # the imports stand; only these keys are retried
            for target in targets:
                results[target.key] = replace(results[target.key], fulfil=FulfilOutcome(error=exc))
            return
        recorded: dict[tuple[str, str], Recorded] = {}
        async with self.rt.db.connect() as conn:
            for store in sorted({t.fetched.order.store for t in targets}):
                gids = [t.fetched.order.id for t in targets if t.fetched.order.store == store]
                for gid, rec in (await read_recorded(conn, store, gids)).items():
                    recorded[(store, gid)] = rec
        for target in targets:
            order = target.fetched.order
            plan = plan_for(
                target,
                deliveries.get(target.sale_order_id, ()),
                recorded.get((order.store, order.id), Recorded()),
            )
            if plan.is_empty and not plan.problems:
                continue
            outcome, pickings, fulfillments = await apply_plan(
                self.rt.odoo, self.rt.shop(order.store), target, plan
            )
            if pickings or fulfillments:
                async with self.rt.db.begin() as conn:
                    await write_recorded(conn, order.store, order.id, pickings, fulfillments)
            results[target.key] = replace(results[target.key], fulfil=outcome)

    async def _apply(self, decisions: dict[str, OrderDecision]) -> dict[str, Outcome]:
        creates, updates, cancels = decisions_by_kind(decisions)
        by_order = {d.order_id: k for k, d in decisions.items() if isinstance(d, SaleOrderPlan)}
        by_so = {
            d.sale_order_id: k
            for k, d in decisions.items()
            if isinstance(d, SaleOrderUpdate | CancelSaleOrder)
        }
        out: dict[str, Outcome] = {}
        created = await apply_creates(self.rt.odoo, creates)
        out.update({by_order[oid]: o for oid, o in created.items()})
        for result in (
            await apply_updates(self.rt.odoo, updates),
            await apply_cancels(self.rt.odoo, cancels),
        ):
            out.update({by_so[so]: o for so, o in result.items()})
        for key, d in decisions.items():
            if isinstance(d, NoChange):
                out[key] = Outcome("unchanged", sale_order_id=d.sale_order_id)
            elif isinstance(d, Parked):
                out[key] = Outcome("parked")
        return out

    async def _record(self, results: dict[str, OrderResult], existing_ids: dict[str, Any]) -> None:
        """order_links rows and the in-flight ledger, in one transaction."""
        rt = self.rt
        now = rt.clock()
        topology = await rt.topology() if rt.settings.location_map else None
        shopify_seen: list[ShopifyOrderSeen] = []
        odoo_seen: list[OdooOrderSeen] = []
        async with rt.db.begin() as conn:
            linked: dict[str, Any] = {}
            if topology is not None:  # the product links of every line, one query per store
                for store in sorted({r.fetched.order.store for r in results.values() if r.fetched}):
                    variants = {
                        i.variant_id
                        for r in results.values()
                        if r.fetched and r.fetched.order.store == store
                        for i in r.fetched.order.line_items
                        if i.variant_id
                    }
                    linked[store] = await variant_links(conn, store, sorted(variants))
            for r in results.values():
                if r.fetched is None or r.decision is None or r.outcome is None:
                    continue
                order = r.fetched.order
                prior = existing_ids.get(order.client_order_ref)
                so_id = r.outcome.sale_order_id or (prior.id if prior else None)
                state = r.outcome.state or (prior.state if prior else None)
                if isinstance(r.decision, Parked):
                    link_state, reason = "parked", r.decision.message
                elif order.cancelled_at is not None:
                    link_state, reason = "cancelled", None
                elif so_id is not None:
                    link_state, reason = "imported", None
                else:
                    link_state, reason = "pending", None
                await _upsert_link(conn, order.store, order.id, order.name, so_id, link_state,
                                   reason, r.outcome.line_keys, now)  # fmt: skip
                if topology is not None:
                    shopify_seen.append(_seen(topology, r.fetched, linked[order.store]))
                if so_id is not None and state is not None:
                    odoo_seen.append(
                        OdooOrderSeen(order.store, order.id, now, state in ("sale", "done"))
                    )
            touched = await record_orders(conn, shopify_seen, odoo_seen)
            if touched:
                await enqueue_many(conn, [stock_key(p) for p in sorted(touched)])


def _products_of(order: ShopifyOrder, links: Sequence[VariantLink]) -> dict[str, int]:
    """Shopify line item → the Odoo product it sells (variant link, else SKU), as the planner
    maps lines (independent of the sale order lines' recorded keys)."""
    by_variant = {link.variant_id: link.product_id for link in links if link.variant_id}
    by_sku = {link.sku.strip(): link.product_id for link in links if link.sku}
    out: dict[str, int] = {}
    for item in order.line_items:
        if item.kind != "product":
            continue
        product = by_variant.get(item.variant_id) if item.variant_id else None
        if product is None and item.sku and item.sku.strip():
            product = by_sku.get(item.sku.strip())
        if product is not None:
            out[item.id] = product
    return out


def _seen(topology: Any, fetched: FetchedOrder, links: Mapping[str, Any]) -> ShopifyOrderSeen:
    """The ledger's view of the order: linked lines, drawn from their fulfillment location."""
    order = fetched.order
    where: dict[str, str] = {}
    for fo in order.fulfillment_orders:
        for fl in fo.lines:
            where.setdefault(fl.line_item_id, fo.assigned_location_id)
    fallback = default_location(topology, order.store)
    routes = {r.location_gid: r for r in topology.routes_of(order.store)}
    lines = []
    for item in order.line_items:
        if item.variant_id is None or item.variant_id not in links:
            continue
        pid, inventory_item, sku = links[item.variant_id]
        location = where.get(item.id, fallback or "")
        route = routes.get(location)
        if route is None:
            continue
        lines.append(
            OrderLine(pid, route.pool, location, inventory_item, max(0, item.current_quantity), sku)
        )
    return ShopifyOrderSeen(
        store=order.store,
        order_id=order.id,
        updated_at=fetched.updated_at,
        placed_at=order.processed_at,
        lines=tuple(lines),
        cancelled=order.cancelled_at is not None,
    )


async def _upsert_link(
    conn: AsyncConnection, store: str, gid: str, name: str, so_id: int | None, state: str,
    reason: str | None, new_keys: dict[int, str], now: Any,
) -> None:  # fmt: skip
    t = order_links.c
    keys: dict[str, str] = {}
    if new_keys:  # merge with the keys recorded earlier (a pass that wrote nothing keeps them)
        old = (
            await conn.execute(
                select(t.line_keys).where(t.store == store, t.shopify_order_gid == gid)
            )
        ).first()
        keys = {**((old[0] or {}) if old else {}), **{str(k): v for k, v in new_keys.items()}}
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(order_links).values(
        store=store, shopify_order_gid=gid, order_name=name, sale_order_id=so_id, state=state,
        parked_reason=reason, line_keys=keys, created_at=now, updated_at=now,
    )  # fmt: skip
    changes: dict[str, Any] = {
        "order_name": name,
        "sale_order_id": so_id,
        "state": state,
        "parked_reason": reason,
        "updated_at": now,
    }
    if new_keys:
        changes["line_keys"] = keys
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=[t.store, t.shopify_order_gid], set_=changes)
    )


class OrderBatcher:
    """Gathers the order keys of concurrent jobs for ``window`` s (up to ``max_orders``) and
    processes them in one pass, so Odoo sees a few full calls instead of many small ones."""

    def __init__(self, sync: OrderSync, *, window: float = 0.05, max_orders: int = 100) -> None:
        self.sync = sync
        self.window = window
        self.max_orders = max_orders
        self._waiting: dict[str, list[asyncio.Future[OrderResult]]] = {}
        self._runner: asyncio.Task[None] | None = None
        self.passes = 0

    async def submit(self, key: str) -> OrderResult:
        fut: asyncio.Future[OrderResult] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(fut)
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run(), name="order-batcher")
        return await fut

    async def _run(self) -> None:
        while self._waiting:
            await asyncio.sleep(self.window)
            keys = list(self._waiting)[: self.max_orders]
            futures = {k: self._waiting.pop(k) for k in keys}
            self.passes += 1
            try:
                results = await self.sync.process(keys)
            except BaseException as exc:
                for futs in futures.values():
                    for f in futs:
                        if not f.done():
                            f.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for k, futs in futures.items():
                for f in futs:
                    if not f.done():
                        f.set_result(results[k])


def order_handler(rt: Runtime, batcher: OrderBatcher | None = None) -> Handler:
    """The queue handler of ``order`` jobs (register it in place of the ledger-only one)."""
    b = batcher or OrderBatcher(OrderSync(rt))

    async def handle(lease: Lease) -> None:
        result = await b.submit(lease.key)
        result.raise_for_problem()

    return handle


async def _reprocess_order(conn: AsyncConnection, store: str, key: str) -> None:
    """``reprocess`` of a parked order: the link row is reset to pending (the job re-plans)."""
    _store, gid = split_key(key)
    t = order_links.c
    await conn.execute(
        update(order_links)
        .where(t.store == _store, t.shopify_order_gid == gid, t.state == "parked")
        .values(state="pending", parked_reason=None)
    )


REPROCESS_HOOKS[ORDER] = _reprocess_order


@dataclass(frozen=True, slots=True)
class BackfillRow:
    """One order of ``orders import``: what the pass decided and (with apply) did."""

    store: str
    order_name: str
    action: str  # create | update | cancel | unchanged | parked | failed | gone
    sale_order_id: int | None
    message: str = ""


def _backfill_row(store: str, result: OrderResult) -> BackfillRow:
    order = result.fetched.order if result.fetched else None
    name = order.name if order else result.key.rsplit("/", 1)[-1]
    d, outcome = result.decision, result.outcome
    so_id = outcome.sale_order_id if outcome else None
    if d is None:
        return BackfillRow(store, name, "gone", None, "Shopify no longer knows the order")
    if isinstance(d, Parked):
        return BackfillRow(store, name, "parked", None, d.message)
    if outcome is not None and outcome.error is not None:
        return BackfillRow(store, name, "failed", so_id, outcome.error.message)
    if isinstance(d, NoChange):
        return BackfillRow(store, name, "unchanged", d.sale_order_id, d.reason)
    kind = {SaleOrderPlan: "create", SaleOrderUpdate: "update", CancelSaleOrder: "cancel"}
    return BackfillRow(store, name, kind[type(d)], so_id)


async def backfill_orders(
    rt: Runtime,
    since: Any,
    stores: Sequence[str],
    *,
    apply: bool,
    batch: int = 50,
    progress: Callable[[int, int], None] | None = None,
) -> list[BackfillRow]:
    """``orders import``: the orders of ``stores`` updated since ``since`` through the worker's
    own pass (read now, search before create, plan, apply, record), ``batch`` at a time; without
    ``apply`` nothing is written anywhere and the rows say what a pass would do.
    ``progress(done, total)`` is called after each batch."""
    keys: list[tuple[str, str]] = []
    for store in stores:
        async for summary in rt.shop(store).orders_updated_since(since):
            keys.append((store, f"{store}:{summary.id}"))
    sync = OrderSync(rt)
    rows: list[BackfillRow] = []
    for start in range(0, len(keys), batch):
        chunk = keys[start : start + batch]
        results = await sync.process([k for _s, k in chunk], apply=apply)
        rows += [_backfill_row(store, results[key]) for store, key in chunk]
        if progress is not None:
            progress(min(start + batch, len(keys)), len(keys))
    return rows


@dataclass(frozen=True, slots=True)
class OrdersReprocessed:
    """``reprocess --order``: the order keys queued again and the names nobody knows."""

    keys: tuple[str, ...]
    unknown: tuple[str, ...]


async def reprocess_orders(
    conn: AsyncConnection, store: str, orders: Sequence[str], *, now: Any = None
) -> OrdersReprocessed:
    """Queue the named orders of ``store`` again (``1001`` or ``#1001``), whatever their state:
    a parked order re-plans now that its cause is fixed; its dead job is replaced."""
    names = sorted({"#" + o.strip().lstrip("#") for o in orders if o.strip().lstrip("#")})
    t = order_links.c
    rows = (
        await conn.execute(
            select(t.shopify_order_gid, t.order_name).where(
                t.store == store, t.order_name.in_(names)
            )
        )
    ).all()
    keys = [f"{store}:{gid}" for gid, _name in rows]
    for key in keys:
        await _reprocess_order(conn, store, key)
        await conn.execute(
            jobs.delete().where(
                jobs.c.kind == ORDER, jobs.c.key == key, jobs.c.state == JobState.DEAD.value
            )
        )
    if keys:
        await enqueue_many(conn, [(ORDER, k) for k in keys], priority=10, now=now)
    found = {name for _gid, name in rows}
    return OrdersReprocessed(tuple(keys), tuple(n for n in names if n not in found))


__all__ = [
    "BackfillRow",
    "OrderBatcher",
    "OrderResult",
    "OrderSync",
    "OrdersReprocessed",
    "ShopifyOdooError",
    "backfill_orders",
    "order_handler",
    "reprocess_orders",
    "split_key",
]
