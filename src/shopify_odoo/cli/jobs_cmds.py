"""``shopify-odoo jobs`` (list, retry, purge the work queue) and ``shopify-odoo status``."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

import shopify_odoo.queue.status  # noqa: F401  (registers the queue's status section)
from shopify_odoo.errors import ShopifyOdooError
from shopify_odoo.queue import JobState, get_job, list_jobs, purge_dead, retry_dead
from shopify_odoo.queue.model import Job
from shopify_odoo.store.status import StatusSection, collect_status
from shopify_odoo.store.types import utcnow

from .app import app, stdout
from .db_cmds import DatabaseUrlOption, opened

jobs_app = typer.Typer(help="The work queue: list, retry and purge jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


class StateChoice(StrEnum):
    pending = "pending"
    running = "running"
    dead = "dead"


@jobs_app.command("list")
def list_command(
    state: Annotated[StateChoice | None, typer.Option(help="Only jobs in this state.")] = None,
    lane: Annotated[str | None, typer.Option(help="Only this lane (store).")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind (stock, order, …).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many rows.")] = 50,
    url: DatabaseUrlOption = None,
) -> None:
    """List jobs (dead letters with their last error)."""

    async def run() -> list[Job]:
        async with opened(url) as db, db.connect() as conn:
            return await list_jobs(
                conn,
                state=None if state is None else JobState(state.value),
                lane=lane,
                kind=kind,
                limit=limit,
            )

    jobs = asyncio.run(run())
    console = stdout()
    if not jobs:
        console.print("No jobs.")
        return
    table = Table("id", "kind", "key", "lane", "state", "attempts", "due", "last error")
    for job in jobs:
        table.add_row(
            str(job.id),
            job.kind,
            job.key,
            job.lane,
            job.state.value,
            f"{job.attempts}/{job.max_attempts}",
            job.not_before.strftime("%Y-%m-%d %H:%M:%S"),
            (job.last_error or "")[:160],
        )
    console.print(table)


@jobs_app.command("retry")
def retry_command(
    job_ids: Annotated[list[int] | None, typer.Argument(help="Dead jobs to run again.")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Every dead letter.")] = False,
    url: DatabaseUrlOption = None,
) -> None:
    """Run dead letters again (after fixing what made them fail)."""
    if not job_ids and not all_dead:
        raise ShopifyOdooError(
            'Name the jobs to retry ("shopify-odoo jobs retry 12 13") or pass --all-dead; '
            'see them with "shopify-odoo jobs list --state dead"'
        )

    async def run() -> int:
        async with opened(url) as db, db.begin() as conn:
            if all_dead:
                return await retry_dead(conn, None)
            assert job_ids is not None
            for job_id in job_ids:
                job = await get_job(conn, job_id)
                if job is None:
                    raise ShopifyOdooError(
                        f'There is no job {job_id}: see "shopify-odoo jobs list --state dead"'
                    )
                if job.state != JobState.DEAD:
                    raise ShopifyOdooError(
                        f"Job {job_id} ({job.kind} {job.key}) is {job.state.value}, not a dead "
                        "letter: only dead letters can be retried"
                    )
            return await retry_dead(conn, job_ids)

    count = asyncio.run(run())
    stdout().print(f"{count} dead job(s) queued again.")


@jobs_app.command("purge")
def purge_command(
    older_than_days: Annotated[
        float | None,
        typer.Option("--older-than-days", min=0, help="Only dead letters older than this."),
    ] = None,
    url: DatabaseUrlOption = None,
) -> None:
    """Delete dead letters (the attempt ledger keeps their history)."""
    cutoff = None if older_than_days is None else utcnow() - timedelta(days=older_than_days)

    async def run() -> int:
        async with opened(url) as db, db.begin() as conn:
            return await purge_dead(conn, older_than=cutoff)

    count = asyncio.run(run())
    stdout().print(f"{count} dead job(s) purged.")


@app.command("status")
def status_command(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object instead.")] = False,
    url: DatabaseUrlOption = None,
) -> None:
    """Queue depth per lane and state, dead letters, and the other parts' figures."""

    async def run() -> list[StatusSection]:
        async with opened(url) as db:
            return await collect_status(db)

    sections = asyncio.run(run())
    console = stdout()
    if as_json:
        payload = {
            s.title: {"figures": s.figures, "attention": list(s.attention)} for s in sections
        }
        console.print_json(json.dumps(payload, default=str))
        return
    for section in sections:
        table = Table(title=section.title, show_header=False, title_justify="left")
        for label, value in section.rows:
            table.add_row(label, value)
        console.print(table)
        for line in section.attention:
            console.print(f"! {line}", style="yellow", markup=False)
