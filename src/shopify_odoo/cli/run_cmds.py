"""``run``, ``worker`` and ``errors`` (``reprocess``: cli/reprocess_cmds.py).

``run`` starts the webhook receiver, the queue worker, the pollers and the reconcile sweeps in
one process (``--workers N`` on PostgreSQL adds N ``worker`` processes).  ``worker`` only works
the queue.  Both stop gracefully on SIGTERM / Ctrl+C: running jobs finish within the grace
period, the rest are released for the next process, nothing stays leased.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Annotated

import typer
from rich.table import Table

import shopify_odoo.engine.metrics  # noqa: F401  (registers the figures' status section)
from shopify_odoo.config import Settings
from shopify_odoo.engine.assembly import engine_parts
from shopify_odoo.engine.inbox import register_stores
from shopify_odoo.engine.problems import Problem, list_problems
from shopify_odoo.engine.runner import (
    RunOptions,
    RunReport,
    check_worker_processes,
    install_stop_signals,
    run_process,
)
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.store import migrate
from shopify_odoo.store.database import open_database
from shopify_odoo.web.dashboard import create_site

from .app import app, current_settings, stdout
from .db_cmds import DatabaseUrlOption, opened


async def serve_configured(
    settings: Settings,
    *,
    workers: int,
    concurrency: int,
    grace: float,
    http: bool,
    loops: bool,
    announce: Callable[[str], None],
) -> RunReport:
    """Open everything the settings describe and run until SIGTERM / Ctrl+C."""
    db = await open_database(settings.database_url)
    try:
        await migrate.require_current(db)
        check_worker_processes(db, workers)
        await register_stores(db, settings)
        rt = await Runtime.open(settings, db=db)
        parts = engine_parts(rt, loops=loops)
        sync = settings.sync
        options = RunOptions(
            serve_http=http,
            host=sync.receiver_host,
            port=sync.receiver_port,
            concurrency=concurrency,
            grace=grace,
            worker_processes=workers,
            worker_command=_worker_command(settings, concurrency, grace),
            loops=loops,
        )
        stop = asyncio.Event()
        restore = install_stop_signals(stop)

        def ready(report: RunReport) -> None:
            what = "Worker" if not http else "Connector"
            where = f" receiver on http://{sync.receiver_host}:{report.port}" if report.port else ""
            announce(
                f"{what} running ({db.redacted_url},{where} {concurrency} job(s) at a time"
                f"{f', {workers} worker process(es)' if workers else ''}); "
                "stop with Ctrl+C or SIGTERM"
            )

        try:
            return await run_process(
                db,
                parts,
                options,
                stop,
                app=create_site(rt) if http else None,
                on_ready=ready,
            )
        finally:
            restore()
    finally:
        await db.dispose()


def _worker_command(settings: Settings, concurrency: int, grace: float) -> list[str]:
    """The command line of one extra ``worker`` process (same configuration file)."""
    command = [sys.executable, "-c", "from shopify_odoo.cli.app import main; main()"]
    if settings.source is not None:
        command += ["--config", str(settings.source)]
    return [*command, "worker", "--concurrency", str(concurrency), "--grace", str(grace)]


def _serve(*, workers: int, concurrency: int, grace: float, http: bool, loops: bool) -> None:
    settings = current_settings()
    report = asyncio.run(
        serve_configured(
            settings,
            workers=workers,
            concurrency=concurrency,
            grace=grace,
            http=http,
            loops=loops,
            announce=lambda text: stdout().print(text, markup=False),
        )
    )
    stats = report.worker
    stdout().print(
        f"Stopped: {stats.done} job(s) done, {stats.retried} to retry, {stats.dead} parked, "
        f"{stats.released} released for the next run.",
        markup=False,
    )


Concurrency = Annotated[
    int, typer.Option(min=1, max=256, help="Jobs run at the same time in this process.")
]
#: stock jobs wait in one micro-batched pass at a time, so the slots bound how many products a
#: pass covers: with 8, a backlog at 20 events/s was drained 5 products per pass and queued for
#: seconds (benchmarks/time_to_correction.py, webhook run, same machine alternating 8/32:
#: p50 14 s -> 2-8 s); Odoo stock writes stay serialised by the batchers, not by this
DEFAULT_CONCURRENCY = 32
Grace = Annotated[
    float,
    typer.Option(min=0, help="Seconds running jobs get to finish when stopping."),
]


@app.command("run")
def run_command(
    workers: Annotated[
        int,
        typer.Option(min=0, max=64, help="Extra worker processes (PostgreSQL only; SQLite: 0)."),
    ] = 0,
    concurrency: Concurrency = DEFAULT_CONCURRENCY,
    grace: Grace = 30.0,
) -> None:
    """Run everything: webhook receiver, workers, pollers and reconcile sweeps, until stopped.

    The receiver listens on sync.receiver_host:sync.receiver_port (POST /webhooks/shopify/
    <store>, /webhooks/odoo, GET /healthz, /metrics).  Stop with Ctrl+C or SIGTERM.
    """
    _serve(workers=workers, concurrency=concurrency, grace=grace, http=True, loops=True)


@app.command("worker")
def worker_command(concurrency: Concurrency = DEFAULT_CONCURRENCY, grace: Grace = 30.0) -> None:
    """Only work the queue (scale-out on PostgreSQL: start as many as you need)."""
    _serve(workers=0, concurrency=concurrency, grace=grace, http=False, loops=False)


@app.command("errors")
def errors_command(
    store: Annotated[str | None, typer.Option(help="Only this store's problems.")] = None,
    cause: Annotated[str | None, typer.Option(help="Only this cause.")] = None,
    resolved: Annotated[bool, typer.Option("--all", help="Include resolved problems.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 100,
    url: DatabaseUrlOption = None,
) -> None:
    """What needs a person: each problem with its cause, message and next step."""

    async def run() -> list[Problem]:
        async with opened(url) as db, db.connect() as conn:
            return await list_problems(
                conn, store=store, cause=cause, include_resolved=resolved, limit=limit
            )

    problems = asyncio.run(run())
    console = stdout()
    if not problems:
        console.print("No problems need a person.", markup=False)
        return
    table = Table("id", "store", "cause", "what", "message", "next step", "seen")
    for p in problems:
        table.add_row(
            str(p.id),
            p.store or "-",
            p.cause + (" (resolved)" if p.resolved else ""),
            f"{p.kind} {p.key}",
            p.message,
            p.next_step or "",
            f"{p.count}x, last {p.last_seen:%Y-%m-%d %H:%M:%S}",
        )
    console.print(table)
    console.print(
        'Fix the cause, then run "shopify-odoo reprocess" (or "reprocess <id>") to run the '
        "parked work again.",
        markup=False,
    )


# ``reprocess`` lives in cli/reprocess_cmds.py (it also re-queues orders by name).
