"""One test per order shape: the planned sale order totals Shopify's total to the cent."""

from __future__ import annotations

import dataclasses
from decimal import Decimal as D

import pytest

from shopify_odoo.sync.order_model import Address, OdooAddress, OdooPartner, OdooTax
from shopify_odoo.sync.orders import Parked, SaleOrderPlan, line_amounts, plan_order
from tests.unit.sync_orders.factory import (
    SETTINGS,
    TAXES,
    THREE_PL,
    WH_3PL,
    WH_MAIN,
    Discount,
    Item,
    Spec,
    build_order,
    odoo_state,
)

VAT = (D("0.2"),)
ODOO_TAXES = {i: OdooTax(i, n, r, inc) for i, (n, r, inc) in TAXES.items()}


def plan(spec: Spec, **state: object) -> SaleOrderPlan:
    order = build_order(spec)
    result = plan_order(order, odoo_state(spec, **state), SETTINGS)
    assert isinstance(result, SaleOrderPlan), getattr(result, "message", result)
    assert result.shopify_total == order.total_price.presentment
    assert result.totals.total == result.shopify_total
    # the totals are Odoo's arithmetic over the planned lines, recomputed independently here
    recomputed = sum((line_amounts(line, ODOO_TAXES, 2).total for line in result.lines), D(0))
    assert recomputed == result.shopify_total
    rounding = [line for line in result.lines if line.role == "rounding"]
    if rounding:
        allowed = D("0.01") * (len(result.lines) - 1)
        assert abs(rounding[0].price_unit) <= allowed
    return result


def roles(result: SaleOrderPlan) -> list[str]:
    return [line.role for line in result.lines]


def test_several_lines_taxes_excluded() -> None:
    result = plan(
        Spec(
            items=[
                Item("TSHIRT-M", 3, D("19.90"), VAT),
                Item("HOODIE-L", 1, D("49.00"), VAT),
                Item("SOCKS-S", 4, D("7.50"), VAT),
            ]
        )
    )
    assert roles(result) == ["product", "product", "product"]
    assert [line.quantity for line in result.lines] == [3, 1, 4]
    assert result.totals.total == D("166.44")  # (59.70 + 49.00 + 30.00) × 1.2, per line
    assert result.client_order_ref == "eu#1001"
    assert result.team_id == 5
    assert result.confirm is True


def test_discount_code_becomes_negative_lines_per_allocation() -> None:
    result = plan(
        Spec(
            items=[Item("TSHIRT-M", 3, D("19.90"), VAT), Item("CAP-S", 1, D("15.00"), VAT)],
            discounts=[Discount("discount_code", "SUMMER10", "fixed_amount", D("10.00"))],
        )
    )
    discounts = [line for line in result.lines if line.role == "discount"]
    assert [line.name for line in discounts] == [
        "Discount SUMMER10: Item TSHIRT-M",
        "Discount SUMMER10: Item CAP-S",
    ]
    assert sum((line.price_unit for line in discounts), D(0)) == D("-10.00")
    assert all(line.tax_ids == (10,) for line in discounts)
    assert all(line.product_id == SETTINGS.discount_product_id for line in discounts)


def test_automatic_percentage_discount_on_one_line() -> None:
    result = plan(
        Spec(
            items=[Item("JACKET-M", 1, D("89.00"), VAT), Item("BAG-S", 2, D("24.00"), VAT)],
            discounts=[Discount("automatic", "Winter sale", "percentage", D(15), targets=(0,))],
        )
    )
    discounts = [line for line in result.lines if line.role == "discount"]
    assert len(discounts) == 1
    assert discounts[0].price_unit == D("-13.35")
    assert discounts[0].line_item_id == result.lines[0].line_item_id


def test_taxes_included_totals_exact_without_rounding() -> None:
    result = plan(
        Spec(
            items=[Item("TSHIRT-M", 3, D("19.90"), VAT), Item("CAP-S", 1, D("15.00"), VAT)],
            discounts=[Discount("discount_code", "WELCOME", "fixed_amount", D("7.77"))],
            shipping=(D("4.90"), VAT),
            taxes_included=True,
        )
    )
    assert "rounding" not in roles(result)
    assert {line.tax_ids for line in result.lines} == {(11,)}
    assert result.totals.total == D("59.70") + D("15.00") - D("7.77") + D("4.90")


def test_us_taxes_excluded_two_taxes_per_line() -> None:
    us = (D("0.0625"), D("0.0175"))
    result = plan(
        Spec(
            items=[Item("TSHIRT-M", 2, D("19.99"), us), Item("CAP-S", 1, D("14.99"), us)],
            shipping=(D("8.00"), ()),
            currency="USD",
            shop_currency="USD",
            billing=Address(
                "Ann", "Lee", None, "5 Main St", None, "Louisville", "40003", "KY", "US"
            ),
        )
    )
    assert result.lines[0].tax_ids == (14, 15)
    assert result.partner.invoice.create is not None
    assert result.partner.invoice.create.state_id == 1001


def test_presentment_currency_differs_from_shop_currency() -> None:
    result = plan(
        Spec(
            items=[Item("TSHIRT-M", 2, D("21.50"), (D("0.077"),))],
            shipping=(D("7.00"), (D("0.077"),)),
            currency="CHF",
            shop_currency="EUR",
        )
    )
    assert result.currency_code == "CHF"
    assert (result.currency_id, result.pricelist_id) == (3, 3)
    # sale order amounts are the presentment (CHF) amounts, not the shop (EUR) ones
    assert result.lines[0].price_unit == D("21.50")


def test_shipping_with_free_shipping_discount() -> None:
    result = plan(
        Spec(
            items=[Item("HOODIE-L", 1, D("49.00"), VAT)],
            discounts=[Discount("discount_code", "FREESHIP", "percentage", D(100), shipping=True)],
            shipping=(D("5.90"), VAT),
        )
    )
    shipping = [line for line in result.lines if line.role == "shipping"]
    assert len(shipping) == 1
    assert shipping[0].price_unit == D("0.00")
    assert shipping[0].is_delivery
    assert shipping[0].product_id == SETTINGS.shipping_product_id
    assert result.carrier_id == SETTINGS.carrier_id


def test_paid_shipping_line() -> None:
    result = plan(Spec(items=[Item("CAP-S", 1, D("15.00"), VAT)], shipping=(D("4.90"), VAT)))
    shipping = next(line for line in result.lines if line.role == "shipping")
    assert (shipping.price_unit, shipping.tax_ids, shipping.name) == (D("4.90"), (10,), "Standard")
    assert result.totals.total == D("23.88")


def test_gift_card_line_to_configured_product() -> None:
    result = plan(
        Spec(items=[Item("CAP-S", 1, D("15.00"), VAT), Item(None, 1, D("50.00"), (), "gift_card")])
    )
    gift = [line for line in result.lines if line.role == "gift_card"]
    assert len(gift) == 1
    assert (gift[0].product_id, gift[0].price_unit, gift[0].tax_ids) == (902, D("50.00"), ())


def test_tip_line_to_configured_product() -> None:
    result = plan(
        Spec(items=[Item("CAP-S", 1, D("15.00"), VAT), Item(None, 1, D("3.00"), (), "tip")])
    )
    tip = [line for line in result.lines if line.role == "tip"]
    assert (tip[0].product_id, tip[0].price_unit) == (903, D("3.00"))


def test_gift_card_payment_is_not_a_line() -> None:
    spec = Spec(items=[Item("CAP-S", 1, D("15.00"), VAT)])
    order = dataclasses.replace(
        build_order(spec), payment_gateway_names=("gift_card", "shopify_payments")
    )
    result = plan_order(order, odoo_state(spec), SETTINGS)
    assert isinstance(result, SaleOrderPlan)
    assert order.paid_with_gift_card
    assert roles(result) == ["product"]
    assert result.totals.total == order.total_price.presentment


def test_guest_checkout_with_email_merges_into_existing_partner() -> None:
    partner = OdooPartner(40, "Jane Doe", "JANE@example.com")
    result = plan(
        Spec(items=[Item("CAP-S", 1, D("15.00"), VAT)], customer=False),
        partners=(partner,),
    )
    assert (result.partner.matched_by, result.partner.customer_id) == ("email", 40)
    assert result.partner.create_customer is None


def test_anonymous_guest_uses_guest_partner() -> None:
    spec = Spec(items=[Item("CAP-S", 1, D("15.00"), VAT)], customer=False, email=None, billing=None)
    order = build_order(spec)
    settings = dataclasses.replace(SETTINGS, guest_partner_id=3)
    result = plan_order(order, odoo_state(spec), settings)
    assert isinstance(result, SaleOrderPlan)
    assert (result.partner.matched_by, result.partner.customer_id) == ("guest_partner", 3)
    assert result.partner.invoice.is_customer
    assert result.partner.delivery.is_customer


def test_returning_customer_with_new_address_gets_new_child() -> None:
    old = OdooAddress(
        41, "delivery", "Jane Doe", "1 Rue de la Paix", None, "Paris", "75002", None, 75
    )
    invoice = OdooAddress(
        42, "invoice", "Jane Doe", "1 Rue de la Paix", None, "Paris", "75002", None, 75
    )
    partner = OdooPartner(40, "Jane Doe", "jane@example.com", children=(old, invoice))
    new = Address("Jane", "Doe", None, "9 Unter den Linden", None, "Berlin", "10117", None, "DE")
    result = plan(
        Spec(items=[Item("CAP-S", 1, D("15.00"), VAT)], shipping_address=new),
        partners=(partner,),
    )
    assert result.partner.customer_id == 40
    assert result.partner.invoice.existing_id == 42
    created = result.partner.delivery.create
    assert created is not None
    assert created.type == "delivery"
    assert (created.street, created.city, created.country_id) == (
        "9 Unter den Linden",
        "Berlin",
        57,
    )


def test_line_at_3pl_location_ships_from_its_warehouse() -> None:
    result = plan(
        Spec(
            items=[
                Item("TSHIRT-M", 2, D("19.90"), VAT),
                Item("HOODIE-L", 1, D("49.00"), VAT),
                Item("JACKET-M", 1, D("89.00"), VAT, location=THREE_PL),
            ]
        )
    )
    assert result.warehouse_id == WH_MAIN
    by_sku = {line.name: line.warehouse_id for line in result.lines}
    assert by_sku == {"Item TSHIRT-M": None, "Item HOODIE-L": None, "Item JACKET-M": WH_3PL}


def test_unknown_sku_parks_the_order_with_the_fix() -> None:
    spec = Spec(
        items=[
            Item("TSHIRT-M", 1, D("19.90"), VAT),
            Item("MYSTERY-1", 2, D("5.00"), VAT, linked=False),
        ]
    )
    result = plan_order(build_order(spec), odoo_state(spec), SETTINGS)
    assert isinstance(result, Parked)
    assert result.codes == ("unknown_variant",)
    assert "shopify-odoo link --sku MYSTERY-1 --product <id>" in result.message
    assert "shopify-odoo reprocess --store eu --order 1001" in result.message


def test_deleted_variant_found_by_sku_link() -> None:
    spec = Spec(items=[Item("TSHIRT-M", 1, D("19.90"), VAT)])
    order = build_order(spec)
    item = dataclasses.replace(order.line_items[0], variant_id=None)
    order = dataclasses.replace(order, line_items=(item,))
    result = plan_order(order, odoo_state(spec), SETTINGS)
    assert isinstance(result, SaleOrderPlan)
    assert result.lines[0].product_id == 200


@pytest.mark.parametrize(
    ("status", "policy", "confirm"),
    [
        ("paid", "confirm_paid", True),
        ("pending", "confirm_paid", False),
        ("authorized", "confirm_paid", False),
        ("pending", "confirm_all", True),
        ("paid", "quotation", False),
    ],
)
def test_confirmation_policy(status: str, policy: str, confirm: bool) -> None:
    spec = Spec(items=[Item("CAP-S", 1, D("15.00"), VAT)], financial_status=status)  # type: ignore[arg-type]
    settings = dataclasses.replace(SETTINGS, confirmation=policy)  # type: ignore[arg-type]
    result = plan_order(build_order(spec), odoo_state(spec), settings)
    assert isinstance(result, SaleOrderPlan)
    assert result.confirm is confirm


def test_zero_decimal_currency() -> None:
    spec = Spec(
        items=[Item("CAP-S", 3, D("1500"), (D("0.1"),))],
        currency="JPY",
        shop_currency="JPY",
        digits=0,
    )
    settings = dataclasses.replace(SETTINGS, tax_rules=(*SETTINGS.tax_rules, *()))
    order = build_order(spec)
    state = odoo_state(spec)
    from shopify_odoo.sync.order_model import TaxRule

    settings = dataclasses.replace(
        SETTINGS, tax_rules=(*SETTINGS.tax_rules, TaxRule(D("0.1"), False, (20,)))
    )
    state = dataclasses.replace(state, taxes=(*state.taxes, OdooTax(20, "JCT 10%", D(10), False)))
    result = plan_order(order, state, settings)
    assert isinstance(result, SaleOrderPlan)
    assert result.totals.total == D("4950") == result.shopify_total


def test_gift_card_fulfillment_order_at_service_location_needs_no_mapping() -> None:
    from shopify_odoo.sync.order_model import FulfillmentOrder, FulfillmentOrderLine

    spec = Spec(
        items=[Item("CAP-S", 1, D("15.00"), VAT), Item(None, 1, D("50.00"), (), "gift_card")]
    )
    order = build_order(spec)
    gift = order.line_items[1].id
    service = FulfillmentOrder(
        "gid://shopify/FulfillmentOrder/9",
        "gid://shopify/Location/99",
        "OPEN",
        (FulfillmentOrderLine("gid://shopify/FulfillmentOrderLineItem/9", gift, 1, 1),),
    )
    order = dataclasses.replace(order, fulfillment_orders=(*order.fulfillment_orders, service))
    result = plan_order(order, odoo_state(spec), SETTINGS)
    assert isinstance(result, SaleOrderPlan)
    assert result.warehouse_id == WH_MAIN
