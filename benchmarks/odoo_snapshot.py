"""Stock snapshot of 100,000 products x 3 warehouses from the Odoo sandbox (issue 6 must-show).

Starts the Odoo sandbox (``large`` scenario: 100,000 storable variants with quants in the
Main Warehouse, 3PL and Retail Store) in a child process, with its own event loop and core,
then from this process over loopback:

1. confirms a few sale orders so some stock is reserved and outgoing;
2. resets the sandbox's RPC call counter, then times ``stock_snapshot(client, None,
   [WH/Stock, 3PL/Stock, SHOP/Stock])`` (free, on hand and outgoing for every storable
   product at the three locations);
3. checks a sample of 300 products against Odoo's own ``product.product`` quantity fields in
   the ``location`` context (§3.4), outside the timing.

Prints RPC calls (the sandbox's counter and the client's own), seconds, peak RSS of this
process and of the sandbox.  Targets: <= 20 calls, <= 15 s.  Last line: a JSON object.

Usage: ``uv run python benchmarks/odoo_snapshot.py [--version 17.0] [--scenario large]``
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/ holds a queue.py that would shadow the standard library's queue module
# (multiprocessing needs it) when this file runs as a script: drop the script folder.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
from decimal import Decimal  # noqa: E402
from typing import Any  # noqa: E402

import psutil  # noqa: E402

from shopify_odoo.odoo import OdooClient, stock_snapshot  # noqa: E402
from shopify_odoo.odoo.records import find_locations  # noqa: E402
from shopify_odoo.odoo.sales import (  # noqa: E402
    SaleLineDraft,
    SaleOrderDraft,
    confirm_sale_orders,
    create_sale_orders,
)

LOCATIONS = ["WH/Stock", "3PL/Stock", "SHOP/Stock"]
TARGET_CALLS = 20
TARGET_SECONDS = 15.0


def _serve(version: str, scenario: str, queue: Any) -> None:
    from shopify_odoo.sandbox.odoo import run_odoo_sandbox

    async def main() -> None:
        async with run_odoo_sandbox(version=version, scenario=scenario) as handle:  # type: ignore[arg-type]
            queue.put(handle.info())
            # the parent terminates this process when it is done
            await asyncio.Event().wait()

    asyncio.run(main())


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def _sandbox_calls(client: Any, url: str) -> int:
    response = await client.get(f"{url}/_sandbox/calls")
    response.raise_for_status()
    return sum(int(row["count"]) for row in response.json())


async def run(
    info: dict[str, str], orders: int, chunk_size: int, sandbox: psutil.Process
) -> dict[str, Any]:
    import httpx

    async with (
        OdooClient(info["url"], info["db"], info["login"], api_key=info["api_key"]) as odoo,
        httpx.AsyncClient(timeout=60) as control,
    ):
        await odoo.connect()
        locations = await find_locations(odoo, LOCATIONS)
        location_ids = [loc.id for loc in locations]
        wh_stock = next(loc.id for loc in locations if loc.complete_name == "WH/Stock")
        partner = (await odoo.search("res.partner", [("name", "=", "Jane Doe")]))[0]
        some = await odoo.search_read(
            "stock.quant",
            [("location_id", "=", wh_stock), ("quantity", ">", 3)],
            ["product_id"],
            limit=orders,
        )
        drafts = [
            SaleOrderDraft(
                partner_id=partner,
                client_order_ref=f"bench#{i}",
                lines=(SaleLineDraft(row["product_id"][0], Decimal(2), Decimal("10")),),
            )
            for i, row in enumerate(some)
        ]
        await confirm_sale_orders(odoo, await create_sale_orders(odoo, drafts))

        await (await control.delete(f"{info['url']}/_sandbox/calls")).aclose()
        client_before = odoo.rpc_calls
        server_before = _cpu(sandbox)
        started, cpu = time.perf_counter(), time.process_time()
        snapshot = await stock_snapshot(odoo, None, location_ids, chunk_size=chunk_size)
        seconds = time.perf_counter() - started
        client_cpu = time.process_time() - cpu
        sandbox_cpu = _cpu(sandbox) - server_before
        sandbox_calls = await _sandbox_calls(control, info["url"])
        client_calls = odoo.rpc_calls - client_before

        # correctness sample, outside the timing: Odoo's own context quantities (§3.4)
        rng = random.Random(7)
        ordered = sorted(snapshot.product_ids)
        sample = sorted(
            set(rng.sample(ordered, min(300, len(ordered))))
            | {row["product_id"][0] for row in some}
        )
        mismatches = 0
        for loc in location_ids:
            rows = await odoo.read(
                "product.product",
                sample,
                ["qty_available", "free_qty", "outgoing_qty"],
                context={"location": loc},
            )
            for row in rows:
                level = snapshot.get(row["id"], loc)
                mine = (
                    float(level.qty_available),
                    float(level.free_qty),
                    float(level.outgoing_qty),
                )
                theirs = (row["qty_available"], row["free_qty"], row["outgoing_qty"])
                if any(abs(a - b) > 1e-6 for a, b in zip(mine, theirs, strict=True)):
                    mismatches += 1
        outgoing = sum(1 for p in ordered if snapshot.get(p, wh_stock).outgoing_qty > 0)
        return {
            "products": len(snapshot.product_ids),
            "locations": len(location_ids),
            "rows": len(snapshot.rows),
            "products_with_outgoing": outgoing,
            "rpc_calls_sandbox": sandbox_calls,
            "rpc_calls_client": client_calls,
            "seconds": round(seconds, 3),
            "client_cpu_seconds": round(client_cpu, 3),
            "sandbox_cpu_seconds": round(sandbox_cpu, 3),
            "chunk_size": chunk_size,
            "sample_checked": len(sample) * len(location_ids),
            "sample_mismatches": mismatches,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--version", default="17.0")
    parser.add_argument("--scenario", default="large", choices=["small", "demo", "large"])
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--chunk-size", type=int, default=50_000)
    opts = parser.parse_args()

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_serve, args=(opts.version, opts.scenario, queue), daemon=True)
    started = time.perf_counter()
    child.start()
    try:
        info = queue.get(timeout=300)
        print(
            f"Odoo sandbox {opts.version} ({opts.scenario}) ready in "
            f"{time.perf_counter() - started:.1f} s at {info['url']}"
        )
        assert child.pid is not None
        result = asyncio.run(run(info, opts.orders, opts.chunk_size, psutil.Process(child.pid)))
        sandbox_rss = psutil.Process(child.pid).memory_info().rss
    finally:
        child.terminate()
        child.join(10)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    result.update(
        # other work on the machine slows the single-threaded sandbox: report it with the figure
        load_average_1m=round(os.getloadavg()[0], 2),
        cpus=os.cpu_count(),
        version=opts.version,
        scenario=opts.scenario,
        peak_rss_mb=round(peak_rss_mb, 1),
        sandbox_rss_mb=round(sandbox_rss / 2**20, 1),
        target_calls=TARGET_CALLS,
        target_seconds=TARGET_SECONDS,
        ok=(
            result["rpc_calls_sandbox"] <= TARGET_CALLS
            and result["seconds"] <= TARGET_SECONDS
            and result["sample_mismatches"] == 0
        ),
    )
    print(f"products x locations : {result['products']} x {result['locations']}")
    print(
        f"RPC calls            : {result['rpc_calls_sandbox']} (sandbox counter), "
        f"{result['rpc_calls_client']} (client), target <= {TARGET_CALLS}"
    )
    print(
        f"seconds              : {result['seconds']} (target <= {TARGET_SECONDS}), "
        f"{result['client_cpu_seconds']} s CPU in this process, "
        f"{result['sandbox_cpu_seconds']} s CPU in the sandbox (load average "
        f"{result['load_average_1m']} on {result['cpus']} CPUs: wall time above CPU time is "
        "waiting for a core)"
    )
    print(
        f"peak RSS             : {result['peak_rss_mb']} MB here, "
        f"{result['sandbox_rss_mb']} MB sandbox"
    )
    print(
        f"sample vs Odoo fields: {result['sample_mismatches']} mismatches in "
        f"{result['sample_checked']} (product, location) pairs"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
