"""``shopify-odoo link``: match Odoo products to the variants of every store.

shopify-odoo link --dry-run                 # the table of what would be linked / blocks
shopify-odoo link --apply                   # store the links
shopify-odoo link --sku X --product 42      # manual link (kept by later runs)
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shopify_odoo.engine.links import LinkRun, apply_links, plan_links_now
from shopify_odoo.engine.runtime import command_runtime
from shopify_odoo.errors import ConfigError, ShopifyOdooError
from shopify_odoo.sync.link_plan import LinkOverride
from shopify_odoo.sync.model import MatchedBy

from .app import app, current_settings, stdout
from .db_cmds import opened

_STYLE = {"blocked": "red", "warning": "yellow", "relink": "yellow", "remove": "magenta"}


class Show(StrEnum):
    all = "all"
    problems = "problems"
    none = "none"


async def _run(
    stores: list[str] | None, apply: bool, sku: str | None, product: int | None
) -> tuple[LinkRun, int]:
    settings = current_settings()
    for handle in stores or ():
        if handle not in {s.handle for s in settings.stores}:
            known = ", ".join(s.handle for s in settings.stores) or "none"
            raise ConfigError(
                f'Store "{handle}" is not configured (configured stores: {known}): use one of '
                "those handles with --store"
            )
    async with opened(None) as db, command_runtime(settings, db) as rt:
        overrides = []
        if sku is not None and product is not None:
            only = stores[0] if stores and len(stores) == 1 else None
            overrides.append(LinkOverride(sku, product, only))
        run = await plan_links_now(rt, stores=stores, overrides=overrides)
        if sku is not None and product is not None:
            _check_manual(run, sku, product)
        dirty = await apply_links(rt, run, only_sku=sku) if apply else 0
        return run, dirty


def _check_manual(run: LinkRun, sku: str, product: int) -> None:
    """Refuse a manual link the planner could not make, with the planner's reason."""
    linked = [
        lk
        for sp in run.plan.stores
        for lk in sp.links
        if lk.product_id == product
        and lk.matched_by is MatchedBy.MANUAL
        and _shopify_sku(run, sp.store, lk.variant_gid) == sku
    ]
    if linked:
        return
    problems = [r for r in run.plan.rows() if r.action in ("blocked", "warning")]
    exists = any(cv.variant.norm_sku == sku for cv in run.catalog.values())
    reasons = [r.note for r in problems if r.sku == sku]
    if exists and not reasons:
        reasons = [r.note for r in problems if product in r.product_ids]
    if reasons:
        raise ShopifyOdooError(
            f"Manual link of SKU {sku!r} to Odoo product {product} refused: "
            + "; ".join(dict.fromkeys(reasons))
        )
    stores = ", ".join(run.stores) or "none"
    raise ShopifyOdooError(
        f"No variant has the SKU {sku!r} in store(s) {stores}, so nothing can be linked to Odoo "
        f"product {product}: check the SKU in Shopify (it is case-sensitive) and run the "
        "command again"
    )


def _shopify_sku(run: LinkRun, store: str, variant_gid: str) -> str | None:
    found = run.catalog.get((store, variant_gid))
    return found.variant.norm_sku if found is not None else None


@app.command("link")
def link(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan; change nothing.")
    ] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Store the planned links.")] = False,
    store: Annotated[
        list[str] | None, typer.Option("--store", help="Only this store (repeatable).")
    ] = None,
    sku: Annotated[str | None, typer.Option("--sku", help="Manual link: this Shopify SKU…")] = None,
    product: Annotated[
        int | None, typer.Option("--product", help="…to this Odoo product id (product.product).")
    ] = None,
    show: Annotated[
        Show, typer.Option(help="Rows to print: all, problems (blocked and warnings) or none.")
    ] = Show.all,
) -> None:
    """Link each Odoo product to one variant per store, by SKU (barcode as a fallback).

    Blank SKUs, SKUs used twice on either side and products several variants would claim are
    reported as "blocked" with the fix; nothing is guessed.  A manual link (--sku with
    --product) is stored at once (unless --dry-run) and kept by later runs.
    """
    if (sku is None) != (product is None):
        raise ConfigError("give --sku and --product together (a manual link needs both)")
    if dry_run and apply:
        raise ConfigError("choose one of --dry-run (show the plan) and --apply (store it)")
    if not dry_run and not apply and sku is None:
        raise ConfigError("choose --dry-run (show the plan) or --apply (store it)")
    if sku is not None:
        sku = sku.strip()
        if not sku:
            raise ConfigError("--sku is blank: give the variant's SKU as shown in Shopify")
    do_apply = apply or (sku is not None and not dry_run)
    run, dirty = asyncio.run(_run(store, do_apply, sku, product))
    console = stdout()
    rows = run.plan.rows()
    if sku is not None:
        rows = tuple(r for r in rows if r.sku == sku or (product in r.product_ids))
    if show is not Show.none:
        table = Table("store", "action", "SKU", "variant", "Odoo product", "note / fix")
        for r in rows:
            if show is Show.problems and r.action not in ("blocked", "warning"):
                continue
            table.add_row(
                escape(r.store or "(Odoo)"),
                r.action,
                escape(r.sku or "(blank)"),
                r.variant,
                ", ".join(str(p) for p in r.product_ids),
                escape(r.note),
                style=_STYLE.get(r.action),
            )
        if table.row_count:
            console.print(table)
    totals = run.plan.totals()
    console.print(" ".join(f"{k}={v}" for k, v in totals.items()), markup=False)
    if totals["blocked"]:
        console.print(
            f"{totals['blocked']} row(s) blocked: nothing is linked for them until the fix in "
            'their note is made (see them with "shopify-odoo link --dry-run --show problems").',
            style="yellow",
            markup=False,
        )
    if do_apply:
        console.print(f"Links stored; stock of {dirty} product(s) queued for sync.", markup=False)
    else:
        console.print(
            "Dry run: nothing stored. Run with --apply to store these links.", markup=False
        )
