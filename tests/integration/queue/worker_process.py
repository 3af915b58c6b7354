"""A queue worker in its own process, for the multi-process and kill -9 tests.

``python -m tests.integration.queue.worker_process URL LOG [--ttl S] [--hang KEY]``: runs a
Worker; the handler appends ``start|end <key> <time>`` lines to LOG; the key given by
``--hang`` hangs for ever (so the test can kill the process while it holds the lease).
Stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import time

from shopify_odoo.queue import Lease, Worker
from shopify_odoo.store.database import open_database


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("log")
    parser.add_argument("--ttl", type=float, default=30.0)
    parser.add_argument("--hang", default=None)
    args = parser.parse_args()
    db = await open_database(args.url, pool_size=4)
    log = open(args.log, "a", buffering=1)  # noqa: SIM115 (lives as long as the process)
    pid = os.getpid()

    async def handler(lease: Lease) -> None:
        log.write(f"start {lease.key} {time.time():.6f} {pid}\n")
        if lease.key == args.hang:
            await asyncio.sleep(3600)
        await asyncio.sleep(random.random() * 0.002)
        log.write(f"end {lease.key} {time.time():.6f} {pid}\n")

    worker = Worker(db, handler, concurrency=8, batch_size=8, lease_ttl=args.ttl, poll_interval=1)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, worker.request_stop)
    log.write(f"ready - {time.time():.6f} {pid}\n")
    await worker.run()
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
