"""Sale order lines for a Shopify order: products, discounts, taxes, shipping, gift cards, tips.

Discounts: one **negative line per (line item, discount application)**, priced at exactly the
amount Shopify allocated to that line, with the discounted line's taxes.  Not the ``discount``
percentage field, because Odoo stores it with the "Discount" decimal precision (2 digits by
default): 5.00 off a 33.33 line is 15.0015 %, which Odoo would round to 15.00 % and the line
total would be off.  Not a rewritten ``price_unit`` either: 5.00 off 3 × 10.00 is 8.3333 per unit,
which the "Product Price" precision cannot hold, and the list price would vanish from reports.
A negative line is exact to the cent on the untaxed amount, keeps the list price, and names the
code/automatic discount for reports.  With taxes included the totals are then exact; with taxes
excluded Odoo rounds the tax of the product line and of its discount line separately, which may
differ from Shopify's single rounding by at most a cent per line: the rounding rule covers that.

Order-level discounts need nothing special: Shopify allocates every discount application to lines
(``discount_allocations``), and we follow those allocations, not our own.  Shipping discounts are
taken off the shipping line itself (its quantity is 1, so its price stays exact).

An order edit that lowers a line's quantity keeps the line's original allocations in Shopify;
the allocation is then prorated to the current quantity (the total check absorbs the rounding).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from shopify_odoo.sync.order_model import (
    DiscountAllocation,
    FulfillmentOrder,
    LineItem,
    OdooOrderState,
    OrderSettings,
    Problem,
    ShopifyOrder,
    TaxLine,
)
from shopify_odoo.sync.orders import messages
from shopify_odoo.sync.orders.plan_types import PlannedLine
from shopify_odoo.sync.orders.totals import ZERO, round_money


@dataclass(frozen=True, slots=True)
class LinesResult:
    lines: tuple[PlannedLine, ...]
    warehouse_id: int | None
    problems: tuple[Problem, ...]
    warnings: tuple[str, ...]


class _Builder:
    def __init__(self, order: ShopifyOrder, odoo: OdooOrderState, settings: OrderSettings):
        self.order = order
        self.odoo = odoo
        self.settings = settings
        self.digits = next(
            (c.decimal_places for c in odoo.currencies if c.code == order.presentment_currency),
            2,
        )
        self.taxes = {t.id: t for t in odoo.taxes}
        self.by_variant = {
            link.variant_id: link.product_id for link in odoo.links if link.variant_id
        }
        self.by_sku = {link.sku.strip(): link.product_id for link in odoo.links if link.sku}
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.lines: list[PlannedLine] = []
        self._reported: set[str] = set()

    def problem(self, problem: Problem) -> None:
        if problem.message not in self._reported:
            self._reported.add(problem.message)
            self.problems.append(problem)

    # -- taxes -----------------------------------------------------------------------------

    def tax_ids(self, tax_lines: Sequence[TaxLine], where: str) -> tuple[int, ...]:
        ids: list[int] = []
        included = self.order.taxes_included
        for tax in tax_lines:
            rules = [
                r
                for r in self.settings.tax_rules
                if r.rate == tax.rate
                and r.taxes_included == included
                and (r.title is None or r.title.casefold() == tax.title.strip().casefold())
            ]
            if not rules:
                if tax.rate != 0:
                    self.problem(messages.tax_mapping_missing(self.order, where, tax, included))
                continue
            rule = min(rules, key=lambda r: r.title is None)
            odoo_taxes = [self.taxes.get(i) for i in rule.tax_ids]
            if any(t is None for t in odoo_taxes):
                missing = ", ".join(str(i) for i in rule.tax_ids if i not in self.taxes)
                self.problem(
                    messages.tax_mapping_wrong(
                        self.order,
                        where,
                        tax,
                        f"points to Odoo tax id(s) {missing}, which do "
                        "not exist or are archived in the order's company",
                    )
                )
                continue
            found = [t for t in odoo_taxes if t is not None]
            total_rate = sum((t.rate_percent for t in found), ZERO)
            if total_rate != tax.rate * 100:
                self.problem(
                    messages.tax_mapping_wrong(
                        self.order,
                        where,
                        tax,
                        f"points to Odoo taxes totalling {total_rate.normalize():f} %",
                    )
                )
                continue
            wrong = [t for t in found if t.price_include != included]
            if wrong:
                kind = "tax-included" if included else "tax-excluded"
                names = ", ".join(f'"{t.name}"' for t in wrong)
                self.problem(
                    messages.tax_mapping_wrong(
                        self.order,
                        where,
                        tax,
                        f"points to {names}, which is not {kind} like the order's prices",
                    )
                )
                continue
            ids.extend(t.id for t in found if t.id not in ids)
        return tuple(sorted(ids))

    # -- products ---------------------------------------------------------------------------

    def product_for(self, item: LineItem) -> int | None:
        s = self.settings
        if item.kind == "gift_card":
            if s.gift_card_product_id is None:
                self.problem(
                    messages.product_setting_missing(
                        self.order, f'a gift card line "{item.title}"', "gift_card_product_id"
                    )
                )
            return s.gift_card_product_id
        if item.kind == "tip":
            if s.tip_product_id is None:
                self.problem(
                    messages.product_setting_missing(self.order, "a tip", "tip_product_id")
                )
            return s.tip_product_id
        product = self.by_variant.get(item.variant_id) if item.variant_id else None
        if product is None and item.sku and item.sku.strip():
            product = self.by_sku.get(item.sku.strip())
        if product is None:
            self.problem(messages.unknown_variant(self.order, item))
        return product

    def allocated(
        self, allocations: Sequence[DiscountAllocation], item: LineItem
    ) -> dict[int, Decimal]:
        amounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for allocation in allocations:
            amounts[allocation.application_index] += allocation.amount.presentment
        if item.current_quantity != item.quantity and item.quantity:
            ratio = Decimal(item.current_quantity) / Decimal(item.quantity)
            return {i: round_money(a * ratio, self.digits) for i, a in amounts.items()}
        return dict(amounts)

    def discount_title(self, index: int) -> str:
        for application in self.order.discount_applications:
            if application.index == index:
                return application.title
        return ""

    def item_lines(self, item: LineItem, warehouses: dict[str, int]) -> None:
        if item.current_quantity <= 0:
            return
        product_id = self.product_for(item)
        where = f'line "{item.title}"'
        tax_ids = self.tax_ids(item.tax_lines, where)
        if product_id is None:
            return
        role = "product" if item.kind == "product" else item.kind
        self.lines.append(
            PlannedLine(
                key=f"item:{item.id}",
                role=role,
                product_id=product_id,
                name=item.title,
                quantity=Decimal(item.current_quantity),
                price_unit=item.unit_price.presentment,
                tax_ids=tax_ids,
                warehouse_id=warehouses.get(item.id),
                line_item_id=item.id,
            )
        )
        for index, amount in sorted(self.allocated(item.discount_allocations, item).items()):
            if amount == 0:
                continue
            discount_product = self.settings.discount_product_id
            if discount_product is None:
                self.problem(
                    messages.product_setting_missing(self.order, "discounts", "discount_product_id")
                )
                return
            title = self.discount_title(index)
            label = f"Discount {title}" if title else "Discount"
            self.lines.append(
                PlannedLine(
                    key=f"disc:{item.id}:{index}",
                    role="discount",
                    product_id=discount_product,
                    name=f"{label}: {item.title}",
                    quantity=Decimal(1),
                    price_unit=-amount,
                    tax_ids=tax_ids,
                    line_item_id=item.id,
                )
            )

    def shipping_lines(self) -> None:
        for ship in self.order.shipping_lines:
            if ship.is_removed:
                continue
            price = ship.price.presentment - sum(
                (a.amount.presentment for a in ship.discount_allocations), ZERO
            )
            tax_ids = self.tax_ids(ship.tax_lines, f'shipping "{ship.title}"')
            if self.settings.shipping_product_id is None:
                if price != 0 or ship.tax_lines:
                    self.problem(
                        messages.product_setting_missing(
                            self.order, f'shipping "{ship.title}"', "shipping_product_id"
                        )
                    )
                continue
            self.lines.append(
                PlannedLine(
                    key=f"ship:{ship.id}",
                    role="shipping",
                    product_id=self.settings.shipping_product_id,
                    name=ship.title,
                    quantity=Decimal(1),
                    price_unit=price,
                    tax_ids=tax_ids,
                    is_delivery=True,
                )
            )


def _routes(
    b: _Builder, fulfillment_orders: Sequence[FulfillmentOrder]
) -> tuple[dict[str, int], int | None]:
    """Warehouse per line item (most units wins) and the order's main warehouse."""
    routes = {r.location_id: r for r in b.settings.locations}
    active = [fo for fo in fulfillment_orders if fo.status != "CANCELLED"] or list(
        fulfillment_orders
    )
    units: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[int, int] = defaultdict(int)
    # only physical product lines need a warehouse: gift cards, tips and digital goods have
    # fulfillment orders at service locations that are never in the location map
    shipped = {i.id for i in b.order.line_items if i.kind == "product" and i.requires_shipping}
    for fo in active:
        if not any(line.line_item_id in shipped for line in fo.lines):
            continue
        route = routes.get(fo.assigned_location_id)
        if route is None:
            b.problem(
                messages.location_unmapped(b.order, fo.assigned_location_id, fo.location_name)
            )
            continue
        for line in fo.lines:
            if line.line_item_id not in shipped:
                continue
            units[line.line_item_id][route.warehouse_id] += line.total_quantity
            totals[route.warehouse_id] += line.total_quantity
    main = min(totals, key=lambda w: (-totals[w], w)) if totals else None
    per_line: dict[str, int] = {}
    for line_item_id, by_wh in units.items():
        best = min(by_wh, key=lambda w: (-by_wh[w], w))
        if len(by_wh) > 1:
            title = next((i.title for i in b.order.line_items if i.id == line_item_id), "")
            b.warnings.append(
                f'order {b.order.name} of store {b.order.store}: line "{title}" is split '
                f"across warehouses {sorted(by_wh)}; the sale order line ships from warehouse "
                f"{best}: move the rest in Odoo if needed"
            )
        if best != main:
            per_line[line_item_id] = best
    return per_line, main


def plan_lines(order: ShopifyOrder, odoo: OdooOrderState, settings: OrderSettings) -> LinesResult:
    """The sale order lines (without the rounding line) and the warehouse for ``order``."""
    b = _Builder(order, odoo, settings)
    per_line, warehouse = _routes(b, order.fulfillment_orders)
    for item in order.line_items:
        b.item_lines(item, per_line)
    b.shipping_lines()
    return LinesResult(
        lines=tuple(b.lines),
        warehouse_id=warehouse,
        problems=tuple(b.problems),
        warnings=tuple(b.warnings),
    )
