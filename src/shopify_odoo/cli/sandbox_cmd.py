"""``shopify-odoo sandbox``: run the local Shopify and Odoo sandboxes in the foreground."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Annotated

import typer

from shopify_odoo.cli.app import app
from shopify_odoo.sandbox.catalog import SCENARIOS, Scenario
from shopify_odoo.sandbox.launcher import ODOO_VERSIONS, run_sandboxes, write_info


async def _serve(
    stores: int, scenario: Scenario, odoo_version: str, host: str, info_file: Path | None
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with run_sandboxes(
        stores=stores, scenario=scenario, odoo_version=odoo_version, host=host
    ) as sandboxes:
        typer.echo(write_info(sandboxes.info(), info_file), nl=True)
        typer.echo("sandboxes running; press Ctrl+C to stop", err=True)
        await stop.wait()


@app.command()
def sandbox(
    stores: Annotated[int, typer.Option(min=1, max=50, help="Number of Shopify stores.")] = 2,
    scenario: Annotated[
        str, typer.Option(help=f"Seed data: {', '.join(SCENARIOS)} (large: 100,000 variants).")
    ] = "demo",
    odoo_version: Annotated[
        str, typer.Option(help="Odoo profile: 16, 17, 18, 19 or a saas~x.y string.")
    ] = "17",
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    info_file: Annotated[
        Path | None,
        typer.Option(
            help="Also write the JSON description to this file (removed when the sandboxes stop)."
        ),
    ] = None,
) -> None:
    """Run the Shopify and Odoo sandboxes until interrupted; print their URLs and credentials.

    The JSON printed (and written to --info-file) is what a configuration or a test needs to
    reach them.  The sandboxes hold everything in memory: stopping them forgets it all.
    """
    if scenario not in SCENARIOS:
        raise typer.BadParameter(
            f"unknown scenario {scenario!r}: choose one of {', '.join(SCENARIOS)}",
            param_hint="--scenario",
        )
    if odoo_version not in ODOO_VERSIONS and not odoo_version.startswith("saas~"):
        raise typer.BadParameter(
            f"unknown Odoo version {odoo_version!r}: choose 16, 17, 18, 19 or saas~x.y",
            param_hint="--odoo-version",
        )
    try:
        asyncio.run(_serve(stores, scenario, odoo_version, host, info_file))
    finally:
        if info_file is not None:
            info_file.unlink(missing_ok=True)
