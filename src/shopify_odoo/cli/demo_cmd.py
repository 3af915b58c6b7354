"""``shopify-odoo demo``: the product end to end on local sandboxes (the README's first command)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from shopify_odoo.cli.app import STATE, app, stdout
from shopify_odoo.cli.logsetup import configure_logging


@app.command()
def demo(
    duration: Annotated[
        float, typer.Option(min=1, max=3600, help="Seconds of simulated activity.")
    ] = 60.0,
    rate: Annotated[
        float, typer.Option(min=0.5, max=100, help="Events per second (orders, receipts, edits).")
    ] = 4.0,
    seed: Annotated[int, typer.Option(help="Seed of the simulated activity.")] = 1,
    serve: Annotated[
        bool,
        typer.Option("--serve", help="Keep the dashboard and connector up afterwards (Ctrl+C)."),
    ] = False,
    workdir: Annotated[
        Path,
        typer.Option(help="Folder for the demo's configuration and state database (reset)."),
    ] = Path(".demo"),
) -> None:
    """Run the connector against local Shopify and Odoo sandboxes and show that it works.

    Starts two sandbox stores and an Odoo, serves the dashboard (its URL and login are printed
    first), links and reconciles, drives orders, receipts, deliveries and merchant edits while
    you watch, then checks every stock level and every order and prints the figures and a
    verdict.  Exit status 1 when a mismatch remains after the connector settled.
    """
    # imported here: the sandboxes weigh about a second of start-up every other command skips
    from shopify_odoo.sandbox.demo import DemoOptions, run_demo

    options = DemoOptions(duration=duration, rate=rate, workdir=workdir, serve=serve, seed=seed)
    if not STATE.debug:  # the demo's own lines tell the story; warnings still show
        configure_logging(STATE.log_format or "console", "warning")
    status = asyncio.run(run_demo(options, stdout()))
    raise typer.Exit(status)
