"""Fulfillment both ways, pure: Odoo done deliveries → Shopify fulfillments, and for locations
fulfilled in Shopify (3PL apps, POS) Shopify fulfillments → validated Odoo deliveries.
Entry point: :func:`plan_fulfillments`.

Odoo → Shopify (DESIGN.md §1 "Fulfillment + tracking"; Shopify fact sheet §e.2):
a done delivery's moves (product, done quantity) are matched, oldest picking first, to the open
fulfillment order lines of the same products at the Shopify locations of the delivery's warehouse,
never beyond a line's ``remainingQuantity``.  One ``fulfillmentCreate`` per (picking, location),
because one call may only hold fulfillment orders of one order and one location.  A partial
delivery fulfils what it shipped; its backorder, when done, fulfils the rest.

Never twice, level-triggered: per warehouse and product, the units Shopify already shows as
fulfilled at the warehouse's locations cover the oldest done deliveries first; only the rest is
sent, and never beyond the fulfillment order lines' ``remainingQuantity``.  So a crash between
``fulfillmentCreate`` and our commit does not ship twice (the units are already fulfilled in
Shopify, they cover that picking), nor does a person's manual fulfillment.  Pickings fully
covered are returned in ``record_pickings`` for the link table.  ``fulfillmentCreate`` takes no
idempotency key in 2026-04 (Shopify fact sheet §a.6), so nothing here carries one: the engine
reads the fulfillment order again right before each create and sends nothing when it changed
(:func:`shopify_odoo.engine.order_fulfillment.check_unchanged`).

Shopify → Odoo (locations whose ``fulfilled_by`` is ``shopify``): a successful Shopify
fulfillment validates the open deliveries of the mapped warehouse: Shopify's fulfilled units at
those locations minus the units the warehouse's done deliveries hold, oldest delivery first;
short quantities leave a backorder.  Again level-triggered, so a crash cannot validate twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal
from urllib.parse import quote

from shopify_odoo.sync.order_model import (
    ExistingSaleOrder,
    FulfillmentOrder,
    FulfillmentOrderLine,
    LocationRoute,
    Problem,
    ShopifyOrder,
)

PickingState = Literal["draft", "waiting", "confirmed", "assigned", "done", "cancel"]
FulfillmentStatus = Literal["SUCCESS", "CANCELLED", "ERROR", "FAILURE", "PENDING", "OPEN"]
FULFILLABLE = ("OPEN", "IN_PROGRESS")


@dataclass(frozen=True, slots=True)
class DeliveryMove:
    """A ``stock.move`` of a delivery: ``quantity`` is done (16: ``quantity_done``; 17+:
    ``quantity`` of a done picking), ``demand`` is ``product_uom_qty``."""

    move_id: int
    product_id: int
    quantity: Decimal
    demand: Decimal = Decimal(0)
    #: product display name, for messages
    product_name: str = ""


@dataclass(frozen=True, slots=True)
class OdooDelivery:
    """An outgoing ``stock.picking`` of the order's sale order (returns excluded)."""

    picking_id: int
    name: str
    state: PickingState
    warehouse_id: int
    moves: tuple[DeliveryMove, ...]
    #: ``carrier_id`` display name and ``carrier_tracking_ref`` (delivery/stock_delivery, §3.7)
    carrier_name: str | None = None
    tracking_ref: str | None = None


@dataclass(frozen=True, slots=True)
class FulfilledLine:
    line_item_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ShopifyFulfillment:
    id: str
    location_id: str
    status: FulfillmentStatus
    lines: tuple[FulfilledLine, ...] = ()
    tracking_numbers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CarrierMapping:
    """Odoo carrier name → Shopify tracking company and URL template (``{number}``)."""

    odoo_carrier: str
    company: str
    tracking_url: str | None = None


@dataclass(frozen=True, slots=True)
class FulfillmentState:
    order: ShopifyOrder
    deliveries: tuple[OdooDelivery, ...]
    fulfillments: tuple[ShopifyFulfillment, ...]
    #: Shopify line item gid → Odoo product id (from the sale order lines' keys)
    product_by_line_item: Mapping[str, int]
    #: pickings the link table records as sent to Shopify
    recorded_pickings: frozenset[int] = frozenset()
    #: Shopify fulfillments the link table records as applied to Odoo
    recorded_fulfillments: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class FulfillmentOrderLineQty:
    fulfillment_order_line_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class FulfillmentOrderLines:
    fulfillment_order_id: str
    lines: tuple[FulfillmentOrderLineQty, ...]


@dataclass(frozen=True, slots=True)
class TrackingInfo:
    company: str | None
    numbers: tuple[str, ...]
    urls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CreateFulfillment:
    """One ``fulfillmentCreate`` (``lineItemsByFulfillmentOrder``, ``trackingInfo``)."""

    picking_id: int
    picking_name: str
    location_id: str
    line_items_by_fulfillment_order: tuple[FulfillmentOrderLines, ...]
    tracking: TrackingInfo | None
    notify_customer: bool


@dataclass(frozen=True, slots=True)
class ValidateDelivery:
    """Set these done quantities on the picking's moves and validate it; ``backorder``: keep
    the short quantities as a backorder (else none remains short)."""

    picking_id: int
    picking_name: str
    #: the Shopify fulfillments this validation reflects (not yet recorded ones)
    fulfillment_ids: tuple[str, ...]
    #: move id → done quantity to set
    quantities: tuple[tuple[int, Decimal], ...]
    backorder: bool


@dataclass(frozen=True, slots=True)
class FulfillmentPlan:
    creates: tuple[CreateFulfillment, ...] = ()
    #: pickings Shopify already shows as fulfilled: record them, send nothing
    record_pickings: tuple[int, ...] = ()
    validates: tuple[ValidateDelivery, ...] = ()
    #: Shopify fulfillments Odoo already reflects: record them, validate nothing
    record_fulfillments: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (
            self.creates or self.record_pickings or self.validates or self.record_fulfillments
        )


def product_by_line_item(sale_order: ExistingSaleOrder) -> dict[str, int]:
    """Shopify line item gid → Odoo product, from the keys of the order's product lines
    (``item:<gid>``, see ``orders.PlannedLine.key``); zeroed lines included (they shipped or
    not, the product is the same)."""
    return {
        line.key.removeprefix("item:"): line.product_id
        for line in sale_order.lines
        if line.key is not None and line.key.startswith("item:")
    }


def tracking_info(
    delivery: OdooDelivery, carriers: Sequence[CarrierMapping]
) -> TrackingInfo | None:
    """Carrier and tracking for Shopify; several references in one field (``,``/``;``/space)."""
    numbers = tuple(
        n for n in (delivery.tracking_ref or "").replace(";", ",").replace(" ", ",").split(",") if n
    )
    if not numbers and not delivery.carrier_name:
        return None
    name = (delivery.carrier_name or "").strip()
    mapping = next((c for c in carriers if c.odoo_carrier.casefold() == name.casefold()), None)
    company = mapping.company if mapping else (name or None)
    urls: tuple[str, ...] = ()
    if mapping and mapping.tracking_url:
        template = mapping.tracking_url
        urls = tuple(template.replace("{number}", quote(n, safe="")) for n in numbers)
    return TrackingInfo(company=company, numbers=numbers, urls=urls)


def _no_match(state: FulfillmentState, delivery: OdooDelivery, product_id: int) -> Problem:
    order = state.order
    names = {m.product_id: m.product_name for m in delivery.moves if m.product_name}
    product = f'"{names[product_id]}" (id {product_id})' if product_id in names else str(product_id)
    return Problem(
        "fulfillment_unmatched",
        f"Delivery {delivery.name} of order {order.name} (store {order.store}) shipped product "
        f"{product} from warehouse {delivery.warehouse_id}, but the order has no Shopify "
        "fulfillment order line for that product at a location of that warehouse: check the "
        "store's location map and the order's lines, then fulfil the order in Shopify by hand "
        "if it is right",
    )


def plan_fulfillments(
    state: FulfillmentState,
    routes: Sequence[LocationRoute],
    carriers: Sequence[CarrierMapping] = (),
    notify_customer: bool = True,
) -> FulfillmentPlan:
    """Shopify fulfillments for done Odoo deliveries and Odoo validations for Shopify ones."""
    creates, records, problems, warnings = _odoo_to_shopify(
        state, routes, carriers, notify_customer
    )
    validates, recorded, more_problems = _shopify_to_odoo(state, routes)
    return FulfillmentPlan(
        creates=tuple(creates),
        record_pickings=tuple(records),
        validates=tuple(validates),
        record_fulfillments=tuple(recorded),
        problems=(*problems, *more_problems),
        warnings=tuple(warnings),
    )


def _fulfilled_by_location(state: FulfillmentState) -> dict[str, dict[int, int]]:
    """Units per product that Shopify shows as fulfilled, per location (successful only)."""
    out: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for fulfillment in state.fulfillments:
        if fulfillment.status != "SUCCESS":
            continue
        for line in fulfillment.lines:
            product = state.product_by_line_item.get(line.line_item_id)
            if product is not None:
                out[fulfillment.location_id][product] += line.quantity
    return out


def _odoo_to_shopify(
    state: FulfillmentState,
    routes: Sequence[LocationRoute],
    carriers: Sequence[CarrierMapping],
    notify_customer: bool,
) -> tuple[list[CreateFulfillment], list[int], list[Problem], list[str]]:
    locations_of: dict[int, set[str]] = defaultdict(set)
    for route in routes:
        if route.fulfilled_by == "odoo":
            locations_of[route.warehouse_id].add(route.location_id)
    fulfilled = _fulfilled_by_location(state)
    remaining = {
        line.id: line.remaining_quantity
        for fo in state.order.fulfillment_orders
        if fo.status in FULFILLABLE
        for line in fo.lines
    }
    creates: list[CreateFulfillment] = []
    records: list[int] = []
    problems: list[Problem] = []
    warnings: list[str] = []
    for warehouse_id, locations in sorted(locations_of.items()):
        # Units Shopify already shows as fulfilled here cover the oldest done deliveries first:
        # a delivery sent before a crash (fulfilled in Shopify, not yet recorded) is covered.
        covered: dict[int, int] = defaultdict(int)
        for location_id in locations:
            for product, qty in fulfilled.get(location_id, {}).items():
                covered[product] += qty
        candidates = [
            (fo, line)
            for fo in sorted(state.order.fulfillment_orders, key=lambda f: f.id)
            if fo.assigned_location_id in locations and fo.status in FULFILLABLE
            for line in sorted(fo.lines, key=lambda x: x.id)
        ]
        done = sorted(
            (d for d in state.deliveries if d.warehouse_id == warehouse_id and d.state == "done"),
            key=lambda d: d.picking_id,
        )
        for delivery in done:
            unsent: dict[int, int] = {}
            for move in delivery.moves:
                take = min(covered[move.product_id], int(move.quantity))
                covered[move.product_id] -= take
                if int(move.quantity) - take > 0:
                    unsent[move.product_id] = (
                        unsent.get(move.product_id, 0) + int(move.quantity) - take
                    )
            if delivery.picking_id in state.recorded_pickings:
                continue
            if not unsent:
                records.append(delivery.picking_id)
                continue
            chosen = _allocate(state, delivery, unsent, candidates, remaining, problems, warnings)
            if not chosen:
                continue
            tracking = tracking_info(delivery, carriers)
            for location_id in sorted(chosen):
                creates.append(
                    CreateFulfillment(
                        picking_id=delivery.picking_id,
                        picking_name=delivery.name,
                        location_id=location_id,
                        line_items_by_fulfillment_order=tuple(
                            FulfillmentOrderLines(
                                fo_id,
                                tuple(
                                    FulfillmentOrderLineQty(line_id, qty)
                                    for line_id, qty in sorted(lines.items())
                                ),
                            )
                            for fo_id, lines in sorted(chosen[location_id].items())
                        ),
                        tracking=tracking,
                        notify_customer=notify_customer,
                    )
                )
    return creates, records, problems, warnings


def _allocate(
    state: FulfillmentState,
    delivery: OdooDelivery,
    unsent: Mapping[int, int],
    candidates: Sequence[tuple[FulfillmentOrder, FulfillmentOrderLine]],
    remaining: dict[str, int],
    problems: list[Problem],
    warnings: list[str],
) -> dict[str, dict[str, dict[str, int]]]:
    """location → fulfillment order → line → quantity, never beyond Shopify's remaining."""
    chosen: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for product_id, qty in sorted(unsent.items()):
        lines = [
            (fo, line)
            for fo, line in candidates
            if state.product_by_line_item.get(line.line_item_id) == product_id
        ]
        if not lines:
            problems.append(_no_match(state, delivery, product_id))
            continue
        left = qty
        for fo, line in lines:
            take = min(left, remaining.get(line.id, 0))
            if take > 0:
                remaining[line.id] -= take
                left -= take
                per_fo = chosen[fo.assigned_location_id][fo.id]
                per_fo[line.id] = per_fo.get(line.id, 0) + take
        if left > 0:
            warnings.append(
                f"delivery {delivery.name} of order {state.order.name} (store "
                f"{state.order.store}): {left} unit(s) of product {product_id} exceed what "
                "Shopify still has to fulfil; they were not reported to Shopify: check the "
                "delivery against the order, and edit the order in Shopify if they were sold"
            )
    return chosen


def _shopify_to_odoo(
    state: FulfillmentState, routes: Sequence[LocationRoute]
) -> tuple[list[ValidateDelivery], list[str], list[Problem]]:
    """Level-triggered: Shopify's fulfilled units at a location minus what the warehouse's
    done deliveries hold is what the open deliveries still have to validate."""
    locations_of: dict[int, set[str]] = defaultdict(set)
    for route in routes:
        if route.fulfilled_by == "shopify":
            locations_of[route.warehouse_id].add(route.location_id)
    fulfilled = _fulfilled_by_location(state)
    validates: list[ValidateDelivery] = []
    recorded: list[str] = []
    problems: list[Problem] = []
    for warehouse_id, locations in sorted(locations_of.items()):
        ids = tuple(
            sorted(
                f.id
                for f in state.fulfillments
                if f.location_id in locations
                and f.status == "SUCCESS"
                and f.id not in state.recorded_fulfillments
            )
        )
        todo: dict[int, Decimal] = defaultdict(Decimal)
        for location_id in locations:
            for product, qty in fulfilled.get(location_id, {}).items():
                todo[product] += qty
        pickings = sorted(
            (d for d in state.deliveries if d.warehouse_id == warehouse_id),
            key=lambda d: d.picking_id,
        )
        for delivery in pickings:
            if delivery.state == "done":
                for move in delivery.moves:
                    todo[move.product_id] -= move.quantity
        for delivery in pickings:
            if delivery.state in ("done", "cancel"):
                continue
            quantities: dict[int, Decimal] = {}
            for move in sorted(delivery.moves, key=lambda m: m.move_id):
                take = min(todo[move.product_id], move.demand - move.quantity)
                if take > 0:
                    todo[move.product_id] -= take
                    quantities[move.move_id] = move.quantity + take
            if quantities:
                short = any(
                    quantities.get(m.move_id, m.quantity) < m.demand for m in delivery.moves
                )
                validates.append(
                    ValidateDelivery(
                        picking_id=delivery.picking_id,
                        picking_name=delivery.name,
                        fulfillment_ids=ids,
                        quantities=tuple(sorted(quantities.items())),
                        backorder=short,
                    )
                )
        if any(q > 0 for q in todo.values()):
            problems.append(_no_open_delivery(state, warehouse_id, locations))
        else:
            recorded.extend(ids)
    return validates, recorded, problems


def _no_open_delivery(state: FulfillmentState, warehouse_id: int, locations: set[str]) -> Problem:
    order = state.order
    names = {
        fo.assigned_location_id: fo.location_name
        for fo in order.fulfillment_orders
        if fo.location_name
    }
    where = ", ".join(
        f'"{names[loc]}" ({loc})' if loc in names else loc for loc in sorted(locations)
    )
    return Problem(
        "fulfillment_no_delivery",
        f"Order {order.name} (store {order.store}) was fulfilled in Shopify at {where}, but "
        f"warehouse {warehouse_id} has no open Odoo delivery left for those units: check that "
        "the order's sale order is confirmed and ships from that warehouse, then validate the "
        "delivery in Odoo by hand",
    )
