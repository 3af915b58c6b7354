"""One worker process for the cross-process token test: several tasks call the Admin API of
every store until the deadline, sharing the token kept in the state database.

Usage: python token_worker.py <config json> <seconds> <tasks>
Prints one JSON line: {"calls": n, "errors": [messages], "start": t0, "end": t1}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from shopify_odoo.config import settings_from_mapping
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.errors import ShopifyOdooError


async def main(config: str, seconds: float, tasks: int) -> None:
    settings = settings_from_mapping(json.loads(config))
    calls = 0
    errors: list[str] = []
    started = time.time()
    async with await Runtime.open(settings) as rt:
        deadline = time.monotonic() + seconds

        async def work(handle: str) -> None:
            nonlocal calls
            while time.monotonic() < deadline:
                try:
                    await rt.shop(handle).shop()
                    calls += 1
                except ShopifyOdooError as exc:
                    errors.append(str(exc))
                await asyncio.sleep(0.02)

        await asyncio.gather(*(work(s.handle) for s in settings.stores for _ in range(tasks)))
    report = {"calls": calls, "errors": errors, "start": started, "end": time.time()}
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3])))
