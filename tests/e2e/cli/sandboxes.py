"""Both sandboxes on loopback in a background thread, and a configuration file for them.

The commands under test run ``asyncio.run`` themselves (as in a terminal), so the sandboxes
cannot share their event loop: they get a thread with a loop of their own.  Changes to the
Shopify world are made on that loop (``on_loop``); Odoo changes go through its control API.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from typer.testing import CliRunner, Result

from shopify_odoo.cli.app import app
from shopify_odoo.sandbox.connector_config import odoo_settings, store_settings
from shopify_odoo.sandbox.demo_config import to_toml
from shopify_odoo.sandbox.launcher import Sandboxes, run_sandboxes
from shopify_odoo.sandbox.odoo import OdooSandboxDriver

T = TypeVar("T")


@dataclass
class Running:
    sandboxes: Sandboxes
    loop: asyncio.AbstractEventLoop
    config: Path

    def on_loop(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the sandboxes' loop (between two requests) and return its result."""
        done: Future[T] = Future()

        def call() -> None:
            try:
                done.set_result(fn())
            except BaseException as exc:
                done.set_exception(exc)

        self.loop.call_soon_threadsafe(call)
        return done.result(timeout=30)

    def odoo(self, action: Callable[[OdooSandboxDriver], Any]) -> Any:
        """Run ``action(driver)`` (a coroutine) against the Odoo sandbox's control API."""

        async def run() -> Any:
            async with OdooSandboxDriver(self.sandboxes.odoo.url) as driver:
                return await action(driver)

        return asyncio.run(run())

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(
            app, ["--config", str(self.config), *args], catch_exceptions=False
        )

    def store(self, handle: str) -> Any:
        return self.sandboxes.shopify.world.stores[handle]

    def set_sku(self, handle: str, old: str, new: str) -> None:
        store = self.store(handle)

        def change() -> None:
            v = store.variants_by_sku(old)[0]
            store.unindex_variant(v)
            v.sku = new
            store.index_variant(v)

        self.on_loop(change)


def config_data(info: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Two stores sharing Main Warehouse, a 60/40 split 3PL pool, shop1's Retail Store
    two-way and shop2's excluded (the layout of the demo)."""
    odoo = info["odoo"]
    stores = info["shopify"]["stores"]
    first, second = (s["handle"] for s in stores)
    rows: list[dict[str, Any]] = []
    for handle in (first, second):
        rows.append(
            {
                "store": handle,
                "shopify_location": "Main Warehouse",
                "odoo_locations": ["WH/Stock"],
                "pool": "main",
            }
        )
        rows.append(
            {
                "store": handle,
                "shopify_location": "3PL Fulfilment",
                "odoo_locations": ["3PL/Stock"],
                "pool": "3pl",
            }
        )
    rows.append(
        {
            "store": first,
            "shopify_location": "Retail Store",
            "odoo_locations": ["SHOP/Stock"],
            "pool": "retail",
            "direction": "two_way",
        }
    )
    rows.append(
        {
            "store": second,
            "shopify_location": "Retail Store",
            "odoo_locations": ["SHOP/Stock"],
            "pool": "retail",
            "excluded": True,
        }
    )
    return {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'state.db'}",
        "odoo": odoo_settings(odoo),
        "stores": [store_settings(s) for s in stores],
        "location_map": rows,
        "pools": [{"name": "3pl", "allocation": "split", "split": {first: 60, second: 40}}],
    }


@contextmanager
def sandboxes_with_config(tmp_path: Path, *, stores: int = 2) -> Iterator[Running]:
    ready: Future[tuple[Sandboxes, asyncio.AbstractEventLoop]] = Future()
    stop: list[asyncio.Event] = []

    async def serve() -> None:
        try:
            async with run_sandboxes(stores=stores, scenario="small", odoo_version="17") as sb:
                event = asyncio.Event()
                stop.append(event)
                ready.set_result((sb, asyncio.get_running_loop()))
                await event.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    sandboxes, loop = ready.result(timeout=120)
    try:
        config = tmp_path / "shopify-odoo.toml"
        config.write_text(to_toml(config_data(sandboxes.info(), tmp_path)), encoding="utf-8")
        running = Running(sandboxes, loop, config)
        upgraded = running.cli("db", "upgrade")
        assert upgraded.exit_code == 0, upgraded.output
        yield running
    finally:
        loop.call_soon_threadsafe(stop[0].set)
        thread.join(timeout=30)


def totals(output: str, names: Sequence[str]) -> dict[str, int]:
    """``name=value`` figures of a summary line."""
    found: dict[str, int] = {}
    for word in output.replace("(", " ").split():
        key, sep, value = word.partition("=")
        if sep and key in names and value.lstrip("-").isdigit():
            found[key] = int(value)
    return found


def table_rows(output: str) -> list[list[str]]:
    """The body rows of a Rich table in ``output``, wrapped cells joined back together
    (a continuation line has an empty first cell)."""
    rows: list[list[str]] = []
    for line in output.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if cells[0] or not rows:
            rows.append(cells)
        else:
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
    return rows
