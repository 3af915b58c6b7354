"""Edits, payment, cancellation of an order that already has a sale order."""

from __future__ import annotations

import dataclasses
from decimal import Decimal as D

from shopify_odoo.sync.order_model import ExistingSaleOrder, ShopifyOrder
from shopify_odoo.sync.orders import (
    CancelSaleOrder,
    NoChange,
    Parked,
    SaleOrderPlan,
    SaleOrderUpdate,
    plan_order,
)
from tests.unit.sync_orders.factory import (
    NOW,
    SETTINGS,
    Discount,
    Item,
    Spec,
    applied,
    build_order,
    odoo_state,
)

VAT = (D("0.2"),)
BASE = Spec(
    items=[Item("TSHIRT-M", 3, D("19.90"), VAT), Item("CAP-S", 2, D("15.00"), VAT)],
    discounts=[Discount("discount_code", "TEN", "percentage", D(10))],
    shipping=(D("4.90"), VAT),
    financial_status="pending",
)


def imported(spec: Spec = BASE) -> ExistingSaleOrder:
    result = plan_order(build_order(spec), odoo_state(spec), SETTINGS)
    assert isinstance(result, SaleOrderPlan)
    return applied(result, None)


def replan(order: ShopifyOrder, existing: ExistingSaleOrder) -> object:
    return plan_order(order, odoo_state(BASE, existing=existing), SETTINGS)


def edited(*current: int | None, status: str = "pending") -> ShopifyOrder:
    items = [
        dataclasses.replace(i, current_qty=c) for i, c in zip(BASE.items, current, strict=True)
    ]
    return build_order(dataclasses.replace(BASE, items=items, financial_status=status))  # type: ignore[arg-type]


def test_same_order_twice_is_empty() -> None:
    existing = imported()
    result = replan(build_order(BASE), existing)
    assert isinstance(result, NoChange)
    assert result.sale_order_id == 77


def test_payment_confirms_the_quotation_only() -> None:
    existing = imported()
    assert existing.state == "draft"
    result = replan(edited(None, None, status="paid"), existing)
    assert isinstance(result, SaleOrderUpdate)
    assert result.confirm
    assert not (result.add)
    assert not (result.write)
    assert not (result.unlink_line_ids)
    assert not (result.zero_line_ids)
    after = applied(result, existing)
    assert replan(edited(None, None, status="paid"), after).is_empty


def test_edit_on_quotation_writes_quantities_and_unlinks_removed_lines() -> None:
    existing = imported()
    result = replan(edited(2, 0), existing)
    assert isinstance(result, SaleOrderUpdate)
    written = {w.line.key: w.line.quantity for w in result.write}
    assert written["item:gid://shopify/LineItem/100"] == 2
    # the cap's product and discount lines are gone
    assert len(result.unlink_line_ids) == 2
    assert result.zero_line_ids == ()
    after = applied(result, existing)
    assert replan(edited(2, 0), after).is_empty
    assert result.totals is not None
    assert result.totals.total == edited(2, 0).total_price.presentment


def test_edit_on_confirmed_order_sets_removed_lines_to_zero() -> None:
    existing = dataclasses.replace(imported(), state="sale")
    result = replan(edited(3, 0), existing)
    assert isinstance(result, SaleOrderUpdate)
    assert result.unlink_line_ids == ()
    assert len(result.zero_line_ids) == 2
    after = applied(result, existing)
    assert replan(edited(3, 0), after).is_empty
    # the line comes back: the zeroed line is written again, not duplicated
    back = replan(edited(3, 2), after)
    assert isinstance(back, SaleOrderUpdate)
    assert back.add == ()
    assert {w.line.quantity for w in back.write} == {D(2), D(1)}


def test_added_line_is_added() -> None:
    existing = imported()
    spec = dataclasses.replace(BASE, items=[*BASE.items, Item("SOCKS-S", 1, D("7.50"), VAT)])
    result = plan_order(build_order(spec), odoo_state(spec, existing=existing), SETTINGS)
    assert isinstance(result, SaleOrderUpdate)
    assert [line.key for line in result.add if line.role == "product"] == [
        "item:gid://shopify/LineItem/102"
    ]


def test_edit_after_delivery_is_parked() -> None:
    existing = imported()
    first = dataclasses.replace(existing.lines[0], qty_delivered=D(3))
    existing = dataclasses.replace(existing, state="sale", lines=(first, *existing.lines[1:]))
    result = replan(edited(3, 1), existing)
    assert isinstance(result, Parked)
    assert result.codes == ("edited_after_delivery",)
    # an unchanged order after delivery is fine
    assert replan(edited(None, None), existing).is_empty


def test_locked_order_is_parked_on_change() -> None:
    existing = dataclasses.replace(imported(), state="sale", locked=True)
    result = replan(edited(1, 2), existing)
    assert isinstance(result, Parked)
    assert result.codes == ("sale_order_locked",)


def cancelled(order: ShopifyOrder) -> ShopifyOrder:
    return dataclasses.replace(order, cancelled_at=NOW)


def test_cancel_before_delivery_cancels() -> None:
    existing = dataclasses.replace(imported(), state="sale", locked=True)
    result = replan(cancelled(build_order(BASE)), existing)
    assert result == CancelSaleOrder(77, "S00077", "eu#1001", unlock_first=True)
    gone = dataclasses.replace(existing, state="cancel")
    assert replan(cancelled(build_order(BASE)), gone).is_empty


def test_cancel_after_delivery_is_parked() -> None:
    existing = imported()
    first = dataclasses.replace(existing.lines[0], qty_delivered=D(1))
    existing = dataclasses.replace(existing, state="sale", lines=(first, *existing.lines[1:]))
    result = replan(cancelled(build_order(BASE)), existing)
    assert isinstance(result, Parked)
    assert result.codes == ("cancelled_after_delivery",)


def test_cancelled_before_import_creates_nothing() -> None:
    result = plan_order(cancelled(build_order(BASE)), odoo_state(BASE), SETTINGS)
    assert isinstance(result, NoChange)
    assert result.sale_order_id is None


def test_sale_order_cancelled_in_odoo_for_open_order_is_parked() -> None:
    existing = dataclasses.replace(imported(), state="cancel")
    result = replan(build_order(BASE), existing)
    assert isinstance(result, Parked)
    assert result.codes == ("cancelled_in_odoo",)


def test_relinked_variant_replaces_the_line() -> None:
    existing = dataclasses.replace(imported(), state="sale")
    state = odoo_state(BASE, existing=existing)
    links = tuple(
        dataclasses.replace(link, product_id=999) if link.sku == "CAP-S" else link
        for link in state.links
    )
    result = plan_order(build_order(BASE), dataclasses.replace(state, links=links), SETTINGS)
    assert isinstance(result, SaleOrderUpdate)
    assert [line.product_id for line in result.add] == [999]
    assert len(result.zero_line_ids) == 1
