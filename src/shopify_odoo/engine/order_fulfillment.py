"""Fulfillment both ways for orders Odoo holds as confirmed sale orders (issue 8, Build 5).

Part of the order key's pass (DESIGN.md §2: one key, both sides read, a pure plan, applied):

* Odoo → Shopify: a done delivery of the sale order becomes one ``fulfillmentCreate`` per
  (delivery, Shopify location) on the matching fulfillment order lines, with the mapped carrier
  and the tracking numbers/URLs (Shopify fact sheet §e.2); partial deliveries and backorders
  fulfil what they shipped.
* Shopify → Odoo, for locations fulfilled in Shopify (3PL apps, POS): a Shopify fulfillment
  sets the done quantities on the open delivery of the mapped warehouse and validates it
  (Odoo fact sheet §3.7 recipe, :func:`shopify_odoo.odoo.sales.validate_pickings`).

Never twice: ``fulfillmentCreate`` takes no idempotency key in 2026-04 (``@idempotent`` works
only on mutations whose description says so, fact sheet §a.6; its description does not), so
safety rests on reading before creating.  :func:`shopify_odoo.sync.fulfillment.plan_fulfillments`
is level-triggered (units Shopify already shows as fulfilled cover the oldest done deliveries, on
the order read at the start of the pass), so a crash between the ``fulfillmentCreate`` and our
commit, a lost answer, a duplicate webhook or a later pass plans nothing new.  And right before
each ``fulfillmentCreate`` the fulfillment order is read again (:func:`check_unchanged`): when
its lines' remaining quantities are no longer what the plan was made from (another pass that
outlived its lease, a person or an app fulfilled meanwhile), nothing is sent and the order is
planned again from a fresh read.  The pickings reflected are recorded on the order link
(``order_links.pickings``) so later passes skip them without re-planning.

What marks an order key dirty for this: the Odoo picking poll (:mod:`engine.order_poller`,
done deliveries since its cursor → their orders) and Shopify's ``fulfillments/*`` webhooks.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.engine.order_reads import FetchedOrder
from shopify_odoo.errors import ShopifyOdooError, TerminalError, TransientError
from shopify_odoo.odoo import OdooClient
from shopify_odoo.odoo.records import m2o_id, text
from shopify_odoo.odoo.sales import validate_pickings
from shopify_odoo.shopify.admin import FulfillmentLine, FulfillmentRequest
from shopify_odoo.shopify.client import ShopifyClient
from shopify_odoo.shopify.limiter import Priority
from shopify_odoo.store.tables import order_links
from shopify_odoo.sync.fulfillment import (
    FULFILLABLE,
    CarrierMapping,
    CreateFulfillment,
    DeliveryMove,
    FulfillmentPlan,
    FulfillmentState,
    OdooDelivery,
    ValidateDelivery,
    plan_fulfillments,
)
from shopify_odoo.sync.order_model import LocationRoute, Problem, ShopifyOrder

log = logging.getLogger(__name__)

PICKING_STATES = ("draft", "waiting", "confirmed", "assigned", "done", "cancel")


@dataclass(frozen=True, slots=True)
class FulfilTarget:
    """One order whose sale order exists: what the planner needs besides the deliveries."""

    key: str
    fetched: FetchedOrder
    sale_order_id: int
    #: Shopify line item gid → Odoo product (from the sale order's product lines)
    product_by_line_item: Mapping[str, int]
    routes: tuple[LocationRoute, ...]
    carriers: tuple[CarrierMapping, ...] = ()
    notify_customer: bool = True


@dataclass
class FulfilOutcome:
    """What one order's fulfillment pass did; ``error`` is raised on the order's job."""

    created: list[str] = field(default_factory=list)
    validated: list[int] = field(default_factory=list)
    problems: tuple[Problem, ...] = ()
    error: ShopifyOdooError | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    pickings: frozenset[int] = frozenset()
    fulfillments: frozenset[str] = frozenset()


def _recorded(raw: Any) -> Recorded:
    if not isinstance(raw, Mapping):
        return Recorded()
    return Recorded(
        frozenset(int(p) for p in raw.get("sent") or []),
        frozenset(str(f) for f in raw.get("applied") or []),
    )


async def read_recorded(
    conn: AsyncConnection, store: str, gids: Sequence[str]
) -> dict[str, Recorded]:
    t = order_links.c
    rows = await conn.execute(
        select(t.shopify_order_gid, t.pickings).where(
            t.store == store, t.shopify_order_gid.in_(list(gids))
        )
    )
    return {gid: _recorded(raw) for gid, raw in rows}


async def write_recorded(
    conn: AsyncConnection, store: str, gid: str, add_pickings: Sequence[int],
    add_fulfillments: Sequence[str],
) -> None:  # fmt: skip
    t = order_links.c
    row = (
        await conn.execute(select(t.pickings).where(t.store == store, t.shopify_order_gid == gid))
    ).first()
    if row is None:
        return
    old = _recorded(row[0])
    value = {
        "sent": sorted(old.pickings | {int(p) for p in add_pickings}),
        "applied": sorted(old.fulfillments | set(add_fulfillments)),
    }
    await conn.execute(
        update(order_links)
        .where(t.store == store, t.shopify_order_gid == gid)
        .values(pickings=value)
    )


class DeliveryReader:
    """Outgoing pickings of sale orders with their moves: two calls per batch, plus one the
    first time a picking type is seen (its warehouse, cached)."""

    def __init__(self, odoo: OdooClient) -> None:
        self.odoo = odoo
        self._warehouse_of_type: dict[int, int] = {}

    async def warm(self) -> None:
        """Read every outgoing picking type's warehouse now (one call)."""
        rows = await self.odoo.search_read(
            "stock.picking.type", [("code", "=", "outgoing")], ["id", "warehouse_id"]
        )
        for row in rows:
            self._warehouse_of_type[int(row["id"])] = m2o_id(row.get("warehouse_id")) or 0

    async def read(self, sale_order_ids: Sequence[int]) -> dict[int, list[OdooDelivery]]:
        if not sale_order_ids:
            return {}
        odoo = self.odoo
        caps = await odoo.connect()
        fields = ["id", "name", "state", "sale_id", "picking_type_id"]
        for optional in ("carrier_id", "carrier_tracking_ref"):  # §3.7: delivery module
            if await odoo.has_field("stock.picking", optional):
                fields.append(optional)
        pickings = await odoo.search_read(
            "stock.picking",
            [
                ("sale_id", "in", sorted(set(sale_order_ids))),
                ("picking_type_code", "=", "outgoing"),
            ],
            fields,
            order="id",
        )
        if not pickings:
            return {}
        types = sorted({m2o_id(p.get("picking_type_id")) or 0 for p in pickings} - {0})
        unknown = [t for t in types if t not in self._warehouse_of_type]
        if unknown:
            for row in await odoo.read("stock.picking.type", unknown, ["warehouse_id"]):
                self._warehouse_of_type[int(row["id"])] = m2o_id(row.get("warehouse_id")) or 0
        done_field = "quantity" if caps.move_picked_flag else "quantity_done"
        move_fields = ["id", "picking_id", "product_id", "product_uom_qty", done_field, "state"]
        moves = await odoo.search_read(
            "stock.move",
            [("picking_id", "in", [int(p["id"]) for p in pickings])],
            move_fields,
            order="id",
        )
        by_picking: dict[int, list[DeliveryMove]] = {}
        state_of = {int(p["id"]): str(p.get("state") or "") for p in pickings}
        for m in moves:
            pid = m2o_id(m.get("picking_id")) or 0
            done = Decimal(str(m.get(done_field) or 0))
            if state_of.get(pid) != "done":
                # nothing of an open delivery is done until it is validated: on 17+ ``quantity``
                # of an open move is what is reserved (§3.5), and quantities an interrupted
                # pass set (``picked``) are set again before the validation is retried
                done = Decimal(0)
            if m.get("state") == "cancel":
                continue
            product = m.get("product_id")
            by_picking.setdefault(pid, []).append(
                DeliveryMove(
                    move_id=int(m["id"]),
                    product_id=m2o_id(product) or 0,
                    quantity=done,
                    demand=Decimal(str(m.get("product_uom_qty") or 0)),
                    product_name=str(product[1]) if isinstance(product, list) else "",
                )
            )
        out: dict[int, list[OdooDelivery]] = {}
        for p in pickings:
            state = str(p.get("state") or "")
            carrier = p.get("carrier_id")
            out.setdefault(m2o_id(p.get("sale_id")) or 0, []).append(
                OdooDelivery(
                    picking_id=int(p["id"]),
                    name=str(p.get("name") or ""),
                    state=state if state in PICKING_STATES else "confirmed",  # type: ignore[arg-type]
                    warehouse_id=self._warehouse_of_type.get(
                        m2o_id(p.get("picking_type_id")) or 0, 0
                    ),
                    moves=tuple(by_picking.get(int(p["id"]), ())),
                    carrier_name=str(carrier[1]) if isinstance(carrier, list) else None,
                    tracking_ref=text(p.get("carrier_tracking_ref")),
                )
            )
        return out


def plan_for(
    target: FulfilTarget, deliveries: Sequence[OdooDelivery], recorded: Recorded
) -> FulfillmentPlan:
    state = FulfillmentState(
        order=target.fetched.order,
        deliveries=tuple(deliveries),
        fulfillments=target.fetched.fulfillments,
        product_by_line_item=target.product_by_line_item,
        recorded_pickings=recorded.pickings,
        recorded_fulfillments=recorded.fulfillments,
    )
    return plan_fulfillments(state, target.routes, target.carriers, target.notify_customer)


class FulfillmentOrderChanged(TransientError):
    """A fulfillment order is no longer what the plan was made from: nothing was sent."""


def expected_remaining(order: ShopifyOrder) -> dict[str, int]:
    """What each fulfillment order line has left to fulfil, as the pass read it."""
    return {
        line.id: line.remaining_quantity for fo in order.fulfillment_orders for line in fo.lines
    }


async def check_unchanged(
    shop: ShopifyClient, order: ShopifyOrder, fo_id: str, expected: Mapping[str, int]
) -> None:
    """Search before create: read the fulfillment order now and refuse to go on when its
    status or the remaining quantity of one of its lines differs from ``expected``."""
    data = await shop.execute("fulfillment_order_lines", {"id": fo_id}, priority=Priority.REALTIME)
    raw = data.get("fulfillmentOrder")
    now: dict[str, int] = {}
    status = None
    if isinstance(raw, Mapping):
        status = raw.get("status")
        for node in (raw.get("lineItems") or {}).get("nodes") or []:
            now[str(node["id"])] = int(node.get("remainingQuantity") or 0)
    fo = next((f for f in order.fulfillment_orders if f.id == fo_id), None)
    lines = [line.id for line in fo.lines] if fo is not None else []
    changed = [
        f"{line_id}: {expected.get(line_id)} -> {now.get(line_id)}"
        for line_id in lines
        if now.get(line_id) != expected.get(line_id)
    ]
    if status in FULFILLABLE and not changed:
        return
    what = f"status {status}" if status not in FULFILLABLE else "remaining " + ", ".join(changed)
    raise FulfillmentOrderChanged(
        f"store {order.store}, order {order.name}: fulfillment order {fo_id} changed since this "
        f"pass read the order ({what}): a fulfillment was made meanwhile (another pass, a person "
        "or an app), so nothing was sent; the order is planned again from a fresh read",
        cause="fulfillment_order_changed",
        hint="nothing to do: the order is retried by itself",
    )


async def create_fulfillments(
    shop: ShopifyClient,
    create: CreateFulfillment,
    order: ShopifyOrder | None = None,
    expected: dict[str, int] | None = None,
) -> list[str]:
    """One ``fulfillmentCreate`` per fulfillment order of ``create`` (same order, same
    location: §e.2), with the delivery's tracking.  With ``order`` and ``expected`` (the
    remaining quantities the plan was made from), each fulfillment order is read first
    (:func:`check_unchanged`) and ``expected`` follows what this pass fulfils."""
    made: list[str] = []
    tracking = create.tracking
    for group in create.line_items_by_fulfillment_order:
        if order is not None and expected is not None:
            await check_unchanged(shop, order, group.fulfillment_order_id, expected)
        request = FulfillmentRequest(
            fulfillment_order_id=group.fulfillment_order_id,
            lines=tuple(
                FulfillmentLine(line.fulfillment_order_line_id, line.quantity)
                for line in group.lines
            ),
            tracking_company=tracking.company if tracking else None,
            tracking_numbers=tracking.numbers if tracking else (),
            tracking_urls=tracking.urls if tracking else (),
            notify_customer=create.notify_customer,
        )
        fulfillment = await shop.create_fulfillment(request)
        made.append(fulfillment.id)
        if expected is not None:
            if group.lines:
                for line in group.lines:
                    line_id = line.fulfillment_order_line_id
                    expected[line_id] = expected.get(line_id, 0) - line.quantity
            elif order is not None:  # no lines: the whole fulfillment order (§e.2)
                for fo in order.fulfillment_orders:
                    if fo.id == group.fulfillment_order_id:
                        expected.update({line.id: 0 for line in fo.lines})
    return made


async def validate_delivery(odoo: OdooClient, validate: ValidateDelivery) -> None:
    """Set the done quantities Shopify reported (17+: ``quantity`` + ``picked`` on the moves;
    16: ``qty_done`` on the move lines, §3.5 and the §3.7 recipe) and validate (§3.7), keeping
    a backorder for the rest."""
    caps = await odoo.connect()
    if caps.move_picked_flag:
        for move_id, qty in validate.quantities:
            await odoo.write("stock.move", [move_id], {"quantity": float(qty), "picked": True})
    else:
        await _set_done_on_move_lines(odoo, validate.quantities)
    await validate_pickings(odoo, [validate.picking_id], backorder=validate.backorder)


async def _set_done_on_move_lines(
    odoo: OdooClient, quantities: Sequence[tuple[int, Decimal]]
) -> None:
    """16: a move's ``quantity_done`` cannot be written when the move has several move lines
    (stock reserved from several quants: "Cannot set the done quantity from this stock move,
    work directly with the move lines"), so the done quantity goes on the lines, each up to
    what it reserved, the last line taking the rest.  A move without lines (nothing reserved)
    gets its ``quantity_done``: 16's inverse creates the line."""
    caps = await odoo.connect()
    reserved_field = caps.move_line_reserved_field
    lines = await odoo.search_read(
        "stock.move.line",
        [("move_id", "in", sorted({move_id for move_id, _qty in quantities}))],
        ["id", "move_id", reserved_field],
        order="id",
    )
    lines_of: dict[int, list[Mapping[str, Any]]] = {}
    for line in lines:
        lines_of.setdefault(m2o_id(line.get("move_id")) or 0, []).append(line)
    by_value: dict[Decimal, list[int]] = {}
    for move_id, qty in quantities:
        own = lines_of.get(move_id, [])
        if not own:
            await odoo.write("stock.move", [move_id], {"quantity_done": float(qty)})
            continue
        rest = Decimal(qty)
        for position, own_line in enumerate(own):
            reserved = Decimal(str(own_line.get(reserved_field) or 0))
            share = rest if position == len(own) - 1 else min(rest, max(reserved, Decimal(0)))
            by_value.setdefault(share, []).append(int(own_line["id"]))
            rest -= share
    for value, ids in sorted(by_value.items()):
        await odoo.write("stock.move.line", ids, {"qty_done": float(value)})


async def apply_plan(
    odoo: OdooClient, shop: ShopifyClient, target: FulfilTarget, plan: FulfillmentPlan
) -> tuple[FulfilOutcome, list[int], list[str]]:
    """Apply one order's plan; returns the outcome and what to record (pickings, fulfillments)."""
    outcome = FulfilOutcome(problems=plan.problems)
    record_pickings = list(plan.record_pickings)
    record_fulfillments = list(plan.record_fulfillments)
    order = target.fetched.order
    for warning in plan.warnings:
        log.warning(warning, extra={"action": "fulfillment", "store": order.store})
    expected = expected_remaining(order)
    try:
        for create in plan.creates:
            outcome.created.extend(await create_fulfillments(shop, create, order, expected))
        # a delivery split over several locations is recorded once every part is sent
        record_pickings.extend(sorted({c.picking_id for c in plan.creates}))
        for validate in plan.validates:
            await validate_delivery(odoo, validate)
            outcome.validated.append(validate.picking_id)
            record_fulfillments.extend(validate.fulfillment_ids)
    except ShopifyOdooError as exc:
        # level-triggered: the next pass sees what was done; record only what was already so
        outcome.error = exc
        return outcome, list(plan.record_pickings), []
    if outcome.error is None and plan.problems:
        outcome.error = TerminalError(
            "\n".join(p.message for p in plan.problems), cause=plan.problems[0].code
        )
    return outcome, record_pickings, record_fulfillments
