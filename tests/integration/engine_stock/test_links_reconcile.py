"""Link problems (blank / duplicate SKUs), manual links, and the reconcile sweep, over loopback."""

from __future__ import annotations

from pathlib import Path

from shopify_odoo.engine.links import apply_links, plan_links_now
from shopify_odoo.engine.reconcile import sweep
from shopify_odoo.sandbox.shopify.inventory import merchant_set
from shopify_odoo.sync.link_plan import LinkOverride

from .harness import Engine, loopback_engine


def rename_sku(engine: Engine, store: str, old: str, new: str) -> None:
    st = engine.store(store)
    v = st.variants_by_sku(old)[0]
    st.unindex_variant(v)
    v.sku = new
    st.index_variant(v)


async def test_blank_and_duplicate_skus_are_reported_never_guessed(tmp_path: Path) -> None:
    async with loopback_engine(tmp_path) as engine:
        rename_sku(engine, "shop1", "CAP-0001-NAV-S", "")  # blank in Shopify
        rename_sku(engine, "shop1", "CAP-0001-NAV-M", "CAP-0001-NAV-L")  # duplicate in shop1
        run = await plan_links_now(engine.rt)
        rows = run.plan.rows()
        blocked = [r for r in rows if r.action == "blocked" and r.store == "shop1"]
        causes = " | ".join(r.note for r in blocked)
        assert any(r.sku == "" for r in blocked), causes
        assert any(r.sku == "CAP-0001-NAV-L" for r in blocked), causes
        totals = run.plan.totals()
        assert totals["new"] == 64 - 3  # shop1 loses the blank one and both duplicates
        await apply_links(engine.rt, run)
        # a manual link resolves the duplicate for the variant the merchant picks
        again = await plan_links_now(engine.rt)
        assert again.plan.totals()["new"] == 0
        assert again.plan.totals()["kept"] == 61


async def test_manual_link_survives_later_runs(tmp_path: Path) -> None:
    async with loopback_engine(tmp_path, stores=1) as engine:
        rename_sku(engine, "shop1", "SOCKS-0001-RED-S", "MYSOCKS-RED-S")
        run = await plan_links_now(engine.rt)
        assert any(r.sku == "MYSOCKS-RED-S" and r.action == "blocked" for r in run.plan.rows())
        products = await engine.rt.odoo.search(
            "product.product", [("default_code", "=", "SOCKS-0001-RED-S")]
        )
        manual = await plan_links_now(
            engine.rt, overrides=[LinkOverride("MYSOCKS-RED-S", products[0])]
        )
        assert await apply_links(engine.rt, manual, only_sku="MYSOCKS-RED-S") == 1
        later = await plan_links_now(engine.rt)
        kept = [lk for sp in later.plan.stores for lk in sp.links if lk.product_id == products[0]]
        assert len(kept) == 1
        assert kept[0].matched_by.value == "manual"


async def test_sweep_finds_drift_and_apply_fixes_it(tmp_path: Path) -> None:
    async with loopback_engine(tmp_path) as engine:
        await apply_links(engine.rt, await plan_links_now(engine.rt))
        clean = await sweep(engine.rt, mode="dry_run", batch_size=7)
        assert clean.products == 32
        assert clean.mismatches == 0
        st = engine.store("shop2")
        loc = st.location_by_name("Main Warehouse")
        assert loc is not None
        for sku in ("TSHIRT-0001-BLA-S", "HOODIE-0001-WHI-M"):
            merchant_set(engine.shopify, st, st.variants_by_sku(sku)[0], loc.id, "available", 99)
        seen: list[tuple[int, int]] = []
        dry = await sweep(
            engine.rt, mode="dry_run", batch_size=7, progress=lambda d, t: seen.append((d, t))
        )
        assert dry.mismatches == 2
        assert {r.sku for r in dry.rows} == {"TSHIRT-0001-BLA-S", "HOODIE-0001-WHI-M"}
        assert all(r.shown == 99 and r.store == "shop2" for r in dry.rows)
        assert seen[-1] == (32, 32)
        assert len(seen) == 5
        applied = await sweep(engine.rt, mode="apply")
        assert applied.writes_applied == 2
        after = await sweep(engine.rt, mode="dry_run")
        assert after.mismatches == 0
