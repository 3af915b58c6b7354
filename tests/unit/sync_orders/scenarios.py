"""Orders that trigger each person-facing message, for the snapshot test."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal as D

from shopify_odoo.sync.order_model import LocationRoute, MoneyBag, OdooTax, TaxRule
from shopify_odoo.sync.orders import Parked, SaleOrderPlan, plan_order
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
BASE = Spec(items=[Item("TSHIRT-M", 2, D("19.90"), VAT)], shipping=(D("4.90"), VAT))


def _parked(spec: Spec = BASE, settings=SETTINGS, order=None, **state: object) -> str:  # type: ignore[no-untyped-def]
    result = plan_order(order or build_order(spec), odoo_state(spec, **state), settings)
    assert isinstance(result, Parked), result
    return result.message


def unknown_sku() -> str:
    return _parked(Spec(items=[Item("MYSTERY-1", 1, D("5.00"), VAT, linked=False)]))


def unknown_no_sku() -> str:
    return _parked(Spec(items=[Item(None, 1, D("5.00"), VAT, linked=False)]))


def discount_product_missing() -> str:
    spec = dataclasses.replace(
        BASE, discounts=[Discount("discount_code", "TEN", "percentage", D(10))]
    )
    return _parked(spec, dataclasses.replace(SETTINGS, discount_product_id=None))


def shipping_product_missing() -> str:
    return _parked(BASE, dataclasses.replace(SETTINGS, shipping_product_id=None))


def gift_card_product_missing() -> str:
    spec = Spec(items=[Item(None, 1, D("50.00"), (), "gift_card")])
    return _parked(spec, dataclasses.replace(SETTINGS, gift_card_product_id=None))


def tip_product_missing() -> str:
    spec = Spec(items=[Item("CAP-S", 1, D("15.00"), VAT), Item(None, 1, D("2.00"), (), "tip")])
    return _parked(spec, dataclasses.replace(SETTINGS, tip_product_id=None))


def rounding_product_missing() -> str:
    order = build_order(BASE)
    order = dataclasses.replace(
        order, total_price=MoneyBag.same(order.total_price.presentment + D("0.01"))
    )
    return _parked(BASE, dataclasses.replace(SETTINGS, rounding_product_id=None), order)


def tax_mapping_missing() -> str:
    return _parked(Spec(items=[Item("CAP-S", 1, D("15.00"), (D("0.19"),))]))


def tax_mapping_unknown_tax() -> str:
    rules = (TaxRule(D("0.19"), False, (77,), "tax"),)
    return _parked(
        Spec(items=[Item("CAP-S", 1, D("15.00"), (D("0.19"),))]),
        dataclasses.replace(SETTINGS, tax_rules=rules),
    )


def tax_mapping_wrong_rate() -> str:
    rules = (TaxRule(D("0.19"), False, (10,)),)
    return _parked(
        Spec(items=[Item("CAP-S", 1, D("15.00"), (D("0.19"),))]),
        dataclasses.replace(SETTINGS, tax_rules=rules),
    )


def tax_mapping_wrong_inclusion() -> str:
    rules = (TaxRule(D("0.2"), True, (10,)),)
    spec = Spec(items=[Item("CAP-S", 1, D("15.00"), VAT)], taxes_included=True)
    return _parked(spec, dataclasses.replace(SETTINGS, tax_rules=rules))


def currency_missing() -> str:
    return _parked(dataclasses.replace(BASE, currency="SEK"))


def location_unmapped() -> str:
    settings = dataclasses.replace(
        SETTINGS, locations=(LocationRoute("gid://shopify/Location/9", 1),)
    )
    return _parked(BASE, settings)


def total_mismatch() -> str:
    order = build_order(BASE)
    order = dataclasses.replace(
        order, total_price=MoneyBag.same(order.total_price.presentment + D("1.00"))
    )
    return _parked(BASE, SETTINGS, order)


def _existing(**kw: object):  # type: ignore[no-untyped-def]
    result = plan_order(build_order(BASE), odoo_state(BASE), SETTINGS)
    assert isinstance(result, SaleOrderPlan)
    so = applied(result, None)
    return dataclasses.replace(so, **kw)


def _delivered():  # type: ignore[no-untyped-def]
    so = _existing(state="sale")
    return dataclasses.replace(
        so, lines=(dataclasses.replace(so.lines[0], qty_delivered=D(2)), *so.lines[1:])
    )


def cancelled_after_delivery() -> str:
    order = dataclasses.replace(build_order(BASE), cancelled_at=NOW)
    return _parked(BASE, SETTINGS, order, existing=_delivered())


def edited_after_delivery() -> str:
    spec = dataclasses.replace(BASE, items=[dataclasses.replace(BASE.items[0], current_qty=1)])
    return _parked(spec, SETTINGS, existing=_delivered())


def sale_order_locked() -> str:
    spec = dataclasses.replace(BASE, items=[dataclasses.replace(BASE.items[0], current_qty=1)])
    return _parked(spec, SETTINGS, existing=_existing(state="sale", locked=True))


def cancelled_in_odoo() -> str:
    return _parked(BASE, SETTINGS, existing=_existing(state="cancel"))


def guest_partner_missing() -> str:
    return _parked(dataclasses.replace(BASE, email=None, customer=False, billing=None))


def unknown_state_warning() -> str:
    from shopify_odoo.sync.order_model import Address

    spec = dataclasses.replace(
        BASE, shipping_address=Address("A", "B", None, "1 St", None, "NYC", "10001", "ZZ", "US")
    )
    result = plan_order(build_order(spec), odoo_state(spec), SETTINGS)
    assert isinstance(result, SaleOrderPlan)
    return "\n".join(result.warnings)


def fulfillment_unmatched() -> str:
    from shopify_odoo.sync.fulfillment import plan_fulfillments
    from tests.unit.sync_orders.test_fulfillment import ORDER, ROUTES, delivery, state

    shipped = delivery(1, (999, 1))
    named = dataclasses.replace(shipped.moves[0], product_name="Mystery Box")
    shipped = dataclasses.replace(shipped, moves=(named,))
    return plan_fulfillments(state(ORDER, (shipped,)), ROUTES).problems[0].message


def fulfillment_no_delivery() -> str:
    from shopify_odoo.sync.fulfillment import FulfilledLine, ShopifyFulfillment, plan_fulfillments
    from tests.unit.sync_orders.factory import THREE_PL
    from tests.unit.sync_orders.test_fulfillment import ORDER, ROUTES, state

    done = ShopifyFulfillment(
        "gid://shopify/Fulfillment/9",
        THREE_PL,
        "SUCCESS",
        (FulfilledLine(ORDER.line_items[2].id, 1),),
    )
    return plan_fulfillments(state(ORDER, (), (done,)), ROUTES).problems[0].message


def fulfillment_excess_warning() -> str:
    from shopify_odoo.sync.fulfillment import plan_fulfillments
    from tests.unit.sync_orders.test_fulfillment import ORDER, ROUTES, delivery, state

    return plan_fulfillments(state(ORDER, (delivery(1, (200, 5)),)), ROUTES).warnings[0]


def split_warehouse_warning() -> str:
    from shopify_odoo.sync.order_model import FulfillmentOrder, FulfillmentOrderLine
    from tests.unit.sync_orders.factory import THREE_PL

    order = build_order(BASE)
    item = order.line_items[0].id
    fos = (
        FulfillmentOrder(
            "gid://shopify/FulfillmentOrder/1",
            "gid://shopify/Location/1",
            "OPEN",
            (FulfillmentOrderLine("a", item, 1, 1),),
        ),
        FulfillmentOrder(
            "gid://shopify/FulfillmentOrder/2",
            THREE_PL,
            "OPEN",
            (FulfillmentOrderLine("b", item, 1, 1),),
        ),
    )
    result = plan_order(
        dataclasses.replace(order, fulfillment_orders=fos), odoo_state(BASE), SETTINGS
    )
    assert isinstance(result, SaleOrderPlan)
    return "\n".join(result.warnings)


SCENARIOS: dict[str, Callable[[], str]] = {
    name: fn
    for name, fn in list(globals().items())
    if callable(fn) and not name.startswith("_") and fn.__module__ == __name__
}
_ = OdooTax
