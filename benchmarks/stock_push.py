"""Stock push throughput against a Standard-plan Shopify sandbox store (issue 6 must-show).

Starts the Shopify sandbox in a child process (its own event loop and core), then from this
process over loopback:

1. naive: one quantity per ``inventorySetQuantities`` call, paced by the same limiter, for a
   bounded time (``--naive-seconds``, default 20); this also drains the initial bucket.  The
   naive figures printed are measured over that time box (so they include the bucket's
   starting points, which flatters the naive push); the time the naive push would need for
   all the quantities is extrapolated from its steady rate and labelled so;
2. batched: ``--quantities`` (default 50,000) changed quantities through ``set_available``
   (250 per call, ``changeFromQuantity``, ``@idempotent``), starting right after, so it runs
   on the restore rate rather than on the 2,000 points the bucket starts with.

It prints quantities/s of both, the theoretical bound of the plan
(restoreRate / actual cost of one 250-quantity call x 250, both as Shopify reported them),
their ratio, THROTTLED answers (all, and after the first second of each phase), and the
speed-up over the naive push.  Last line: a JSON object.

Usage: ``uv run python benchmarks/stock_push.py [--quantities 50000] [--naive-seconds 20]``
"""

from __future__ import annotations

import sys
from pathlib import Path

# this folder holds other benchmarks (e.g. queue.py) that would shadow standard modules
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402

from shopify_odoo.shopify.auth import StaticTokenProvider  # noqa: E402
from shopify_odoo.shopify.client import ShopifyClient  # noqa: E402
from shopify_odoo.shopify.models import QuantityChange  # noqa: E402


def _serve(scenario: str, plan: str, wanted: int, queue: Any) -> None:
    """Child process: the Shopify sandbox with one store of ``plan``, until terminated.

    It also hands over the first ``wanted`` (inventory item, location, available) triples of the
    store, read from its world: the benchmark's set-up, not part of what is measured.
    """
    from shopify_odoo.sandbox.shopify import run_shopify_sandbox

    async def main() -> None:
        started = time.perf_counter()
        async with run_shopify_sandbox(
            stores=1,
            scenario=scenario,
            plan=plan,
            handles=["bench"],  # type: ignore[arg-type]
        ) as sandbox:
            store = sandbox.store("bench")
            levels: list[tuple[str, str, int]] = []
            for vid in store.variant_order:
                v = store.variants[vid]
                for loc in store.locations:
                    level = store.level(v, loc.id)
                    if level is not None and len(levels) < wanted:
                        levels.append(
                            (
                                f"gid://shopify/InventoryItem/{v.item_id}",
                                f"gid://shopify/Location/{loc.id}",
                                level.available,
                            )
                        )
                if len(levels) >= wanted:
                    break
            queue.put(
                {
                    "admin_url": store.base_url,
                    "domain": store.domain,
                    "token": store.access_token,
                    "seed_seconds": time.perf_counter() - started,
                    "levels": levels,
                }
            )
            await asyncio.Event().wait()  # until the parent terminates us

    asyncio.run(main())


@dataclass
class ThrottleCounter(httpx.AsyncBaseTransport):
    """Counts THROTTLED answers (HTTP 200 bodies, correction 4) with their time."""

    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)
    times: list[float] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        if b'"THROTTLED"' in content:
            self.times.append(time.perf_counter())
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    async def aclose(self) -> None:
        await self.inner.aclose()

    def count(self, start: float, end: float) -> int:
        return sum(1 for t in self.times if start <= t < end)


def _changes(levels: list[tuple[str, str, int]]) -> Iterator[QuantityChange]:
    for item, location, available in levels:
        yield QuantityChange(item, location, available + 1, available)


async def _run(info: dict[str, Any], quantities: int, naive_seconds: float) -> dict[str, Any]:
    counter = ThrottleCounter()
    client = ShopifyClient(
        "bench",
        info["domain"],
        StaticTokenProvider(info["token"]),
        admin_url=info["admin_url"],
        transport=counter,
        timeout=httpx.Timeout(60.0),
    )
    async with client:
        levels: list[tuple[str, str, int]] = [(a, b, c) for a, b, c in info["levels"]]
        if len(levels) < quantities + 1:
            raise SystemExit(f"the sandbox store has only {len(levels)} levels")
        naive_pool = list(_changes(levels[quantities:]))
        batched = list(_changes(levels[:quantities]))

        # 1. naive: one quantity per call, sequential, bounded in time
        naive_start = time.perf_counter()
        naive_done = 0
        while time.perf_counter() - naive_start < naive_seconds and naive_done < len(naive_pool):
            outcome = await client.set_available([naive_pool[naive_done]], salt="naive")
            if outcome[0].status != "applied":
                raise SystemExit(f"naive push: {outcome[0]}")
            naive_done += 1
        naive_end = time.perf_counter()
        naive_rate = naive_done / (naive_end - naive_start)
        naive_cost = client.budget.costs.actual.get("InventorySetQuantities", 0.0)

        # 2. batched: 250 per call through the shared budget
        bucket_at_start = await client.budget.level()
        start = time.perf_counter()
        outcomes = await client.set_available(batched, salt="batched", concurrency=4)
        end = time.perf_counter()
        applied = sum(1 for o in outcomes if o.status == "applied")
        if applied != len(batched):
            bad = next(o for o in outcomes if o.status != "applied")
            raise SystemExit(f"batched push: {len(batched) - applied} not applied, e.g. {bad}")
        state = await client.budget.state()
        restore = state.restore_rate or 0.0
        call_cost = client.budget.costs.actual.get("InventorySetQuantities", 0.0)
        requested = client.budget.costs.requested.get("InventorySetQuantities", 0.0)

    seconds = end - start
    rate = quantities / seconds
    bound = restore / call_cost * 250 if call_cost else 0.0
    credit_bound = (bucket_at_start + restore * seconds) / call_cost * 250 / seconds
    # The naive push is time-boxed: it ran ``naive_seconds``, starting on a full bucket (its
    # first calls spent the points the bucket held).  Its steady rate is one quantity per call
    # at restoreRate / cost calls per second; the time it would need for all ``quantities`` is
    # extrapolated from that, not measured.
    naive_steady = restore / naive_cost if naive_cost else 0.0
    naive_left = max(0, quantities - naive_done)
    naive_total = (naive_end - naive_start) + (naive_left / naive_steady if naive_steady else 0.0)
    return {
        "quantities": quantities,
        "seconds": round(seconds, 2),
        "quantities_per_s": round(rate, 1),
        "bound_quantities_per_s": round(bound, 1),
        "ratio": round(rate / bound, 3) if bound else None,
        "bucket_at_start": round(bucket_at_start, 1),
        "ratio_including_bucket_at_start": round(rate / credit_bound, 3),
        "restore_rate": restore,
        "maximum_available": state.maximum,
        "call_cost_actual": round(call_cost, 2),
        "call_cost_requested": requested,
        "throttled": counter.count(start, end),
        "throttled_after_first_second": counter.count(start + 1.0, end),
        "naive_quantities": naive_done,
        "naive_seconds": round(naive_end - naive_start, 2),
        "naive_quantities_per_s": round(naive_rate, 2),
        "naive_throttled": counter.count(naive_start, naive_end),
        "naive_throttled_after_first_second": counter.count(naive_start + 1.0, naive_end),
        "speedup_over_naive": round(rate / naive_rate, 1) if naive_rate else None,
        "naive_time_boxed": naive_done < quantities,
        "naive_call_cost_actual": round(naive_cost, 2),
        "naive_steady_quantities_per_s": round(naive_steady, 2),
        "naive_seconds_for_all_extrapolated": round(naive_total, 1),
        "speedup_over_naive_extrapolated": (
            round(naive_total / seconds, 1) if naive_done < quantities else None
        ),
        "seed_seconds": round(info["seed_seconds"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quantities", type=int, default=50_000)
    parser.add_argument("--naive-seconds", type=float, default=20.0)
    parser.add_argument("--scenario", default="large")
    opts = parser.parse_args()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(
        target=_serve, args=(opts.scenario, "standard", opts.quantities + 5_000, queue), daemon=True
    )
    child.start()
    try:
        info = queue.get(timeout=600)
        result = asyncio.run(_run(info, opts.quantities, opts.naive_seconds))
    finally:
        child.terminate()
        child.join(10)
    result["targets_met"] = bool(
        result["ratio"] is not None
        and result["ratio"] >= 0.95
        and result["throttled_after_first_second"] == 0
        and (result["speedup_over_naive"] or 0) >= 50
    )
    print(
        f"batched: {result['quantities']} quantities in {result['seconds']} s = "
        f"{result['quantities_per_s']}/s; bound {result['bound_quantities_per_s']}/s "
        f"(restoreRate {result['restore_rate']} / {result['call_cost_actual']} points per call "
        f"x 250); ratio {result['ratio']}; THROTTLED {result['throttled']} "
        f"({result['throttled_after_first_second']} after the first second)"
    )
    print(
        f"naive: {result['naive_quantities']} quantities in {result['naive_seconds']} s = "
        f"{result['naive_quantities_per_s']}/s (measured, starting on a full bucket); "
        f"speed-up {result['speedup_over_naive']}x"
    )
    if result["naive_time_boxed"]:
        print(
            f"naive, extrapolated (not measured): {result['quantities']} quantities would take "
            f"{result['naive_seconds_for_all_extrapolated']} s at the steady "
            f"{result['naive_steady_quantities_per_s']}/s (restoreRate / "
            f"{result['naive_call_cost_actual']} points per call) after the measured "
            f"{result['naive_seconds']} s; speed-up {result['speedup_over_naive_extrapolated']}x"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
