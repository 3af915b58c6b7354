"""Build Shopify orders the way Shopify computes them, and the Odoo state around them.

Shopify's arithmetic, as the order bodies show it (fact sheet §e.1, correction 18): every line
carries its unit price, its ``discount_allocations`` (each discount application spread over the
lines it targets; fixed amounts proportionally to the line totals, the last line taking the
remainder; percentages per line) and its own ``tax_lines`` computed on the discounted line amount
and rounded per line.  With ``taxes_included`` the line amounts already contain the tax; the
order total is then the sum of the discounted amounts; without, the taxes are added.
Amounts are generated in the presentment currency; the shop amount is the presentment amount at
a fixed exchange rate (only the presentment side reaches the sale order).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from shopify_odoo.sync.order_model import (
    Address,
    CurrencyInfo,
    Customer,
    DiscountAllocation,
    DiscountApplication,
    ExistingLine,
    ExistingSaleOrder,
    FinancialStatus,
    FulfillmentOrder,
    FulfillmentOrderLine,
    LineItem,
    LineKind,
    LocationRoute,
    MoneyBag,
    OdooOrderState,
    OdooTax,
    OrderSettings,
    ShippingLine,
    ShopifyOrder,
    TaxLine,
    TaxRule,
    VariantLink,
)
from shopify_odoo.sync.orders import SaleOrderPlan, SaleOrderUpdate

MAIN = "gid://shopify/Location/1"
THREE_PL = "gid://shopify/Location/2"
WH_MAIN = 1
WH_3PL = 2
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

#: Odoo taxes: id → (rate %, price_include)
TAXES: dict[int, tuple[str, Decimal, bool]] = {
    10: ("VAT 20% (excl)", Decimal(20), False),
    11: ("VAT 20% (incl)", Decimal(20), True),
    12: ("VAT 5.5% (excl)", Decimal("5.5"), False),
    13: ("VAT 5.5% (incl)", Decimal("5.5"), True),
    14: ("State 6.25%", Decimal("6.25"), False),
    15: ("County 1.75%", Decimal("1.75"), False),
    16: ("VAT 7.7% (excl)", Decimal("7.7"), False),
    17: ("VAT 7.7% (incl)", Decimal("7.7"), True),
}
RULES = (
    TaxRule(Decimal("0.2"), False, (10,), None),
    TaxRule(Decimal("0.2"), True, (11,), None),
    TaxRule(Decimal("0.055"), False, (12,), None),
    TaxRule(Decimal("0.055"), True, (13,), None),
    TaxRule(Decimal("0.0625"), False, (14,), "State Tax"),
    TaxRule(Decimal("0.0175"), False, (15,), "County Tax"),
    TaxRule(Decimal("0.077"), False, (16,), None),
    TaxRule(Decimal("0.077"), True, (17,), None),
)
TAX_TITLES = {
    Decimal("0.2"): "VAT",
    Decimal("0.055"): "VAT",
    Decimal("0.0625"): "State Tax",
    Decimal("0.0175"): "County Tax",
    Decimal("0.077"): "MWST",
}

SETTINGS = OrderSettings(
    store="eu",
    confirmation="confirm_paid",
    team_id=5,
    company_id=1,
    shipping_product_id=900,
    carrier_id=3,
    discount_product_id=901,
    gift_card_product_id=902,
    tip_product_id=903,
    rounding_product_id=904,
    guest_partner_id=None,
    tax_rules=RULES,
    locations=(
        LocationRoute(MAIN, WH_MAIN, "odoo"),
        LocationRoute(THREE_PL, WH_3PL, "shopify"),
    ),
)

CURRENCIES = (
    CurrencyInfo("EUR", 1, 1, 2),
    CurrencyInfo("USD", 2, 2, 2),
    CurrencyInfo("CHF", 3, 3, 2),
    CurrencyInfo("JPY", 4, 4, 0),
)


def q(amount: Decimal, digits: int = 2) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


@dataclass
class Item:
    sku: str | None
    qty: int
    price: Decimal
    rates: tuple[Decimal, ...] = ()
    kind: LineKind = "product"
    location: str = MAIN
    current_qty: int | None = None
    linked: bool = True


@dataclass
class Discount:
    kind: str  # discount_code | automatic | manual
    title: str
    value_type: str  # percentage | fixed_amount
    value: Decimal
    #: indexes of the items it targets (None = every product line); "shipping" = shipping
    targets: tuple[int, ...] | None = None
    shipping: bool = False


@dataclass
class Spec:
    items: list[Item]
    discounts: list[Discount] = field(default_factory=list)
    shipping: tuple[Decimal, tuple[Decimal, ...]] | None = None
    taxes_included: bool = False
    currency: str = "EUR"
    shop_currency: str = "EUR"
    digits: int = 2
    financial_status: FinancialStatus = "paid"
    email: str | None = "jane@example.com"
    phone: str | None = None
    customer: bool = True
    name: str = "#1001"
    billing: Address | None = field(
        default_factory=lambda: Address(
            "Jane", "Doe", None, "1 Rue de la Paix", None, "Paris", "75002", None, "FR"
        )
    )
    shipping_address: Address | None = None


def _tax_lines(
    amount: Decimal, rates: tuple[Decimal, ...], included: bool, digits: int
) -> tuple[TaxLine, ...]:
    total_rate = sum(rates, Decimal(0))
    base = amount / (1 + total_rate) if included else amount
    return tuple(
        TaxLine(TAX_TITLES.get(r, "Tax"), r, MoneyBag.same(q(base * r, digits))) for r in rates
    )


def build_order(spec: Spec) -> ShopifyOrder:
    """A Shopify order with consistent allocations, taxes and total."""
    d = spec.digits
    fx = Decimal("1") if spec.currency == spec.shop_currency else Decimal("0.9")

    def bag(p: Decimal) -> MoneyBag:
        return MoneyBag(q(p * fx, d), p)

    line_totals = [i.price * i.qty for i in spec.items]
    allocations: list[list[DiscountAllocation]] = [[] for _ in spec.items]
    ship_alloc: list[DiscountAllocation] = []
    applications: list[DiscountApplication] = []
    remaining = list(line_totals)
    ship_price = spec.shipping[0] if spec.shipping else Decimal(0)
    for index, disc in enumerate(spec.discounts):
        applications.append(
            DiscountApplication(
                index,
                disc.kind,
                disc.title,
                disc.value_type,
                disc.value,  # type: ignore[arg-type]
                "shipping_line" if disc.shipping else "line_item",
            )
        )
        if disc.shipping:
            amount = (
                ship_price
                if disc.value_type == "percentage" and disc.value == 100
                else min(
                    ship_price,
                    q(ship_price * disc.value / 100, d)
                    if disc.value_type == "percentage"
                    else disc.value,
                )
            )
            ship_alloc.append(DiscountAllocation(bag(amount), index))
            ship_price -= amount
            continue
        targets = [
            t
            for t in (disc.targets if disc.targets is not None else range(len(spec.items)))
            if spec.items[t].kind == "product" and remaining[t] > 0
        ]
        if not targets:
            continue
        if disc.value_type == "percentage":
            amounts = [q(remaining[t] * disc.value / 100, d) for t in targets]
        else:
            pool = min(disc.value, sum(remaining[t] for t in targets))
            base = sum(remaining[t] for t in targets)
            amounts = [q(pool * remaining[t] / base, d) for t in targets[:-1]]
            amounts.append(pool - sum(amounts, Decimal(0)))
        for t, amount in zip(targets, amounts, strict=True):
            amount = min(amount, remaining[t])
            if amount:
                allocations[t].append(DiscountAllocation(bag(amount), index))
                remaining[t] -= amount
    items: list[LineItem] = []
    total = Decimal(0)
    fo_lines: dict[str, list[FulfillmentOrderLine]] = {}
    for n, (item, net) in enumerate(zip(spec.items, remaining, strict=True)):
        current = item.current_qty if item.current_qty is not None else item.qty
        if current != item.qty:
            # an edit lowered the quantity: the allocations stay, prorated to what is left
            prorated = sum(
                (q(a.amount.presentment * current / item.qty, d) for a in allocations[n]),
                Decimal(0),
            )
            net = item.price * current - prorated
        taxes = _tax_lines(net, item.rates, spec.taxes_included, d)
        total += (
            net
            if spec.taxes_included
            else net + sum((t.price.presentment for t in taxes), Decimal(0))
        )
        gid = f"gid://shopify/LineItem/{100 + n}"
        items.append(
            LineItem(
                id=gid,
                title=f"Item {item.sku or n}",
                variant_id=f"gid://shopify/ProductVariant/{500 + n}"
                if item.kind == "product"
                else None,
                sku=item.sku,
                quantity=item.qty,
                current_quantity=current,
                unit_price=bag(item.price),
                discount_allocations=tuple(allocations[n]),
                tax_lines=taxes,
                requires_shipping=item.kind == "product",
                kind=item.kind,
            )
        )
        if item.kind == "product" and current > 0:
            fo_lines.setdefault(item.location, []).append(
                FulfillmentOrderLine(
                    f"gid://shopify/FulfillmentOrderLineItem/{100 + n}", gid, current, current
                )
            )
    shipping_lines: tuple[ShippingLine, ...] = ()
    if spec.shipping:
        taxes = _tax_lines(ship_price, spec.shipping[1], spec.taxes_included, d)
        total += (
            ship_price
            if spec.taxes_included
            else ship_price + sum((t.price.presentment for t in taxes), Decimal(0))
        )
        shipping_lines = (
            ShippingLine(
                "gid://shopify/ShippingLine/1",
                "Standard",
                bag(spec.shipping[0]),
                tuple(ship_alloc),
                taxes,
            ),
        )
    fos = tuple(
        FulfillmentOrder(
            f"gid://shopify/FulfillmentOrder/{k}", loc, "OPEN", tuple(lines), loc.rsplit("/", 1)[1]
        )
        for k, (loc, lines) in enumerate(sorted(fo_lines.items()), start=1)
    )
    customer = (
        Customer("gid://shopify/Customer/7", spec.email, spec.phone, "Jane", "Doe")
        if spec.customer
        else None
    )
    return ShopifyOrder(
        id="gid://shopify/Order/42",
        name=spec.name,
        store="eu",
        shop_currency=spec.shop_currency,
        presentment_currency=spec.currency,
        taxes_included=spec.taxes_included,
        financial_status=spec.financial_status,
        processed_at=NOW,
        line_items=tuple(items),
        total_price=bag(total),
        shipping_lines=shipping_lines,
        discount_applications=tuple(applications),
        customer=customer,
        email=spec.email,
        phone=spec.phone,
        billing_address=spec.billing,
        shipping_address=spec.shipping_address or spec.billing,
        fulfillment_orders=fos,
    )


def odoo_state(spec: Spec, **changes: object) -> OdooOrderState:
    links = tuple(
        VariantLink(f"gid://shopify/ProductVariant/{500 + n}", i.sku, 200 + n)
        for n, i in enumerate(spec.items)
        if i.kind == "product" and i.linked
    )
    state = OdooOrderState(
        links=links,
        taxes=tuple(OdooTax(i, n, r, inc) for i, (n, r, inc) in TAXES.items()),
        currencies=CURRENCIES,
        countries={"FR": 75, "US": 233, "DE": 57},
        states={("US", "KY"): 1001, ("US", "NY"): 1002},
    )
    return dataclasses.replace(state, **changes)  # type: ignore[arg-type]


def applied(
    plan: SaleOrderPlan | SaleOrderUpdate, before: ExistingSaleOrder | None
) -> ExistingSaleOrder:
    """The sale order Odoo holds after the engine applied ``plan`` (an in-memory Odoo)."""
    if isinstance(plan, SaleOrderPlan):
        lines = tuple(
            ExistingLine(
                id=1000 + n,
                product_id=line.product_id,
                name=line.name,
                quantity=line.quantity,
                price_unit=line.price_unit,
                tax_ids=frozenset(line.tax_ids),
                discount=line.discount,
                key=line.key,
            )
            for n, line in enumerate(plan.lines)
        )
        return ExistingSaleOrder(
            77, "S00077", "sale" if plan.confirm else "draft", plan.client_order_ref, lines
        )
    assert before is not None
    by_id = {line.id: line for line in before.lines}
    for line_id in plan.unlink_line_ids:
        del by_id[line_id]
    for line_id in plan.zero_line_ids:
        old = by_id[line_id]
        by_id[line_id] = ExistingLine(**{**_fields(old), "quantity": Decimal(0)})
    for write in plan.write:
        old = by_id[write.line_id]
        line = write.line
        by_id[write.line_id] = ExistingLine(
            id=old.id,
            product_id=line.product_id,
            name=line.name,
            quantity=line.quantity,
            price_unit=line.price_unit,
            tax_ids=frozenset(line.tax_ids),
            discount=line.discount,
            qty_delivered=old.qty_delivered,
            key=line.key,
        )
    next_id = max(by_id, default=1000) + 1
    for n, line in enumerate(plan.add):
        by_id[next_id + n] = ExistingLine(
            id=next_id + n,
            product_id=line.product_id,
            name=line.name,
            quantity=line.quantity,
            price_unit=line.price_unit,
            tax_ids=frozenset(line.tax_ids),
            discount=line.discount,
            key=line.key,
        )
    state = "sale" if plan.confirm else before.state
    return ExistingSaleOrder(
        before.id, before.name, state, before.client_order_ref, tuple(by_id.values())
    )


def _fields(line: ExistingLine) -> dict[str, object]:
    return {name: getattr(line, name) for name in ExistingLine.__slots__}  # type: ignore[attr-defined]
