"""Property tests of link matching: stable, one-to-one, never guessed, order-independent."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shopify_odoo.sync.link_plan import LinkPlan
from shopify_odoo.sync.links import LinkOverride, LinkPolicy, plan_links
from shopify_odoo.sync.model import Link, MatchedBy, OdooProduct, ShopifyVariant

SKUS = st.sampled_from(["A", "B", "C", "a", " A", "", None])
BARCODES = st.sampled_from(["1", "2", None])
STORES = ("eu", "us")

products = st.lists(
    st.builds(
        OdooProduct,
        id=st.integers(1, 6),
        default_code=SKUS,
        barcode=BARCODES,
        active=st.integers(0, 5).map(bool),
        company_id=st.sampled_from([None, 1, 2]),
    ),
    max_size=6,
    unique_by=lambda p: p.id,
)


@st.composite
def variants(draw: st.DrawFn) -> list[ShopifyVariant]:
    out = []
    for n in draw(st.sets(st.integers(10, 17), max_size=6)):
        store = draw(st.sampled_from(STORES))
        out.append(
            ShopifyVariant(store, f"V{n}", f"I{n}", draw(SKUS), draw(BARCODES), True, f"P{n}")
        )
    return out


policies = st.builds(
    LinkPolicy,
    barcode_fallback=st.booleans(),
    company_id=st.sampled_from([None, 1]),
    overrides=st.lists(
        st.builds(
            LinkOverride,
            st.sampled_from(["A", "B"]),
            st.integers(1, 7),
            st.sampled_from([None, "eu"]),
        ),
        max_size=2,
    ).map(tuple),
)


def all_links(plan: LinkPlan) -> list[Link]:
    return [lk for sp in plan.stores for lk in sp.links]


@st.composite
def histories(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    """Stored links made by planning an earlier catalogue, then a changed catalogue."""
    policy = draw(policies)
    before = plan_links(draw(products), vs := draw(variants()), [], policy)
    changed_vs = draw(st.one_of(st.just(vs), variants()))
    return draw(products), changed_vs, all_links(before), policy


SETTINGS = settings(max_examples=300, deadline=None)


@SETTINGS
@given(histories())
def test_planning_again_with_the_planned_links_stored_changes_nothing(case) -> None:  # type: ignore[no-untyped-def]
    prods, vs, stored, policy = case
    first = plan_links(prods, vs, stored, policy)
    second = plan_links(prods, vs, all_links(first), policy)
    for sp in second.stores:
        assert (sp.new, sp.relinked, sp.removed) == ((), (), ()), sp
    assert sorted(all_links(second), key=repr) == sorted(all_links(first), key=repr)


@SETTINGS
@given(histories())
def test_links_are_one_to_one_per_store(case) -> None:  # type: ignore[no-untyped-def]
    prods, vs, stored, policy = case
    for sp in plan_links(prods, vs, stored, policy).stores:
        links = sp.links
        assert len({lk.variant_gid for lk in links}) == len(links)
        assert len({lk.product_id for lk in links}) == len(links)


@SETTINGS
@given(histories())
def test_new_links_are_never_guessed(case) -> None:  # type: ignore[no-untyped-def]
    prods, vs, stored, policy = case
    by_id = {p.id: p for p in prods}
    by_gid = {(v.store, v.variant_gid): v for v in vs}
    plan = plan_links(prods, vs, stored, policy)
    for sp in plan.stores:
        for lk in sp.new:
            p, v = by_id[lk.product_id], by_gid[(sp.store, lk.variant_gid)]
            assert p.active
            assert policy.company_id is None or p.company_id in (None, policy.company_id)
            same_store = [w for w in vs if w.store == sp.store]
            if lk.matched_by is MatchedBy.SKU:
                assert v.norm_sku == p.sku != ""
                assert sum(w.norm_sku == v.norm_sku for w in same_store) == 1
                assert (
                    sum(
                        q.sku == p.sku and q.active
                        for q in prods
                        if policy.company_id is None or q.company_id in (None, policy.company_id)
                    )
                    == 1
                )
            elif lk.matched_by is MatchedBy.BARCODE:
                assert policy.barcode_fallback
                assert (v.barcode or "").strip() == (p.barcode or "").strip() != ""
            else:
                assert any(o.product_id == p.id for o in policy.overrides)


@SETTINGS
@given(histories(), st.randoms(use_true_random=False))
def test_the_plan_does_not_depend_on_input_order(case, rnd) -> None:  # type: ignore[no-untyped-def]
    prods, vs, stored, policy = case
    shuffled = [list(prods), list(vs), list(stored)]
    for seq in shuffled:
        rnd.shuffle(seq)
    assert plan_links(*shuffled, policy) == plan_links(prods, vs, stored, policy)
