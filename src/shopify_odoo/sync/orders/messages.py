"""Every person-facing problem of the order planner, in one place (snapshot-tested).

Each message names the object, where it lives, the cause and the next step (STYLE.md §6).
"""

from __future__ import annotations

from decimal import Decimal

from shopify_odoo.sync.order_model import (
    ExistingSaleOrder,
    LineItem,
    Problem,
    ShopifyOrder,
    TaxLine,
    reprocess_command,
)


def _order(order: ShopifyOrder) -> str:
    return f"Order {order.name} (store {order.store})"


def _then(order: ShopifyOrder) -> str:
    return f'then run "{reprocess_command(order)}"'


def unknown_variant(order: ShopifyOrder, item: LineItem) -> Problem:
    variant = item.variant_id or "deleted"
    if item.sku:
        return Problem(
            "unknown_variant",
            f'{_order(order)}, line "{item.title}" (SKU "{item.sku}", variant {variant}): no '
            f"Odoo product is linked to this SKU: create or find the product in Odoo and run "
            f'"shopify-odoo link --sku {item.sku} --product <id>", {_then(order)}',
        )
    return Problem(
        "unknown_variant",
        f'{_order(order)}, line "{item.title}" (no SKU, variant {variant}): the line has no SKU '
        "and its variant is not linked to an Odoo product: give the variant a SKU in Shopify and "
        f'run "shopify-odoo link --sku <SKU> --product <id>", {_then(order)}',
    )


def product_setting_missing(order: ShopifyOrder, what: str, setting: str) -> Problem:
    return Problem(
        f"{setting}_missing",
        f"{_order(order)} has {what}, but the store has no {setting} configured: set "
        f"{setting} in the store's order settings to an Odoo service product, {_then(order)}",
    )


def tax_mapping_missing(
    order: ShopifyOrder, where: str, tax: TaxLine, taxes_included: bool
) -> Problem:
    included = "included in" if taxes_included else "excluded from"
    percent = (tax.rate * 100).normalize()
    return Problem(
        "tax_mapping_missing",
        f'{_order(order)}, {where}: Shopify tax "{tax.title}" at {percent:f} % ({included} '
        f"prices) has no Odoo tax mapping: add a tax rule (rate {tax.rate.normalize():f}, title "
        f'"{tax.title}", taxes_included {str(taxes_included).lower()}) pointing to the Odoo '
        f"tax, {_then(order)}",
    )


def tax_mapping_wrong(order: ShopifyOrder, where: str, tax: TaxLine, cause: str) -> Problem:
    percent = (tax.rate * 100).normalize()
    return Problem(
        "tax_mapping_wrong",
        f'{_order(order)}, {where}: the tax rule for Shopify tax "{tax.title}" at {percent:f} % '
        f"{cause}: correct the tax rule or the Odoo tax, {_then(order)}",
    )


def currency_missing(order: ShopifyOrder) -> Problem:
    code = order.presentment_currency
    return Problem(
        "currency_missing",
        f"{_order(order)} is in {code}, which is not active in Odoo or has no pricelist: "
        f"activate {code} in Odoo (Accounting > Currencies) and create a pricelist in {code}, "
        f"{_then(order)}",
    )


def location_unmapped(order: ShopifyOrder, location_id: str, location_name: str) -> Problem:
    label = f'"{location_name}" ({location_id})' if location_name else location_id
    return Problem(
        "location_unmapped",
        f"{_order(order)} is assigned to Shopify location {label}, which is not in the "
        f"store's location map: map the location to an Odoo warehouse, {_then(order)}",
    )


def total_mismatch(
    order: ShopifyOrder, shopify_total: Decimal, odoo_total: Decimal, allowed: Decimal
) -> Problem:
    code = order.presentment_currency
    diff = shopify_total - odoo_total
    return Problem(
        "total_mismatch",
        f"{_order(order)}: Shopify's total is {shopify_total} {code} but the sale order would "
        f"total {odoo_total} {code} (difference {diff} {code}, more than the {allowed} {code} "
        "rounding allowance of one cent per line): compare the order's taxes and discounts "
        f"with the store's tax rules and the Odoo taxes, {_then(order)}",
    )


def cancelled_after_delivery(
    order: ShopifyOrder, existing: ExistingSaleOrder, delivered: Decimal
) -> Problem:
    return Problem(
        "cancelled_after_delivery",
        f"{_order(order)} was cancelled in Shopify, but sale order {existing.name} has already "
        f"delivered {delivered.normalize():f} unit(s): create a return for the delivered units "
        f"and cancel the rest in Odoo by hand, {_then(order)}",
    )


def edited_after_delivery(
    order: ShopifyOrder, existing: ExistingSaleOrder, delivered: Decimal
) -> Problem:
    return Problem(
        "edited_after_delivery",
        f"{_order(order)} was edited in Shopify, but sale order {existing.name} has already "
        f"delivered {delivered.normalize():f} unit(s), so it is not changed automatically: "
        f"apply the edit to {existing.name} in Odoo by hand (or return the delivered units), "
        f"{_then(order)}",
    )


def sale_order_locked(order: ShopifyOrder, existing: ExistingSaleOrder) -> Problem:
    return Problem(
        "sale_order_locked",
        f"{_order(order)} changed in Shopify, but sale order {existing.name} is locked in "
        f"Odoo: unlock {existing.name} in Odoo, {_then(order)}",
    )


def cancelled_in_odoo(order: ShopifyOrder, existing: ExistingSaleOrder) -> Problem:
    return Problem(
        "cancelled_in_odoo",
        f"{_order(order)} is open in Shopify, but its sale order {existing.name} is cancelled "
        f"in Odoo: set {existing.name} back to quotation in Odoo, or cancel the order in "
        f"Shopify, {_then(order)}",
    )
