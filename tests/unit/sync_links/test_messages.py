"""Snapshots of the sentences a person reads in ``link --dry-run`` and ``check``.

Each message names the store, SKU, variant, Odoo product(s), the cause and the fix command.
If you change a message on purpose, update its snapshot here.
"""

from __future__ import annotations

import pytest

from shopify_odoo.sync.link_plan import LinkPlan
from shopify_odoo.sync.links import LinkOverride, LinkPolicy, plan_links

from .factories import EU, link, product, variant

V10 = "T-Shirt / M (gid://shopify/ProductVariant/10)"
V11 = "T-Shirt / M (gid://shopify/ProductVariant/11)"


def notes(plan: LinkPlan) -> list[str]:
    return [r.note for r in plan.rows() if r.action not in ("new", "kept")]


CASES = {
    "blank sku": (
        lambda: plan_links([product(1, "A")], [variant(10, "")], []),
        [
            f"Variant {V10} in store eu has no SKU, so it cannot be matched to an Odoo product: "
            "give it the SKU of its Odoo product in Shopify, or enable barcode matching"
        ],
    ),
    "duplicate in shopify": (
        lambda: plan_links([product(1, "A")], [variant(10, "A"), variant(11, "A")], []),
        [
            f'SKU "A" is used by 2 variants in store eu ({V10}, {V11}), so none of them is '
            "linked: give each variant its own SKU in Shopify"
        ],
    ),
    "duplicate in odoo": (
        lambda: plan_links([product(1, "A"), product(2, "A")], [variant(10, "A")], []),
        [
            f'SKU "A" (store eu, variant {V10}) matches 2 Odoo products (1, 2): give each '
            "product its own Internal Reference in Odoo, or choose one with "
            '"shopify-odoo link --sku A --product <id>"',
            'SKU "A" is the Internal Reference of 2 Odoo products (1, 2): give each its own, '
            "or no store variant with this SKU can be linked",
        ],
    ),
    "no product": (
        lambda: plan_links([product(1, "A")], [variant(10, "B")], [], LinkPolicy(company_id=1)),
        [
            f'SKU "B" (store eu, variant {V10}) has no Odoo product in company 1: create it in '
            'Odoo or run "shopify-odoo link --sku B --product <id>"'
        ],
    ),
    "case": (
        lambda: plan_links(
            [product(1, "TSHIRT-M", name="T-Shirt M")], [variant(10, "tshirt-m")], []
        ),
        [
            f'SKU "tshirt-m" (store eu, variant {V10}) has no exact match in Odoo, but Odoo '
            'product 1 ("T-Shirt M") has "TSHIRT-M", which differs only in case (SKUs are '
            "compared case-sensitively): fix the case on one side or run "
            '"shopify-odoo link --sku tshirt-m --product 1"'
        ],
    ),
    "other company": (
        lambda: plan_links(
            [product(1, "A", company=2)], [variant(10, "A")], [], LinkPolicy(company_id=1)
        ),
        [
            f'SKU "A" (store eu, variant {V10}) matches Odoo product(s) 1 of company 2, but the '
            "stores sell from company 1: share the product with company 1 in Odoo or run "
            '"shopify-odoo link --sku A --product <id>"'
        ],
    ),
    "archived": (
        lambda: plan_links([product(1, "A", active=False)], [variant(10, "A")], []),
        [
            f'SKU "A" (store eu, variant {V10}) matches only archived Odoo product(s) 1: '
            'unarchive it in Odoo or run "shopify-odoo link --sku A --product <id>"'
        ],
    ),
    "claimed twice": (
        lambda: plan_links(
            [product(1, "A", barcode="400")],
            [variant(10, "X", barcode="400"), variant(11, "Y", barcode="400")],
            [],
            LinkPolicy(barcode_fallback=True),
        ),
        [
            f'Odoo product 1 (SKU "A") would be linked to 2 variants in store eu ({V10}, {V11}), '
            "but a product links to one variant per store: fix the SKUs or barcodes in Shopify, "
            'or choose one with "shopify-odoo link --sku X --product 1"'
        ],
    ),
    "override to archived": (
        lambda: plan_links(
            [product(2, "B", active=False)],
            [variant(10, "A")],
            [],
            LinkPolicy(overrides=(LinkOverride("A", 2),)),
        ),
        [
            'The manual link of SKU "A" points to Odoo product 2, which is archived: run '
            '"shopify-odoo link --sku A --product <id>" with an active product'
        ],
    ),
    "odoo sku moved": (
        lambda: plan_links(
            [product(1, "B")], [variant(10, "A"), variant(11, "B")], [link(10, 1, "A")]
        ),
        [
            'Odoo product 1 ("Product 1") changed its SKU from "A" to "B": re-linked in store '
            f"eu from variant {V10} to variant {V11}",
            f'SKU "A" (store eu, variant {V10}) has no Odoo product: create it in Odoo or run '
            '"shopify-odoo link --sku A --product <id>"',
        ],
    ),
    "relink blocked": (
        lambda: plan_links(
            [product(1, "B"), product(2, "B2")],
            [variant(10, "A"), variant(11, "B")],
            [link(10, 1, "A"), link(11, 2, "B2")],
        ),
        [
            f'Variant {V11} in store eu has SKU "B" but its linked Odoo product 2 ("Product 2") '
            'has "B2": the link is kept (links follow identity); align the SKU in Shopify',
            'Odoo product 1 ("Product 1") changed its SKU from "A" to "B", but variant '
            f"{V11} with that SKU in store eu is linked to Odoo product 2: the link to variant "
            f'{V10} is kept; fix the SKUs or run "shopify-odoo link --sku B --product <id>"',
        ],
    ),
    "variant deleted": (
        lambda: plan_links([product(1, "A")], [], [link(10, 1, "A")]),
        ['variant gid://shopify/ProductVariant/10 (SKU "A") no longer exists in store eu'],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_message_snapshot(name: str) -> None:
    build, expected = CASES[name]
    assert notes(build()) == expected


def test_every_blocking_message_names_a_next_step() -> None:
    for build, _expected in CASES.values():
        for sp in build().stores:
            for problem in sp.blocking:
                assert problem.store == EU
                assert ": " in problem.message  # cause, then what to do
