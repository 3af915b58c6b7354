"""Reconcile sweep at scale: 100,000 variants x 3 locations with 1% drift (issue 7 must-show).

Run from the project root, under the benchmark lock:
``flock /tmp/bench.lock uv run --frozen python benchmarks/reconcile.py [--drift 0.01]``.

Processes (2 cores): the Shopify sandbox (one store, ``large`` scenario: 100,000 variants
stocked at Main Warehouse, 3PL Fulfilment and Retail Store) and the Odoo 17 sandbox (``large``:
the same SKUs with quants at WH/Stock, 3PL/Stock, SHOP/Stock) each run in a child process;
every step of the connector runs in a fresh child process of its own (so its peak RSS is its
own, read with ``getrusage`` in that process), against a SQLite state database:

1. set-up (not measured): link the 100,000 products (the two sandboxes start in agreement;
   ``--align`` also runs a full ``apply`` sweep first, rate limit off, to make sure);
2. drift: ``--drift`` of the 300,000 (product, location) pairs get a new inventory count in
   Odoo (through the Odoo sandbox's control API), so their targets move;
3. **dry run**: ``sweep(mode="dry_run")`` (what ``shopify-odoo sync --dry-run`` runs): one
   Shopify bulk operation + Odoo ``read_group`` snapshots per batch, planned batch by batch.
   Targets: <= 60 s and <= 300 MB peak RSS of the connector process.  Reported next to
   the drifted pairs: the mismatches found (a changed count shows in the level unless the new
   target equals the old figure);
4. **apply**: the store's bucket is emptied (control API), then ``sweep(mode="apply")``.
   Reported: the write phase (first write call sent → last answered) as quantities/s, and its
   ratio to the store's rate-limit bound: the points the writes cost (Shopify's actual costs)
   over the points the bucket could give in that time (its credit when the phase began plus
   restoreRate x duration).  Target >= 0.9.  A second dry run checks nothing is left.

Last line: a JSON object with every figure.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/queue.py would shadow the standard library's queue module (multiprocessing)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from queue import Empty  # noqa: E402
from typing import Any  # noqa: E402

LOCATIONS = (
    ("Main Warehouse", "WH/Stock", "main"),
    ("3PL Fulfilment", "3PL/Stock", "3pl"),
    ("Retail Store", "SHOP/Stock", "retail"),
)
TARGET_SECONDS = 60.0
TARGET_RSS_MB = 300.0
TARGET_RATIO = 0.9


# ----------------------------------------------------------------- sandboxes (child processes)


def _shopify(plan: str, queue: Any) -> None:
    from shopify_odoo.sandbox.shopify import run_shopify_sandbox

    async def main() -> None:
        started = time.perf_counter()
        async with run_shopify_sandbox(
            stores=1,
            scenario="large",
            plan=plan,  # type: ignore[arg-type]
            handles=["bench"],
        ) as sandbox:
            store = sandbox.store("bench")
            queue.put(
                {
                    "admin_url": store.base_url,
                    "domain": store.domain,
                    "token": store.access_token,
                    "control_url": sandbox.control_url,
                    "variants": len(store.variants),
                    "seconds": time.perf_counter() - started,
                }
            )
            await asyncio.Event().wait()

    asyncio.run(main())


def _odoo(queue: Any) -> None:
    from shopify_odoo.sandbox.odoo import run_odoo_sandbox

    async def main() -> None:
        started = time.perf_counter()
        async with run_odoo_sandbox(version="17.0", scenario="large") as handle:
            info = handle.info()
            info["seconds"] = time.perf_counter() - started
            queue.put(info)
            await asyncio.Event().wait()

    asyncio.run(main())


# ----------------------------------------------------------------- connector (child processes)


def settings_data(shop: dict[str, Any], odoo: dict[str, Any], db_path: str) -> dict[str, Any]:
    return {
        "database_url": f"sqlite+aiosqlite:///{db_path}",
        "odoo": {
            "url": odoo["url"],
            "database": odoo["db"],
            "login": odoo["login"],
            "api_key": odoo["api_key"],
            "timeout": 300.0,
        },
        "stores": [
            {
                "handle": "bench",
                "shop_domain": shop["domain"],
                "admin_url": shop["admin_url"],
                "access_token": shop["token"],
            }
        ],
        "location_map": [
            {
                "store": "bench",
                "shopify_location": name,
                "odoo_locations": [odoo_loc],
                "pool": pool,
            }
            for name, odoo_loc, pool in LOCATIONS
        ],
    }


def _connector(
    step: str, data: dict[str, Any], batch: int, queue: Any, verbose: bool = False
) -> None:
    """One step of the connector in this (fresh) process; reports its figures and peak RSS."""
    import logging

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)

    async def main() -> dict[str, Any]:
        from shopify_odoo.config import settings_from_mapping
        from shopify_odoo.engine.inbox import register_stores
        from shopify_odoo.engine.links import apply_links, plan_links_now
        from shopify_odoo.engine.reconcile import sweep
        from shopify_odoo.engine.runtime import Runtime
        from shopify_odoo.store.database import open_database
        from shopify_odoo.store.migrate import upgrade_database

        settings = settings_from_mapping(data)
        db = await open_database(settings.database_url)
        if step == "link":
            await upgrade_database(db)
            await register_stores(db, settings)
        rt = await Runtime.open(settings, db=db)
        try:
            started = time.perf_counter()
            if step == "link":
                run = await plan_links_now(rt)
                await apply_links(rt, run)
                return {"totals": run.plan.totals(), "seconds": time.perf_counter() - started}
            mode = "dry_run" if step.startswith("dry_run") else "apply"

            def progress(done: int, total: int) -> None:
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                elapsed = time.perf_counter() - started
                print(
                    f"  {step}: {done}/{total} products, {elapsed:.1f}s, peak {rss:.0f} MB",
                    file=sys.stderr,
                    flush=True,
                )

            report = await sweep(
                rt,
                mode=mode,  # type: ignore[arg-type]
                batch_size=batch,
                max_rows=0,
                progress=progress if verbose else None,
            )
            return {
                "seconds": time.perf_counter() - started,
                "phases": {k: round(v, 2) for k, v in report.seconds.items()},
                "products": report.products,
                "levels": report.levels,
                "mismatches": report.mismatches,
                "skipped": report.skipped,
                "oversold": report.oversold,
                "writes_applied": report.writes_applied,
                "writes_stale": report.writes_stale,
                "writes_failed": report.writes_failed,
                "write_phases": {s: vars(p) for s, p in report.write_phases.items()},
                "points_used": rt.shop("bench").budget.points_used,
            }
        finally:
            await rt.aclose()

    result = asyncio.run(main())
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(result)


VERBOSE = False


def connector_step(
    ctx: Any, step: str, data: dict[str, Any], batch: int, timeout: float = 1800.0
) -> dict[str, Any]:
    queue = ctx.Queue()
    proc = ctx.Process(target=_connector, args=(step, data, batch, queue, VERBOSE))
    started = time.perf_counter()
    proc.start()
    try:
        while True:
            try:
                result: dict[str, Any] = queue.get(timeout=5)
                break
            except Empty:
                if not proc.is_alive():
                    raise RuntimeError(
                        f"connector step {step} died (exit {proc.exitcode})"
                    ) from None
                if time.perf_counter() - started > timeout:
                    raise
    finally:
        proc.join(timeout=30)
        if proc.is_alive():
            proc.terminate()
    result["process_seconds"] = time.perf_counter() - started
    return result


# ----------------------------------------------------------------- driver


async def control(url: str, path: str, body: dict[str, Any]) -> Any:
    import httpx

    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(f"{url}{path}", json=body)
        response.raise_for_status()
        return response.json()


async def make_drift(odoo_url: str, fraction: float, seed: int) -> int:
    """New inventory counts in Odoo for ``fraction`` of the (SKU, location) pairs."""
    from shopify_odoo.sandbox.catalog import catalogue
    from shopify_odoo.sandbox.odoo import OdooSandboxDriver

    pairs = [
        (v.sku, loc) for p in catalogue("large") for v in p.variants for _n, loc, _p in LOCATIONS
    ]
    rng = random.Random(seed)
    chosen = rng.sample(pairs, max(1, round(len(pairs) * fraction)))
    sem = asyncio.Semaphore(8)
    async with OdooSandboxDriver(odoo_url) as driver:

        async def one(sku: str, loc: str) -> None:
            async with sem:
                await driver.count(sku, loc, rng.randint(60, 90))  # above any seeded figure

        await asyncio.gather(*(one(sku, loc) for sku, loc in chosen))
    return len(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drift", type=float, default=0.01)
    parser.add_argument("--plan", default="standard", help="Shopify plan of the store")
    parser.add_argument("--batch", type=int, default=5000, help="products per sweep batch")
    parser.add_argument(
        "--align",
        action="store_true",
        help="sync every level first (rate limit off); the sandboxes start in agreement, so "
        "this only matters for a changed catalogue",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--verbose", action="store_true", help="progress and INFO logs")
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    ctx = mp.get_context("spawn")
    sq, oq = ctx.Queue(), ctx.Queue()
    shop_proc = ctx.Process(target=_shopify, args=(args.plan, sq), daemon=True)
    odoo_proc = ctx.Process(target=_odoo, args=(oq,), daemon=True)
    shop_proc.start()
    odoo_proc.start()
    out: dict[str, Any] = {"plan": args.plan, "drift_fraction": args.drift, "batch": args.batch}
    try:
        shop = sq.get(timeout=900)
        odoo = oq.get(timeout=900)
        print(
            f"sandboxes up: shopify {shop['seconds']:.1f}s, odoo {odoo['seconds']:.1f}s", flush=True
        )
        out["variants"] = shop["variants"]
        with tempfile.TemporaryDirectory() as tmp:
            data = settings_data(shop, odoo, str(Path(tmp) / "state.db"))
            link = connector_step(ctx, "link", data, args.batch)
            print(f"link: {link['totals']} in {link['seconds']:.1f}s", flush=True)
            setup: dict[str, Any] = {"writes_applied": 0}
            if args.align:
                faults = "/_sandbox/stores/bench/faults"
                asyncio.run(control(shop["control_url"], faults, {"rate_limited": False}))
                setup = connector_step(ctx, "apply", data, args.batch)
                asyncio.run(control(shop["control_url"], faults, {"rate_limited": True}))
                print(f"set-up sync: {setup['writes_applied']} levels written", flush=True)
            t = time.perf_counter()
            drifted = asyncio.run(make_drift(odoo["url"], args.drift, args.seed))
            print(
                f"drift: {drifted} Odoo counts changed in {time.perf_counter() - t:.1f}s",
                flush=True,
            )

            dry = connector_step(ctx, "dry_run", data, args.batch)
            print(
                f"dry run: {dry['seconds']:.1f}s ({dry['phases']}), "
                f"peak RSS {dry['peak_rss_mb']:.0f} MB, {dry['levels']} levels, "
                f"{dry['mismatches']} mismatches",
                flush=True,
            )
            asyncio.run(
                control(shop["control_url"], "/_sandbox/stores/bench/faults", {"drain_bucket": 0})
            )
            apply = connector_step(ctx, "apply", data, args.batch)
            after = connector_step(ctx, "dry_run_after", data, args.batch)
    finally:
        for proc in (shop_proc, odoo_proc):
            proc.terminate()
            proc.join(timeout=10)
    phase = apply["write_phases"].get("bench")
    ratio = qps = bound_qps = None
    if phase and phase["ended"] > phase["started"] and phase["restore_rate"]:
        seconds = phase["ended"] - phase["started"]
        available = (
            min(phase["bucket_size"] or 1e12, phase["credit"]) + phase["restore_rate"] * seconds
        )
        ratio = phase["points"] / available
        qps = phase["quantities"] / seconds
        cost_per_call = phase["points"] / max(1, phase["calls"])
        bound_qps = phase["restore_rate"] / cost_per_call * 250
        print(
            f"apply: {apply['writes_applied']} written in {apply['seconds']:.1f}s; write phase "
            f"{seconds:.2f}s, {phase['calls']} calls, {phase['points']:.0f} points, credit "
            f"{phase['credit']:.0f}, restore {phase['restore_rate']:.0f}/s -> ratio {ratio:.3f}; "
            f"{qps:.0f} quantities/s (bound at full calls {bound_qps:.0f}/s)",
            flush=True,
        )
    out.update(
        link_seconds=round(link["seconds"], 2),
        setup_writes=setup["writes_applied"],
        drifted_pairs=drifted,
        dry_run={
            "seconds": round(dry["seconds"], 2),
            "phases": dry["phases"],
            "peak_rss_mb": round(dry["peak_rss_mb"], 1),
            "levels": dry["levels"],
            "mismatches": dry["mismatches"],
            "oversold": dry["oversold"],
        },
        apply={
            "seconds": round(apply["seconds"], 2),
            "phases": apply["phases"],
            "peak_rss_mb": round(apply["peak_rss_mb"], 1),
            "writes_applied": apply["writes_applied"],
            "writes_stale": apply["writes_stale"],
            "writes_failed": apply["writes_failed"],
            "write_phase": phase,
            "quantities_per_second": None if qps is None else round(qps, 1),
            "bound_quantities_per_second": None if bound_qps is None else round(bound_qps, 1),
            "ratio_to_rate_limit_bound": None if ratio is None else round(ratio, 3),
        },
        mismatches_after_apply=after["mismatches"],
        targets={
            "dry_run_seconds": TARGET_SECONDS,
            "peak_rss_mb": TARGET_RSS_MB,
            "ratio": TARGET_RATIO,
        },
    )
    out["meets_targets"] = bool(
        dry["seconds"] <= TARGET_SECONDS
        and dry["peak_rss_mb"] <= TARGET_RSS_MB
        and ratio is not None
        and ratio >= TARGET_RATIO
        and after["mismatches"] == 0
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
