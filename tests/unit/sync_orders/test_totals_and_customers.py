"""Odoo's line arithmetic, and the partner decisions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

import pytest

from shopify_odoo.sync.customers import normalize_email, normalize_phone, plan_partner
from shopify_odoo.sync.order_model import Address, OdooAddress, OdooPartner, OdooTax, Problem
from shopify_odoo.sync.orders import line_amounts, order_totals
from tests.unit.sync_orders.factory import Item, Spec, build_order

TAXES = {
    1: OdooTax(1, "VAT 20% excl", D(20), False),
    2: OdooTax(2, "VAT 20% incl", D(20), True),
    3: OdooTax(3, "State", D("6.25"), False),
    4: OdooTax(4, "County", D("1.75"), False),
    5: OdooTax(5, "A 10% incl", D(10), True),
    6: OdooTax(6, "B 5% incl", D(5), True),
}


@dataclass(frozen=True)
class L:
    price_unit: D
    quantity: D
    discount: D = D(0)
    tax_ids: tuple[int, ...] = ()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (L(D("19.90"), D(3), tax_ids=(1,)), (D("59.70"), D("11.94"), D("71.64"))),
        (L(D("19.90"), D(3), tax_ids=(2,)), (D("49.75"), D("9.95"), D("59.70"))),
        (L(D("10.00"), D(3), D(10), (1,)), (D("27.00"), D("5.40"), D("32.40"))),
        (L(D("19.99"), D(1), tax_ids=(3, 4)), (D("19.99"), D("1.60"), D("21.59"))),
        # 1.25 + 0.35 = 1.60 each rounded per tax
        (L(D("11.50"), D(1), tax_ids=(5, 6)), (D("10.00"), D("1.50"), D("11.50"))),
        (L(D("-3.33"), D(1), tax_ids=(1,)), (D("-3.33"), D("-0.67"), D("-4.00"))),
        (L(D("0.05"), D(1), tax_ids=(1,)), (D("0.05"), D("0.01"), D("0.06"))),
    ],
)
def test_line_amounts_follow_odoo_round_per_line(line: L, expected: tuple[D, D, D]) -> None:
    amounts = line_amounts(line, TAXES, 2)
    assert (amounts.subtotal, amounts.tax, amounts.total) == expected


def test_order_totals_round_per_line_not_globally() -> None:
    lines = [L(D("0.05"), D(1), tax_ids=(1,))] * 3
    totals = order_totals(lines, TAXES, 2)
    # per line: 3 × 0.01; a global rounding would give 0.03 as well, so use 0.025-style lines
    assert totals.tax == D("0.03")
    odd = [L(D("0.03"), D(1), tax_ids=(1,))] * 2  # 0.006 → 0.01 each, globally 0.012 → 0.01
    assert order_totals(odd, TAXES, 2).tax == D("0.02")


def test_zero_decimal_currency() -> None:
    assert line_amounts(L(D(1500), D(3), tax_ids=(1,)), TAXES, 0).total == D(5400)


# --- customers ---------------------------------------------------------------------------------


def test_normalizers() -> None:
    assert normalize_email("  Jane Doe <Jane.DOE@Example.com> ") == "jane.doe@example.com"
    assert normalize_email("") is None
    assert normalize_phone("+33 6 12-34-56-78") == "33612345678"
    assert normalize_phone("0033 6 12 34 56 78") == "33612345678"
    assert normalize_phone("555-SHIP") is None


def order(**kw: object) -> object:
    return build_order(Spec(items=[Item("A", 1, D(1))], **kw))  # type: ignore[arg-type]


def test_email_match_is_case_insensitive_and_prefers_oldest() -> None:
    partners = (OdooPartner(9, "B", "jane@EXAMPLE.com"), OdooPartner(4, "A", "Jane@example.com"))
    plan = plan_partner(order(), partners, {"FR": 75}, {}, None)  # type: ignore[arg-type]
    assert not isinstance(plan, Problem)
    assert (plan.matched_by, plan.customer_id) == ("email", 4)


def test_phone_is_the_fallback_only_without_email() -> None:
    partners = (OdooPartner(4, "A", "other@example.com", "+33 6 12 34 56 78"),)
    with_email = plan_partner(order(phone="0612345678"), partners, {}, {}, None)  # type: ignore[arg-type]
    assert not isinstance(with_email, Problem)
    assert with_email.matched_by == "new"
    no_email = plan_partner(order(email=None, phone="+33612345678"), partners, {}, {}, None)  # type: ignore[arg-type]
    assert not isinstance(no_email, Problem)
    assert (no_email.matched_by, no_email.customer_id) == ("phone", 4)


def test_new_customer_gets_invoice_and_delivery_children() -> None:
    ship = Address(
        "Steve",
        "Shipper",
        "Shipping Co",
        "123 Shipping Street",
        None,
        "Shippington",
        "40003",
        "KY",
        "US",
    )
    plan = plan_partner(
        order(shipping_address=ship), (), {"FR": 75, "US": 233}, {("US", "KY"): 17}, None
    )  # type: ignore[arg-type]
    assert not isinstance(plan, Problem)
    assert plan.create_customer is not None
    assert (plan.create_customer.name, plan.create_customer.email) == (
        "Jane Doe",
        "jane@example.com",
    )
    assert plan.invoice.create is not None
    assert plan.invoice.create.type == "invoice"
    delivery = plan.delivery.create
    assert delivery is not None
    assert (delivery.type, delivery.name, delivery.state_id, delivery.country_id) == (
        "delivery",
        "Steve Shipper",
        17,
        233,
    )


def test_same_address_reuses_child_and_own_address() -> None:
    own = OdooAddress(
        40, "contact", "Jane Doe", "1 rue de la paix", None, "PARIS", "75 002", None, 75
    )
    delivery = OdooAddress(
        41, "delivery", "Jane  Doe", "1 Rue de la Paix", None, "Paris", "75002", None, 75
    )
    partner = OdooPartner(40, "Jane Doe", "jane@example.com", own_address=own, children=(delivery,))
    plan = plan_partner(order(), (partner,), {"FR": 75}, {}, None)  # type: ignore[arg-type]
    assert not isinstance(plan, Problem)
    assert plan.invoice.is_customer
    assert plan.delivery.existing_id == 41


def test_unknown_country_warns_and_leaves_it_empty() -> None:
    ship = Address("Kim", "Lee", None, "1 Road", None, "Atlantis", "1", None, "XX")
    plan = plan_partner(order(shipping_address=ship), (), {"FR": 75}, {}, None)  # type: ignore[arg-type]
    assert not isinstance(plan, Problem)
    assert plan.delivery.create is not None
    assert plan.delivery.create.country_id is None
    assert plan.warnings == (
        "order #1001 of store eu: country code 'XX' has no active Odoo country; the delivery "
        "address was created without a country: activate the country in Odoo and correct the "
        "contact",
    )


def test_anonymous_order_without_guest_partner_is_a_problem() -> None:
    plan = plan_partner(order(email=None, customer=False, billing=None), (), {}, {}, None)  # type: ignore[arg-type]
    assert isinstance(plan, Problem)
    assert plan.code == "guest_partner_missing"


def test_lookup_keys_prefer_order_contact() -> None:
    from shopify_odoo.sync.customers import lookup_keys

    assert lookup_keys(order(email="Jane@Example.com ")) == ("jane@example.com", None)  # type: ignore[arg-type]
    assert lookup_keys(order(email=None, customer=False, phone="+1 502 555 0100")) == (  # type: ignore[arg-type]
        None,
        "15025550100",
    )
