"""``reprocess``: run parked work again after a person fixed its cause; ``orders import``:
the backfill of past orders through the same exactly-once path.

``shopify-odoo reprocess`` re-queues every open problem (or those selected by id, ``--store``,
``--cause``); ``--store eu --order 1001`` re-queues named orders, the command the order
messages print (for example after linking the product of an unknown SKU).  The work is queued;
a running ``shopify-odoo run`` picks it up within seconds.  Thin: the services live in
:mod:`shopify_odoo.engine.problems` and :mod:`shopify_odoo.engine.orders`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from shopify_odoo.engine.orders import (
    BackfillRow,
    OrdersReprocessed,
    backfill_orders,
    reprocess_orders,
)
from shopify_odoo.engine.problems import ReprocessResult, reprocess
from shopify_odoo.engine.runtime import command_runtime
from shopify_odoo.errors import ConfigError, ShopifyOdooError

from .app import app, current_settings, stdout
from .db_cmds import DatabaseUrlOption, opened

orders_app = typer.Typer(help="Orders: backfill past orders into Odoo.", no_args_is_help=True)
app.add_typer(orders_app, name="orders")


@app.command("reprocess")
def reprocess_command(
    ids: Annotated[list[int] | None, typer.Argument(help="Problem ids (see errors).")] = None,
    store: Annotated[str | None, typer.Option(help="Only this store's problems.")] = None,
    cause: Annotated[str | None, typer.Option(help="Only this cause.")] = None,
    order: Annotated[
        list[str] | None,
        typer.Option("--order", help="Order number of --store (1001 or #1001); repeatable."),
    ] = None,
    url: DatabaseUrlOption = None,
) -> None:
    """Run parked work again (all open problems, or those selected), after fixing the cause.

    The work is queued; a running "shopify-odoo run" picks it up within seconds.
    """
    if order:
        if store is None:
            raise ShopifyOdooError(
                "reprocess --order needs the store the order belongs to: add --store <handle>"
            )
        if ids or cause:
            raise ShopifyOdooError(
                "reprocess --order selects orders by name: leave out problem ids and --cause"
            )
        _reprocess_orders(store, order, url)
        return

    async def run() -> ReprocessResult:
        async with opened(url) as db, db.begin() as conn:
            return await reprocess(conn, ids=ids, store=store, cause=cause)

    result = asyncio.run(run())
    if not (result.enqueued or result.webhooks_parsed or result.webhooks_still_unparseable):
        raise ShopifyOdooError(
            'Nothing to reprocess: no open problem matches; see "shopify-odoo errors"'
        )
    parts = [f"{result.enqueued} parked job(s) queued again"]
    if result.webhooks_parsed or result.webhooks_still_unparseable:
        parts.append(
            f"{result.webhooks_parsed} kept webhook(s) now read, "
            f"{result.webhooks_still_unparseable} still unreadable"
        )
    stdout().print("; ".join(parts) + ".", markup=False)


def _reprocess_orders(store: str, names: list[str], url: str | None) -> None:
    async def run() -> OrdersReprocessed:
        async with opened(url) as db, db.begin() as conn:
            return await reprocess_orders(conn, store, names)

    result = asyncio.run(run())
    console = stdout()
    if result.keys:
        console.print(
            f"{len(result.keys)} order(s) of store {store} queued again; a running "
            '"shopify-odoo run" imports them within seconds.',
            markup=False,
        )
    if result.unknown:
        listed = ", ".join(result.unknown)
        message = (
            f"Order(s) {listed} of store {store} are not known to the connector yet (never "
            "received): check the store handle and the order number, or let the order poll "
            "find them"
        )
        if not result.keys:
            raise ShopifyOdooError(message)
        console.print(message, markup=False)


@orders_app.command("import")
def orders_import_command(
    since: Annotated[
        datetime, typer.Option(help="Orders updated on or after this date (UTC), e.g. 2026-01-31")
    ],
    store: Annotated[list[str] | None, typer.Option(help="Only this store; repeatable.")] = None,
    apply: Annotated[
        bool, typer.Option("--apply/--dry-run", help="Write to Odoo, or only show the plan.")
    ] = False,
) -> None:
    """Import the orders updated since a date, exactly once (a second run changes nothing).

    --dry-run (the default) reads both sides and lists what each order would get; --apply
    creates, updates or cancels the sale orders like the worker does.
    """
    settings = current_settings()
    known = [s.handle for s in settings.stores]
    for handle in store or ():
        if handle not in known:
            raise ConfigError(
                f'Store "{handle}" is not configured (configured stores: '
                f"{', '.join(known) or 'none'}): use one of those handles with --store"
            )
    moment = since if since.tzinfo else since.replace(tzinfo=UTC)

    async def run() -> list[BackfillRow]:
        with Progress(
            TextColumn("orders"), BarColumn(), MofNCompleteColumn(), console=stdout()
        ) as bar:
            task = bar.add_task("orders", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            async with opened(None) as db, command_runtime(settings, db) as rt:
                return await backfill_orders(
                    rt, moment, store or known, apply=apply, progress=advance
                )

    rows = asyncio.run(run())
    console = stdout()
    table = Table("store", "order", "action", "sale order", "message")
    for row in rows:
        table.add_row(
            row.store, row.order_name, row.action,
            str(row.sale_order_id or "-"), row.message,
        )  # fmt: skip
    console.print(table)
    counts = Counter(row.action for row in rows)
    summary = ", ".join(f"{n} {action}" for action, n in sorted(counts.items())) or "no orders"
    verb = "applied" if apply else "would apply (dry run: run again with --apply)"
    console.print(f"{len(rows)} order(s) since {moment:%Y-%m-%d %H:%M}: {summary}; {verb}.",
                  markup=False)  # fmt: skip
    if counts.get("parked") or counts.get("failed"):
        console.print(
            "Parked or failed orders are listed above with their fix; after fixing, run "
            '"shopify-odoo orders import" again (it is safe to repeat).',
            markup=False,
        )
