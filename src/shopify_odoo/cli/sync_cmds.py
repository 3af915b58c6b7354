"""``shopify-odoo sync``: the reconcile sweep on demand.

shopify-odoo sync --dry-run     # per-row diff and totals, with a progress bar
shopify-odoo sync --apply       # write the corrections (batched, compare-and-set)
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from shopify_odoo.engine.reconcile import SweepReport, sweep
from shopify_odoo.engine.runtime import command_runtime
from shopify_odoo.errors import ConfigError, ShopifyOdooError

from .app import app, current_settings, stderr, stdout
from .db_cmds import opened


async def _run(
    apply: bool, stores: list[str] | None, batch: int, start_after: int | None, progress: Progress
) -> SweepReport:
    settings = current_settings()
    known = [s.handle for s in settings.stores]
    for handle in stores or ():
        if handle not in known:
            raise ConfigError(
                f'Store "{handle}" is not configured (configured stores: '
                f"{', '.join(known) or 'none'}): use one of those handles with --store"
            )
    task = progress.add_task("reading every store (bulk operation)", total=None)

    def step(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total, description="products")

    async with opened(None) as db, command_runtime(settings, db) as rt:
        return await sweep(
            rt,
            mode="apply" if apply else "dry_run",
            batch_size=batch,
            progress=step,
            stores=stores,
            start_after=start_after,
        )


@app.command("sync")
def sync(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the diff; write nothing.")
    ] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Write the corrections.")] = False,
    store: Annotated[
        list[str] | None, typer.Option("--store", help="Only this store (repeatable).")
    ] = None,
    batch: Annotated[int, typer.Option(min=1, help="Products per batch.")] = 5000,
    start_after: Annotated[
        int | None, typer.Option(help="Resume after this Odoo product id (printed by a run).")
    ] = None,
    rows: Annotated[int, typer.Option(min=0, help="Print at most this many rows.")] = 200,
) -> None:
    """Compare every linked product's stock in Odoo and in each store; show or fix the drift."""
    if dry_run == apply:
        raise ConfigError("choose --dry-run (show the diff) or --apply (write the corrections)")
    with Progress(
        TextColumn("[bold]sync[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr(),
        transient=True,
    ) as progress:
        report = asyncio.run(_run(apply, store, batch, start_after, progress))
    console = stdout()
    if rows and report.rows:
        table = Table("store", "SKU", "Odoo product", "location", "Shopify", "target", "diff")
        for r in report.rows[:rows]:
            table.add_row(
                escape(r.store),
                escape(r.sku),
                str(r.product_id),
                escape(r.location),
                str(r.shown),
                str(r.target),
                f"{r.target - r.shown:+d}",
            )
        console.print(table)
        more = len(report.rows) - rows + report.rows_dropped
        if more > 0:
            console.print(f"… and {more} more rows")
    per_store = ", ".join(f"{s}: {n}" for s, n in sorted(report.by_store.items())) or "none"
    console.print(
        f"products={report.products} levels={report.levels} mismatches={report.mismatches} "
        f"({per_store}) oversold_units={report.oversold} skipped={report.skipped}"
    )
    for reason, count in sorted(report.skipped_by_reason.items()):
        example = report.skip_examples.get(reason, "")
        console.print(f"skipped {reason}: {count} (e.g. {example})", style="dim", markup=False)
    if apply:
        console.print(
            f"applied={report.writes_applied} stale_requeued={report.writes_stale} "
            f"failed={report.writes_failed} odoo_adjustments={report.adjustments}",
            markup=False,
        )
        if report.writes_stale:
            console.print(
                f"{report.writes_stale} level(s) changed in Shopify while we wrote: their products "
                'are queued to be planned again on fresh figures (a running "shopify-odoo run" '
                "does it; or run this command again).",
                markup=False,
            )
    else:
        console.print("Dry run: nothing written. Run with --apply to write these corrections.")
    if report.last_product_id is not None:
        console.print(
            f"last product id: {report.last_product_id} (resume with --start-after)", style="dim"
        )
    if apply and report.writes_failed:
        raise ShopifyOdooError(
            f"Shopify refused {report.writes_failed} stock write(s); each is listed with its "
            'store, SKU, location and cause by "shopify-odoo errors": fix them there, then run '
            '"shopify-odoo sync --apply" again'
        )
