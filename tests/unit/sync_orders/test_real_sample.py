"""The real ``orders/create`` sample body (../shared/shopify/webhook-samples) through the planner.

The conversion below is a minimal test-side reading of the REST/webhook body (fact sheet §e.1,
correction 18: money as decimal strings, ``*_set`` MoneyBags, ``discount_allocations`` with
``discount_application_index``); the production reader belongs to the Shopify layer.  The sample's
totals are internally inconsistent (correction 18: ``total_discounts`` 20.00 with no allocation,
``total_price`` 388.00 for 398.00 of lines plus 10.00 shipping), so the planner must park it
with the total mismatch instead of writing a sale order that disagrees with Shopify.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shopify_odoo.sync.order_model import (
    Address,
    Customer,
    DiscountAllocation,
    LineItem,
    MoneyBag,
    ShippingLine,
    ShopifyOrder,
    TaxLine,
    VariantLink,
)
from shopify_odoo.sync.orders import NoChange, Parked, SaleOrderPlan, plan_order
from tests.unit.sync_orders.factory import SETTINGS, Spec, odoo_state

SAMPLE = (
    Path(__file__).resolve().parents[3].parent
    / "shared" / "shopify" / "webhook-samples" / "orders_create.json"
)  # fmt: skip


def _bag(value: dict[str, Any]) -> MoneyBag:
    return MoneyBag(
        Decimal(value["shop_money"]["amount"]), Decimal(value["presentment_money"]["amount"])
    )


def _address(value: dict[str, Any] | None) -> Address | None:
    if not value:
        return None
    keys = ("first_name", "last_name", "company", "address1", "address2", "city", "zip")
    return Address(
        **{k: value.get(k) for k in keys},
        province_code=value.get("province_code"),
        country_code=value.get("country_code"),
        phone=value.get("phone"),
    )


def _taxes(lines: list[dict[str, Any]]) -> tuple[TaxLine, ...]:
    return tuple(TaxLine(t["title"], Decimal(str(t["rate"])), _bag(t["price_set"])) for t in lines)


def _allocations(lines: list[dict[str, Any]]) -> tuple[DiscountAllocation, ...]:
    return tuple(
        DiscountAllocation(_bag(a["amount_set"]), a["discount_application_index"]) for a in lines
    )


def read_order(body: dict[str, Any], store: str) -> ShopifyOrder:
    customer = body.get("customer")
    return ShopifyOrder(
        id=body["admin_graphql_api_id"],
        name=body["name"],
        store=store,
        shop_currency=body["currency"],
        presentment_currency=body["presentment_currency"],
        taxes_included=body["taxes_included"],
        financial_status=body["financial_status"],
        processed_at=datetime.fromisoformat(body["processed_at"]),
        line_items=tuple(
            LineItem(
                id=li["admin_graphql_api_id"],
                title=li["name"],
                variant_id=f"gid://shopify/ProductVariant/{li['variant_id']}"
                if li.get("variant_id")
                else None,
                sku=li.get("sku"),
                quantity=li["quantity"],
                current_quantity=li.get("current_quantity", li["quantity"]),
                unit_price=_bag(li["price_set"]),
                discount_allocations=_allocations(li["discount_allocations"]),
                tax_lines=_taxes(li["tax_lines"]),
                requires_shipping=li["requires_shipping"],
                kind="gift_card" if li.get("gift_card") else "product",
            )
            for li in body["line_items"]
        ),
        total_price=_bag(body["current_total_price_set"]),
        shipping_lines=tuple(
            ShippingLine(
                id=f"gid://shopify/ShippingLine/{s['id']}",
                title=s["title"],
                price=_bag(s["price_set"]),
                discount_allocations=_allocations(s["discount_allocations"]),
                tax_lines=_taxes(s["tax_lines"]),
                is_removed=s.get("is_removed", False),
            )
            for s in body["shipping_lines"]
        ),
        customer=Customer(
            customer["admin_graphql_api_id"],
            customer.get("email"),
            customer.get("phone"),
            customer.get("first_name"),
            customer.get("last_name"),
        )
        if customer
        else None,
        email=body.get("email"),
        phone=body.get("phone"),
        billing_address=_address(body.get("billing_address")),
        shipping_address=_address(body.get("shipping_address")),
        cancelled_at=datetime.fromisoformat(body["cancelled_at"]) if body["cancelled_at"] else None,
        payment_gateway_names=tuple(body.get("payment_gateway_names", ())),
    )


@pytest.fixture
def body() -> dict[str, Any]:
    if not SAMPLE.exists():
        pytest.skip(f"real webhook sample not found at {SAMPLE} (../shared is absent)")
    data: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return data


def _state() -> Any:
    state = odoo_state(Spec(items=[]))
    links = (VariantLink("gid://shopify/ProductVariant/808950810", "IPOD2008PINK", 300),)
    return dataclasses.replace(state, links=links)


def test_sample_as_sent_is_cancelled_and_never_imported(body: dict[str, Any]) -> None:
    result = plan_order(read_order(body, "us"), _state(), SETTINGS)
    assert isinstance(result, NoChange)
    assert result.reason == "cancelled in Shopify before it reached Odoo"


def test_sample_with_inconsistent_totals_is_parked(body: dict[str, Any]) -> None:
    order = dataclasses.replace(read_order(body, "us"), cancelled_at=None)
    assert order.client_order_ref == "us#9999"
    result = plan_order(order, _state(), SETTINGS)
    assert isinstance(result, Parked)
    assert result.codes == ("total_mismatch",)
    assert "Shopify's total is 398.00 USD but the sale order would total 408.00 USD" in (
        result.message
    )


def test_sample_with_consistent_total_plans_two_lines_and_shipping(body: dict[str, Any]) -> None:
    order = dataclasses.replace(
        read_order(body, "us"), cancelled_at=None, total_price=MoneyBag.same("408.00")
    )
    result = plan_order(order, _state(), SETTINGS)
    assert isinstance(result, SaleOrderPlan)
    assert [(line.role, line.product_id, line.price_unit) for line in result.lines] == [
        ("product", 300, Decimal("199.00")),
        ("product", 300, Decimal("199.00")),
        ("shipping", 900, Decimal("10.00")),
    ]
    assert result.confirm is False  # financial_status "voided"
    assert result.partner.create_customer is not None
    assert result.partner.create_customer.email == "jon@example.com"
    delivery = result.partner.delivery.create
    assert delivery is not None
    assert (delivery.name, delivery.country_id) == ("Steve Shipper", 233)
