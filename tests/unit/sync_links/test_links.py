"""Link matching rules, one per test."""

from __future__ import annotations

from shopify_odoo.sync.links import LinkOverride, LinkPolicy, ProblemKind, plan_links
from shopify_odoo.sync.model import MatchedBy

from .factories import EU, US, link, pairs, product, variant


def kinds(plan, store=EU):  # type: ignore[no-untyped-def]
    return [(p.kind, p.blocking) for p in plan.store(store).problems]


def test_variants_link_to_the_odoo_product_with_the_same_sku_in_every_store() -> None:
    plan = plan_links(
        [product(1, "TSHIRT-M"), product(2, "CAP")],
        [variant(10, "TSHIRT-M"), variant(11, "CAP"), variant(20, "TSHIRT-M", US)],
        [],
    )
    assert pairs(plan.store(EU).new) == [(10, 1), (11, 2)]
    assert pairs(plan.store(US).new) == [(20, 1)]
    assert plan.store(EU).problems == ()


def test_skus_are_trimmed_before_matching() -> None:
    plan = plan_links([product(1, " TSHIRT-M ")], [variant(10, "TSHIRT-M\t")], [])
    assert pairs(plan.store(EU).new) == [(10, 1)]
    assert plan.store(EU).new[0].sku == "TSHIRT-M"


def test_skus_differing_only_in_case_are_reported_not_linked() -> None:
    plan = plan_links([product(1, "TSHIRT-M")], [variant(10, "tshirt-m")], [])
    assert plan.store(EU).new == ()
    assert kinds(plan) == [(ProblemKind.SKU_CASE_MISMATCH, True)]
    assert "--product 1" in plan.store(EU).problems[0].message


def test_a_blank_shopify_sku_is_reported() -> None:
    plan = plan_links([product(1, "A")], [variant(10, "  ")], [])
    assert kinds(plan) == [(ProblemKind.BLANK_SKU, True)]


def test_two_variants_with_one_sku_in_a_store_block_both() -> None:
    plan = plan_links([product(1, "A")], [variant(10, "A"), variant(11, "A")], [])
    assert plan.store(EU).new == ()
    (problem,) = plan.store(EU).problems
    assert problem.kind is ProblemKind.DUPLICATE_SHOPIFY_SKU
    assert len(problem.variant_gids) == 2


def test_the_same_sku_in_two_stores_is_not_a_duplicate() -> None:
    plan = plan_links([product(1, "A")], [variant(10, "A"), variant(20, "A", US)], [])
    assert pairs(plan.store(EU).new) == [(10, 1)]
    assert pairs(plan.store(US).new) == [(20, 1)]


def test_two_odoo_products_with_one_sku_are_reported_with_both_ids() -> None:
    plan = plan_links([product(1, "A"), product(2, "A")], [variant(10, "A")], [])
    assert plan.store(EU).new == ()
    (problem,) = plan.store(EU).problems
    assert (problem.kind, problem.product_ids) == (ProblemKind.DUPLICATE_ODOO_SKU, (1, 2))
    assert [p.kind for p in plan.problems] == [ProblemKind.ODOO_DUPLICATE]


def test_a_manual_override_chooses_between_duplicate_odoo_products() -> None:
    policy = LinkPolicy(overrides=(LinkOverride("A", 2),))
    plan = plan_links([product(1, "A"), product(2, "A")], [variant(10, "A")], [], policy)
    assert pairs(plan.store(EU).new) == [(10, 2)]
    assert plan.store(EU).new[0].matched_by is MatchedBy.MANUAL
    assert plan.store(EU).problems == ()


def test_a_store_specific_override_beats_the_global_one() -> None:
    policy = LinkPolicy(overrides=(LinkOverride("A", 1), LinkOverride("A", 2, store=US)))
    plan = plan_links(
        [product(1, "A"), product(2, "B")], [variant(10, "A"), variant(20, "A", US)], [], policy
    )
    assert pairs(plan.store(EU).new) == [(10, 1)]
    assert pairs(plan.store(US).new) == [(20, 2)]


def test_an_override_to_an_archived_product_is_refused() -> None:
    policy = LinkPolicy(overrides=(LinkOverride("A", 2),))
    plan = plan_links(
        [product(1, "A"), product(2, "B", active=False)], [variant(10, "A")], [], policy
    )
    assert plan.store(EU).new == ()
    assert kinds(plan) == [(ProblemKind.OVERRIDE_BAD_PRODUCT, True)]


def test_an_override_beats_a_stored_link_and_is_shown_as_a_relink() -> None:
    policy = LinkPolicy(overrides=(LinkOverride("A", 2),))
    plan = plan_links(
        [product(1, "A"), product(2, "B")], [variant(10, "A")], [link(10, 1, "A")], policy
    )
    (relink,) = plan.store(EU).relinked
    assert (relink.old.product_id, relink.new.product_id) == (1, 2)


def test_a_product_two_variants_would_claim_through_barcodes_is_not_guessed() -> None:
    policy = LinkPolicy(barcode_fallback=True)
    plan = plan_links(
        [product(1, "A", barcode="400")],
        [variant(10, "X1", barcode="400"), variant(11, "X2", barcode="400")],
        [],
        policy,
    )
    assert plan.store(EU).new == ()
    assert kinds(plan) == [(ProblemKind.PRODUCT_TAKEN, True)]


def test_barcode_fallback_links_when_the_sku_does_not_match() -> None:
    products = [product(1, "A", barcode="4006381333931")]
    variants = [variant(10, "", barcode=" 4006381333931")]
    assert plan_links(products, variants, []).store(EU).new == ()
    plan = plan_links(products, variants, [], LinkPolicy(barcode_fallback=True))
    assert pairs(plan.store(EU).new) == [(10, 1)]
    assert plan.store(EU).new[0].matched_by is MatchedBy.BARCODE


def test_barcode_matching_two_odoo_products_is_reported() -> None:
    plan = plan_links(
        [product(1, "A", barcode="400"), product(2, "B", barcode="400")],
        [variant(10, "Z", barcode="400")],
        [],
        LinkPolicy(barcode_fallback=True),
    )
    assert kinds(plan) == [(ProblemKind.DUPLICATE_ODOO_BARCODE, True)]


def test_an_unknown_sku_is_reported_with_the_link_command() -> None:
    plan = plan_links([product(1, "A")], [variant(10, "B")], [])
    (problem,) = plan.store(EU).problems
    assert problem.kind is ProblemKind.NO_ODOO_PRODUCT
    assert "shopify-odoo link --sku B --product <id>" in problem.message


def test_products_of_another_company_are_not_candidates() -> None:
    plan = plan_links(
        [product(1, "A", company=2)], [variant(10, "A")], [], LinkPolicy(company_id=1)
    )
    assert kinds(plan) == [(ProblemKind.OTHER_COMPANY, True)]
    shared = plan_links(
        [product(1, "A", company=None)], [variant(10, "A")], [], LinkPolicy(company_id=1)
    )
    assert pairs(shared.store(EU).new) == [(10, 1)]


def test_archived_products_are_not_candidates() -> None:
    plan = plan_links([product(1, "A", active=False)], [variant(10, "A")], [])
    assert kinds(plan) == [(ProblemKind.PRODUCT_ARCHIVED, True)]


def test_a_stored_link_is_kept_when_the_shopify_sku_is_edited() -> None:
    plan = plan_links([product(1, "A")], [variant(10, "A-renamed")], [link(10, 1, "A")])
    assert pairs(plan.store(EU).kept) == [(10, 1)]
    assert kinds(plan) == [(ProblemKind.SKU_DIFFERS, False)]


def test_an_odoo_sku_change_relinks_to_the_variant_with_the_new_sku() -> None:
    plan = plan_links([product(1, "B")], [variant(10, "A"), variant(11, "B")], [link(10, 1, "A")])
    (relink,) = plan.store(EU).relinked
    assert pairs((relink.old, relink.new)) == [(10, 1), (11, 1)]
    assert 'from "A" to "B"' in relink.warning


def test_an_odoo_sku_change_with_no_variant_carrying_it_keeps_the_link_and_updates_it() -> None:
    plan = plan_links([product(1, "B")], [variant(10, "A")], [link(10, 1, "A")])
    (relink,) = plan.store(EU).relinked
    assert (relink.new.variant_gid, relink.new.sku) == (relink.old.variant_gid, "B")


def test_swapped_odoo_skus_swap_the_links() -> None:
    plan = plan_links(
        [product(1, "B"), product(2, "A")],
        [variant(10, "A"), variant(11, "B")],
        [link(10, 1, "A"), link(11, 2, "B")],
    )
    assert sorted(pairs(tuple(r.new for r in plan.store(EU).relinked))) == [(10, 2), (11, 1)]


def test_an_odoo_sku_change_onto_a_variant_linked_elsewhere_keeps_the_old_link() -> None:
    plan = plan_links(
        [product(1, "B"), product(2, "B2")],
        [variant(10, "A"), variant(11, "B")],
        [link(10, 1, "A"), link(11, 2, "B2")],
    )
    assert sorted(pairs(plan.store(EU).kept)) == [(10, 1), (11, 2)]
    assert (ProblemKind.RELINK_BLOCKED, False) in kinds(plan)


def test_a_blanked_odoo_sku_keeps_the_link_with_a_warning() -> None:
    plan = plan_links([product(1, "")], [variant(10, "A")], [link(10, 1, "A")])
    assert pairs(plan.store(EU).kept) == [(10, 1)]
    assert kinds(plan) == [(ProblemKind.ODOO_SKU_BLANK, False)]


def test_a_link_whose_variant_was_deleted_is_removed() -> None:
    plan = plan_links([product(1, "A")], [], [link(10, 1, "A")])
    (removal,) = plan.store(EU).removed
    assert "no longer exists in store eu" in removal.reason


def test_a_link_whose_product_was_archived_is_removed() -> None:
    plan = plan_links([product(1, "A", active=False)], [variant(10, "A")], [link(10, 1, "A")])
    (removal,) = plan.store(EU).removed
    assert "archived" in removal.reason


def test_a_new_variant_cannot_take_a_product_already_linked_in_the_store() -> None:
    plan = plan_links(
        [product(1, "A", barcode="400")],
        [variant(10, "A"), variant(11, "Z", barcode="400")],
        [link(10, 1, "A")],
        LinkPolicy(barcode_fallback=True),
    )
    assert pairs(plan.store(EU).kept) == [(10, 1)]
    assert plan.store(EU).new == ()
    assert kinds(plan) == [(ProblemKind.PRODUCT_TAKEN, True)]


def test_dry_run_rows_and_totals_count_every_action() -> None:
    plan = plan_links(
        [product(1, "A"), product(2, "B"), product(3, "C")],
        [variant(10, "A"), variant(11, "B"), variant(12, ""), variant(13, "X")],
        [link(11, 2, "B"), link(99, 3, "C")],
    )
    assert plan.totals() == {
        "new": 1,
        "kept": 1,
        "relink": 0,
        "remove": 1,
        "blocked": 2,
        "warning": 0,
    }
    assert [r.action for r in plan.rows()] == ["new", "kept", "remove", "blocked", "blocked"]
