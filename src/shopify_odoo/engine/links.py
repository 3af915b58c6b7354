"""The link service: both catalogues → the pure link planner → ``product_links``.

    plan = await plan_links_now(rt)                 # read Odoo + every store, plan
    await apply_links(rt, plan)                     # persist, mark stock keys dirty
    plan = await plan_links_now(rt, overrides=[LinkOverride("X", 42)])   # link --sku/--product

Manual links are stored with ``matched_by = manual`` and fed back to the planner as overrides,
so they survive later runs.  Applying writes each store's final link set in one transaction and
enqueues the stock key of every new or moved product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shopify_odoo.engine.catalog import CatalogVariant, odoo_products, store_variants
from shopify_odoo.engine.dirty import stock_key
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.queue import Handler, Lease, enqueue_many
from shopify_odoo.store.tables import product_links
from shopify_odoo.store.types import utcnow
from shopify_odoo.sync.link_plan import LinkOverride, LinkPlan, LinkPolicy
from shopify_odoo.sync.links import plan_links
from shopify_odoo.sync.model import Link, MatchedBy


@dataclass(frozen=True)
class LinkRun:
    plan: LinkPlan
    #: (store, variant GID) → what Shopify answered (product GID, levels)
    catalog: dict[tuple[str, str], CatalogVariant] = field(repr=False)
    stores: tuple[str, ...] = ()


async def stored_links(conn: AsyncConnection, stores: Sequence[str] | None = None) -> list[Link]:
    t = product_links.c
    query = select(
        t.store, t.variant_gid, t.inventory_item_gid, t.odoo_product_id, t.sku, t.matched_by
    ).where(t.status == "linked")
    if stores is not None:
        query = query.where(t.store.in_(list(stores)))
    return [
        Link(store, variant, item or "", int(pid), sku or "", MatchedBy(by))
        for store, variant, item, pid, sku, by in await conn.execute(query)
    ]


async def plan_links_now(
    rt: Runtime,
    *,
    stores: Sequence[str] | None = None,
    overrides: Sequence[LinkOverride] = (),
) -> LinkRun:
    """Read Odoo's products and every (or the given) store's variants, and plan the links."""
    handles = tuple(stores) if stores is not None else tuple(s.handle for s in rt.settings.stores)
    products = await odoo_products(rt.odoo, company_id=rt.settings.odoo.company_id)
    catalog: dict[tuple[str, str], CatalogVariant] = {}
    for handle in handles:
        async for cv in store_variants(rt.shop(handle)):
            catalog[(handle, cv.variant.variant_gid)] = cv
    async with rt.db.connect() as conn:
        stored = await stored_links(conn, handles)
    # a manual link is an override of the variant's *Shopify* SKU (``Link.sku`` is Odoo's)
    manual = []
    for lk in stored:
        found = catalog.get((lk.store, lk.variant_gid))
        if lk.matched_by is MatchedBy.MANUAL and found is not None and found.variant.norm_sku:
            manual.append(LinkOverride(found.variant.norm_sku, lk.product_id, lk.store))
    policy = LinkPolicy(
        barcode_fallback=rt.settings.sync.barcode_fallback,
        company_id=rt.settings.odoo.company_id,
        overrides=(*manual, *overrides),
    )
    plan = plan_links(products, (cv.variant for cv in catalog.values()), stored, policy)
    return LinkRun(plan, catalog, handles)


async def apply_links(rt: Runtime, run: LinkRun, *, only_sku: str | None = None) -> int:
    """Persist the planned links (of every store planned, or only those of ``only_sku``);
    returns how many products' stock keys were marked dirty."""
    now = utcnow()
    dirty: set[int] = set()
    t = product_links.c
    async with rt.db.begin() as conn:
        for sp in run.plan.stores:
            if sp.store not in run.stores:
                continue
            final = list(sp.links)
            current = {
                (lk.variant_gid, lk.product_id): lk for lk in await stored_links(conn, [sp.store])
            }
            if only_sku is not None:
                final = [
                    lk
                    for lk in final
                    if lk.sku == only_sku or _shopify_sku(run, sp.store, lk.variant_gid) == only_sku
                ]
                touched_pids = {lk.product_id for lk in final}
                touched_variants = {lk.variant_gid for lk in final}
                stale = [k for k in current if k[0] in touched_variants or k[1] in touched_pids]
            else:
                stale = list(current)
            keep = {(lk.variant_gid, lk.product_id) for lk in final}
            for variant, pid in stale:
                if (variant, pid) not in keep:
                    await conn.execute(
                        delete(product_links).where(
                            and_(
                                t.store == sp.store,
                                t.variant_gid == variant,
                                t.odoo_product_id == pid,
                            )
                        )
                    )
            rows = []
            for lk in final:
                old = current.get((lk.variant_gid, lk.product_id))
                if (
                    old is not None
                    and old.sku == lk.sku
                    and old.inventory_item_gid == lk.inventory_item_gid
                ):
                    continue
                if old is not None:
                    await conn.execute(
                        delete(product_links).where(
                            and_(t.store == sp.store, t.variant_gid == lk.variant_gid)
                        )
                    )
                cv = run.catalog.get((sp.store, lk.variant_gid))
                rows.append(
                    {
                        "store": sp.store,
                        "odoo_product_id": lk.product_id,
                        "product_gid": cv.product_gid if cv else None,
                        "variant_gid": lk.variant_gid,
                        "inventory_item_gid": lk.inventory_item_gid,
                        "sku": lk.sku,
                        "barcode": cv.variant.barcode if cv else None,
                        "matched_by": lk.matched_by.value,
                        "status": "linked",
                        "linked_at": now,
                        "updated_at": now,
                    }
                )
                dirty.add(lk.product_id)
            if rows:
                await conn.execute(product_links.insert(), rows)
        if dirty:
            await enqueue_many(conn, [stock_key(p) for p in sorted(dirty)])
    return len(dirty)


def _shopify_sku(run: LinkRun, store: str, variant_gid: str) -> str | None:
    cv = run.catalog.get((store, variant_gid))
    return cv.variant.norm_sku if cv is not None else None


def links_handler(rt: Runtime) -> Handler:
    """Queue handler of ``links`` keys (a store handle): re-plan and apply that store's links."""

    async def handle(lease: Lease) -> None:
        run = await plan_links_now(rt, stores=[lease.key])
        await apply_links(rt, run)

    return handle
