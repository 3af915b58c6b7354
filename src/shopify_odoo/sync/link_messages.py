"""Sentences of the link planner (STYLE.md §6: object, place, cause, next command).

Snapshot-tested in tests/unit/sync_links/test_messages.py; change them there too.
"""

from __future__ import annotations

from collections.abc import Sequence

from shopify_odoo.sync.model import OdooProduct, ShopifyVariant


def _fix(sku: str, product: int | str = "<id>") -> str:
    return f'"shopify-odoo link --sku {sku} --product {product}"'


def _product(p: OdooProduct) -> str:
    return f'Odoo product {p.id} ("{p.name}")' if p.name else f"Odoo product {p.id}"


def _ids(products: Sequence[OdooProduct]) -> str:
    return ", ".join(str(p.id) for p in products)


def _labels(variants: Sequence[ShopifyVariant]) -> str:
    return ", ".join(v.label for v in variants)


def blank_sku(v: ShopifyVariant, barcode_fallback: bool) -> str:
    tail = "" if barcode_fallback else ", or enable barcode matching"
    return (
        f"Variant {v.label} in store {v.store} has no SKU, so it cannot be matched to an Odoo "
        f"product: give it the SKU of its Odoo product in Shopify{tail}"
    )


def duplicate_shopify(store: str, sku: str, variants: Sequence[ShopifyVariant]) -> str:
    return (
        f'SKU "{sku}" is used by {len(variants)} variants in store {store} '
        f"({_labels(variants)}), so none of them is linked: give each variant its own SKU "
        f"in Shopify"
    )


def duplicate_odoo(v: ShopifyVariant, sku: str, products: Sequence[OdooProduct]) -> str:
    return (
        f'SKU "{sku}" (store {v.store}, variant {v.label}) matches {len(products)} Odoo '
        f"products ({_ids(products)}): give each product its own Internal Reference in Odoo, "
        f"or choose one with {_fix(sku)}"
    )


def duplicate_barcode(v: ShopifyVariant, barcode: str, products: Sequence[OdooProduct]) -> str:
    return (
        f'Barcode "{barcode}" (store {v.store}, variant {v.label}) matches {len(products)} Odoo '
        f"products ({_ids(products)}): give each product its own barcode in Odoo, or set the "
        f"variant's SKU and run {_fix(v.norm_sku or '<sku>')}"
    )


def no_product(v: ShopifyVariant, sku: str, company_id: int | None) -> str:
    where = f" in company {company_id}" if company_id is not None else ""
    return (
        f'SKU "{sku}" (store {v.store}, variant {v.label}) has no Odoo product{where}: create '
        f"it in Odoo or run {_fix(sku)}"
    )


def case_mismatch(v: ShopifyVariant, sku: str, p: OdooProduct) -> str:
    return (
        f'SKU "{sku}" (store {v.store}, variant {v.label}) has no exact match in Odoo, but '
        f'{_product(p)} has "{p.sku}", which differs only in case (SKUs are compared '
        f"case-sensitively): fix the case on one side or run {_fix(sku, p.id)}"
    )


def archived(v: ShopifyVariant, sku: str, products: Sequence[OdooProduct]) -> str:
    return (
        f'SKU "{sku}" (store {v.store}, variant {v.label}) matches only archived Odoo '
        f"product(s) {_ids(products)}: unarchive it in Odoo or run {_fix(sku)}"
    )


def other_company(
    v: ShopifyVariant, sku: str, products: Sequence[OdooProduct], company_id: int | None
) -> str:
    companies = ", ".join(sorted({str(p.company_id) for p in products}))
    return (
        f'SKU "{sku}" (store {v.store}, variant {v.label}) matches Odoo product(s) '
        f"{_ids(products)} of company {companies}, but the stores sell from company "
        f"{company_id}: share the product with company {company_id} in Odoo or run {_fix(sku)}"
    )


def product_taken(store: str, p: OdooProduct, variants: Sequence[ShopifyVariant]) -> str:
    sku = next((v.norm_sku for v in variants if v.norm_sku), "<variant SKU>")
    return (
        f'Odoo product {p.id} (SKU "{p.sku}") would be linked to {len(variants)} variants in '
        f"store {store} ({_labels(variants)}), but a product links to one variant per store: "
        f"fix the SKUs or barcodes in Shopify, or choose one with {_fix(sku, p.id)}"
    )


def override_bad_product(sku: str, product_id: int, why: str) -> str:
    return (
        f'The manual link of SKU "{sku}" points to Odoo product {product_id}, which {why}: '
        f"run {_fix(sku)} with an active product"
    )


def override_no_variant(store: str, sku: str, product_id: int) -> str:
    return (
        f'The manual link of SKU "{sku}" to Odoo product {product_id} matches no variant in '
        f"store {store}: check the SKU in Shopify"
    )


def override_twice(store: str, product_id: int, skus: Sequence[str]) -> str:
    listed = ", ".join(f'"{s}"' for s in skus)
    return (
        f"Manual links of SKUs {listed} all point to Odoo product {product_id} in store "
        f"{store}, but a product links to one variant per store: keep one of them"
    )


def sku_differs(v: ShopifyVariant, p: OdooProduct) -> str:
    return (
        f'Variant {v.label} in store {v.store} has SKU "{v.norm_sku}" but its linked '
        f'{_product(p)} has "{p.sku}": the link is kept (links follow identity); align the '
        f"SKU in Shopify"
    )


def odoo_sku_moved(p: OdooProduct, old: str, old_v: ShopifyVariant, new_v: ShopifyVariant) -> str:
    return (
        f'{_product(p)} changed its SKU from "{old}" to "{p.sku}": re-linked in store '
        f"{new_v.store} from variant {old_v.label} to variant {new_v.label}"
    )


def odoo_sku_renamed(p: OdooProduct, old: str, v: ShopifyVariant) -> str:
    return (
        f'{_product(p)} changed its SKU from "{old}" to "{p.sku}": still linked to variant '
        f"{v.label} in store {v.store}, as no other variant has the new SKU; set the "
        f'variant\'s SKU to "{p.sku}" in Shopify'
    )


def odoo_sku_blank(p: OdooProduct, old: str, v: ShopifyVariant) -> str:
    return (
        f'{_product(p)} has lost its SKU (was "{old}"): still linked to variant {v.label} in '
        f"store {v.store} by identity; give it back an Internal Reference in Odoo"
    )


def relink_blocked(
    p: OdooProduct, old: str, v: ShopifyVariant, target: ShopifyVariant, why: str
) -> str:
    return (
        f'{_product(p)} changed its SKU from "{old}" to "{p.sku}", but variant {target.label} '
        f"with that SKU in store {v.store} {why}: the link to variant {v.label} is kept; fix "
        f"the SKUs or run {_fix(p.sku)}"
    )


def odoo_duplicate_global(sku: str, products: Sequence[OdooProduct]) -> str:
    return (
        f'SKU "{sku}" is the Internal Reference of {len(products)} Odoo products '
        f"({_ids(products)}): give each its own, or no store variant with this SKU can be linked"
    )


def removed_variant(store: str, variant_gid: str, sku: str) -> str:
    return f'variant {variant_gid} (SKU "{sku}") no longer exists in store {store}'


def removed_product(product_id: int, why: str) -> str:
    return f"Odoo product {product_id} {why}"


def removed_superseded(sku: str, variant: ShopifyVariant) -> str:
    return f'superseded by the manual link of SKU "{sku}" to variant {variant.label}'
