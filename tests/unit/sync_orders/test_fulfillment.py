"""Fulfillment both ways: Odoo deliveries → Shopify fulfillments, Shopify (3PL) → Odoo."""

from __future__ import annotations

import dataclasses
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from shopify_odoo.sync.fulfillment import (
    CarrierMapping,
    DeliveryMove,
    FulfilledLine,
    FulfillmentPlan,
    FulfillmentState,
    OdooDelivery,
    ShopifyFulfillment,
    plan_fulfillments,
    tracking_info,
)
from shopify_odoo.sync.order_model import FulfillmentOrder, ShopifyOrder
from tests.unit.sync_orders.factory import (
    SETTINGS,
    THREE_PL,
    WH_3PL,
    WH_MAIN,
    Item,
    Spec,
    build_order,
)

MAIN = "gid://shopify/Location/1"
ROUTES = SETTINGS.locations
CARRIERS = (CarrierMapping("DHL Express", "DHL Express", "https://dhl.example/track?n={number}"),)
ORDER = build_order(
    Spec(
        items=[
            Item("TSHIRT-M", 3, D("19.90")),
            Item("CAP-S", 2, D("15.00")),
            Item("JACKET-M", 2, D("89.00"), location=THREE_PL),
        ]
    )
)
PRODUCTS = {item.id: 200 + n for n, item in enumerate(ORDER.line_items)}


def delivery(
    pid: int, *moves: tuple[int, int], state: str = "done", wh: int = WH_MAIN, **kw: object
) -> OdooDelivery:
    return OdooDelivery(
        pid, f"WH/OUT/{pid:05d}", state,  # type: ignore[arg-type]
        wh, tuple(DeliveryMove(pid * 10 + n, p, D(q), D(q)) for n, (p, q) in enumerate(moves)),
        **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def state(
    order: ShopifyOrder,
    deliveries: tuple[OdooDelivery, ...],
    fulfillments: tuple[ShopifyFulfillment, ...] = (),
    **kw: object,
) -> FulfillmentState:
    return FulfillmentState(order, deliveries, fulfillments, PRODUCTS, **kw)  # type: ignore[arg-type]


def apply_to_shopify(
    order: ShopifyOrder, fulfillments: tuple[ShopifyFulfillment, ...], plan: FulfillmentPlan
) -> tuple[ShopifyOrder, tuple[ShopifyFulfillment, ...]]:
    """What Shopify holds after the engine ran the plan's fulfillmentCreate calls."""
    line_item_of = {
        line.id: line.line_item_id for fo in order.fulfillment_orders for line in fo.lines
    }
    taken: dict[str, int] = {}
    out = list(fulfillments)
    for create in plan.creates:
        lines = []
        for fo_lines in create.line_items_by_fulfillment_order:
            for line in fo_lines.lines:
                taken[line.fulfillment_order_line_id] = (
                    taken.get(line.fulfillment_order_line_id, 0) + line.quantity
                )
                lines.append(
                    FulfilledLine(line_item_of[line.fulfillment_order_line_id], line.quantity)
                )
        numbers = create.tracking.numbers if create.tracking else ()
        out.append(
            ShopifyFulfillment(
                f"gid://shopify/Fulfillment/{len(out) + 1}",
                create.location_id,
                "SUCCESS",
                tuple(lines),
                numbers,
            )
        )
    fos = []
    for fo in order.fulfillment_orders:
        new_lines = tuple(
            dataclasses.replace(
                line, remaining_quantity=line.remaining_quantity - taken.get(line.id, 0)
            )
            for line in fo.lines
        )
        assert all(line.remaining_quantity >= 0 for line in new_lines), "over-fulfilled"
        status = "CLOSED" if all(line.remaining_quantity == 0 for line in new_lines) else fo.status
        fos.append(
            FulfillmentOrder(fo.id, fo.assigned_location_id, status, new_lines, fo.location_name)
        )  # type: ignore[arg-type]
    return dataclasses.replace(order, fulfillment_orders=tuple(fos)), tuple(out)


def test_full_delivery_creates_one_fulfillment_with_tracking() -> None:
    done = delivery(
        1, (200, 3), (201, 2), carrier_name="dhl express", tracking_ref="JD0001, JD0002"
    )
    plan = plan_fulfillments(state(ORDER, (done,)), ROUTES, CARRIERS)
    assert len(plan.creates) == 1
    create = plan.creates[0]
    assert create.location_id == MAIN
    (fo_lines,) = create.line_items_by_fulfillment_order
    assert [(x.fulfillment_order_line_id[-3:], x.quantity) for x in fo_lines.lines] == [
        ("100", 3),
        ("101", 2),
    ]
    assert create.tracking is not None
    assert create.tracking.company == "DHL Express"
    assert create.tracking.numbers == ("JD0001", "JD0002")
    assert create.tracking.urls == (
        "https://dhl.example/track?n=JD0001",
        "https://dhl.example/track?n=JD0002",
    )
    # fulfillmentCreate takes no idempotency key in 2026-04 (fact sheet §a.6): the plan
    # carries none (safety is the engine's re-read before each create)
    assert "idempotency_key" not in {f.name for f in dataclasses.fields(create)}
    assert plan.problems == ()


def test_unknown_carrier_passes_its_name_without_url() -> None:
    info = tracking_info(
        delivery(1, (200, 1), carrier_name="Colissimo", tracking_ref="6A123"), CARRIERS
    )
    assert info is not None
    assert (info.company, info.numbers, info.urls) == ("Colissimo", ("6A123",), ())
    assert tracking_info(delivery(1, (200, 1)), CARRIERS) is None


def test_partial_delivery_then_backorder_fulfil_in_two_steps_and_never_twice() -> None:
    first = delivery(1, (200, 2))
    plan = plan_fulfillments(state(ORDER, (first,)), ROUTES)
    assert [x.quantity for x in plan.creates[0].line_items_by_fulfillment_order[0].lines] == [2]
    order, fulfillments = apply_to_shopify(ORDER, (), plan)
    backorder = delivery(2, (200, 1), (201, 2))
    plan2 = plan_fulfillments(
        state(order, (first, backorder), fulfillments, recorded_pickings=frozenset({1})), ROUTES
    )
    assert [c.picking_id for c in plan2.creates] == [2]
    assert [x.quantity for x in plan2.creates[0].line_items_by_fulfillment_order[0].lines] == [1, 2]
    order, fulfillments = apply_to_shopify(order, fulfillments, plan2)
    again = plan_fulfillments(
        state(order, (first, backorder), fulfillments, recorded_pickings=frozenset({1, 2})), ROUTES
    )
    assert again.is_empty


def test_crash_after_fulfillment_create_does_not_fulfil_twice() -> None:
    first = delivery(1, (200, 2))
    plan = plan_fulfillments(state(ORDER, (first,)), ROUTES)
    order, fulfillments = apply_to_shopify(ORDER, (), plan)
    # the engine crashed before recording picking 1; a backorder is done meanwhile
    backorder = delivery(2, (200, 1))
    replan = plan_fulfillments(state(order, (first, backorder), fulfillments), ROUTES)
    assert replan.record_pickings == (1,)
    assert [c.picking_id for c in replan.creates] == [2]
    assert [x.quantity for x in replan.creates[0].line_items_by_fulfillment_order[0].lines] == [1]


def test_open_and_3pl_deliveries_are_not_sent_from_odoo() -> None:
    waiting = delivery(1, (200, 3), state="assigned")
    third_party = delivery(2, (202, 2), wh=WH_3PL)
    assert plan_fulfillments(state(ORDER, (waiting, third_party)), ROUTES).creates == ()


def test_3pl_fulfillment_validates_the_odoo_delivery_with_backorder() -> None:
    open_3pl = delivery(5, (202, 2), state="assigned", wh=WH_3PL)
    open_3pl = dataclasses.replace(open_3pl, moves=(DeliveryMove(50, 202, D(0), D(2)),))
    jacket = ORDER.line_items[2].id
    shopify = ShopifyFulfillment(
        "gid://shopify/Fulfillment/9", THREE_PL, "SUCCESS", (FulfilledLine(jacket, 1),)
    )
    plan = plan_fulfillments(state(ORDER, (open_3pl,), (shopify,)), ROUTES)
    assert len(plan.validates) == 1
    validate = plan.validates[0]
    assert (validate.picking_id, validate.quantities, validate.backorder) == (
        5,
        ((50, D(1)),),
        True,
    )
    assert validate.fulfillment_ids == ("gid://shopify/Fulfillment/9",)
    # after validation: picking 5 done with 1, backorder 6 open with 1 → nothing more to do
    done = dataclasses.replace(open_3pl, state="done", moves=(DeliveryMove(50, 202, D(1), D(1)),))
    rest = delivery(6, (202, 1), state="assigned", wh=WH_3PL)
    rest = dataclasses.replace(rest, moves=(DeliveryMove(60, 202, D(0), D(1)),))
    after = plan_fulfillments(state(ORDER, (done, rest), (shopify,)), ROUTES)
    assert after.validates == ()
    assert after.record_fulfillments == ("gid://shopify/Fulfillment/9",)
    recorded = plan_fulfillments(
        state(
            ORDER,
            (done, rest),
            (shopify,),
            recorded_fulfillments=frozenset({"gid://shopify/Fulfillment/9"}),
        ),
        ROUTES,
    )
    assert recorded.is_empty


def test_unmatched_product_is_a_problem() -> None:
    plan = plan_fulfillments(state(ORDER, (delivery(1, (999, 1)),)), ROUTES)
    assert [p.code for p in plan.problems] == ["fulfillment_unmatched"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=6),
    st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_random_partial_deliveries_fulfil_exactly_what_shipped(
    shipments: list[tuple[int, int]], lose_record: list[bool]
) -> None:
    """Deliveries of random sizes (capped by what is left), plans run after each, the engine
    sometimes losing its record: Shopify ends with exactly the delivered units, never more."""
    order, fulfillments = ORDER, ()
    left = {200: 3, 201: 2}
    deliveries: list[OdooDelivery] = []
    recorded: set[int] = set()
    for n, (shirts, caps) in enumerate(shipments, start=1):
        moves = [
            (p, min(q, left[p])) for p, q in ((200, shirts), (201, caps)) if min(q, left[p]) > 0
        ]
        if not moves:
            continue
        for p, q in moves:
            left[p] -= q
        deliveries.append(delivery(n, *moves))
        for _ in range(2):  # each key may be processed twice (duplicate events)
            plan = plan_fulfillments(
                state(
                    order, tuple(deliveries), fulfillments, recorded_pickings=frozenset(recorded)
                ),
                ROUTES,
            )
            order, fulfillments = apply_to_shopify(order, fulfillments, plan)
            if not lose_record[n % 6]:
                recorded |= {c.picking_id for c in plan.creates} | set(plan.record_pickings)
    shipped: dict[int, int] = {}
    for f in fulfillments:
        for line in f.lines:
            shipped[PRODUCTS[line.line_item_id]] = (
                shipped.get(PRODUCTS[line.line_item_id], 0) + line.quantity
            )
    assert shipped == {p: q for p, q in ((200, 3 - left[200]), (201, 2 - left[201])) if q}


def test_product_by_line_item_from_sale_order_keys() -> None:
    from shopify_odoo.sync.fulfillment import product_by_line_item
    from shopify_odoo.sync.orders import SaleOrderPlan, plan_order
    from tests.unit.sync_orders.factory import applied, odoo_state

    spec = Spec(
        items=[Item("TSHIRT-M", 3, D("19.90")), Item("CAP-S", 2, D("15.00"))], shipping=(D("5"), ())
    )
    result = plan_order(build_order(spec), odoo_state(spec), SETTINGS)
    assert isinstance(result, SaleOrderPlan)
    mapping = product_by_line_item(applied(result, None))
    assert mapping == {"gid://shopify/LineItem/100": 200, "gid://shopify/LineItem/101": 201}
