"""A process running ``engine.runner.run_process`` with a slow handler (for the SIGTERM test).

Usage: python run_process_main.py <database url> <config json>
Prints ``ready <port>`` when the receiver listens, ``stopped <json report>`` at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys

from shopify_odoo.config import settings_from_mapping
from shopify_odoo.engine.runner import EngineParts, RunOptions, install_stop_signals, run_process
from shopify_odoo.queue import Lease
from shopify_odoo.store.database import open_database
from shopify_odoo.web.app import create_app


async def slow(_lease: Lease) -> None:
    await asyncio.sleep(60)  # far longer than the grace period: must be released


async def ticking(stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)


async def main(url: str, config: str) -> None:
    settings = settings_from_mapping(json.loads(config))
    db = await open_database(url)
    stop = asyncio.Event()
    restore = install_stop_signals(stop)
    options = RunOptions(host="127.0.0.1", port=0, concurrency=4, grace=0.5, poll_interval=0.2)
    parts = EngineParts(handler=slow, loops=[("ticker", ticking)])
    report = await run_process(
        db,
        parts,
        options,
        stop,
        app=create_app(settings, db),
        on_ready=lambda r: print(f"ready {r.port}", flush=True),
    )
    restore()
    await db.dispose()
    stats = report.worker
    print("stopped " + json.dumps({"released": stats.released, "done": stats.done}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
