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
   Odoo (made inside the Odoo sandbox's process by the simulator behind its control API's
   ``simulate/count``), so their targets move;
3. **dry run**: ``sweep(mode="dry_run")`` (what ``shopify-odoo sync --dry-run`` runs): one
   Shopify bulk operation + Odoo ``read_group`` snapshots per batch, planned batch by batch.
   Targets: <= 60 s and <= 300 MB peak RSS of the connector process.  The seconds are split
   into the sandbox's part (Shopify producing the bulk file: from starting the operation until
   it reports COMPLETED; the real Shopify takes its own time there) and the connector's part
   (the rest: download and parse, Odoo reads, planning).  Reported next to the drifted pairs:
   the mismatches found (a changed count shows in the level unless the new target equals the
   old figure);
4. **apply** (the 1% drift): the store's bucket is emptied (control API), then
   ``sweep(mode="apply")``.  Reported: the write phase (first write call sent → last
   answered) as quantities/s, and its ratio to the store's rate-limit bound: the points the
   writes cost (Shopify's actual costs) over the points the bucket could give in that time (its
   credit when the phase began plus restoreRate x duration).  A 1% drift is ~3,000 quantities,
   ~12 calls, fewer points than the bucket's credit: that phase is bound by round trips, not
   by the rate limit, and its ratio says so;
5. **apply, write-heavy** (``--heavy-drift``, default 30% of the pairs): a new drift, the bucket
   emptied, ``apply`` again: here the writes cost many times the bucket, so the ratio measures
   how close the writer gets to the rate limit.  Target >= 0.9.  A dry run after each apply
   checks nothing is left.

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


def _odoo(queue: Any, commands: Any) -> None:
    """The Odoo sandbox; ``commands`` brings drift orders ``(pairs, seed)``, made in this
    process by the simulator behind the control API's ``simulate/count`` (90,000 counts over
    HTTP would take minutes of set-up); the answer is the number of counts made."""
    from shopify_odoo.sandbox.odoo import run_odoo_sandbox
    from shopify_odoo.sandbox.odoo.simulator import MerchantSimulator

    async def main() -> None:
        started = time.perf_counter()
        async with run_odoo_sandbox(version="17.0", scenario="large") as handle:
            info = handle.info()
            info["seconds"] = time.perf_counter() - started
            queue.put(info)
            simulator = MerchantSimulator(handle.world)
            while True:
                pairs, seed = await asyncio.to_thread(commands.get)
                rng = random.Random(seed)
                for n, (sku, loc) in enumerate(pairs):
                    simulator.count(sku, loc, rng.randint(60, 90))  # above any seeded figure
                    if n % 500 == 499:
                        await asyncio.sleep(0)
                queue.put(len(pairs))

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
    step: str,
    data: dict[str, Any],
    batch: int,
    queue: Any,
    verbose: bool = False,
    profile_dir: str | None = None,
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

    if profile_dir:
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(asyncio.run, main())
        profiler.dump_stats(str(Path(profile_dir) / f"{step}.prof"))
    else:
        result = asyncio.run(main())
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(result)


VERBOSE = False
PROFILE_DIR: str | None = None


def connector_step(
    ctx: Any, step: str, data: dict[str, Any], batch: int, timeout: float = 1800.0
) -> dict[str, Any]:
    queue = ctx.Queue()
    proc = ctx.Process(target=_connector, args=(step, data, batch, queue, VERBOSE, PROFILE_DIR))
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


def drift_pairs(fraction: float, seed: int) -> list[tuple[str, str]]:
    """``fraction`` of the (SKU, Odoo location) pairs, drawn with ``seed``."""
    from shopify_odoo.sandbox.catalog import catalogue

    pairs = [
        (v.sku, loc) for p in catalogue("large") for v in p.variants for _n, loc, _p in LOCATIONS
    ]
    return random.Random(seed).sample(pairs, max(1, round(len(pairs) * fraction)))


def make_drift(commands: Any, answers: Any, fraction: float, seed: int) -> int:
    """New inventory counts in Odoo for ``fraction`` of the (SKU, location) pairs."""
    commands.put((drift_pairs(fraction, seed), seed))
    done: int = answers.get(timeout=1800)
    return done


def write_ratio(phase: dict[str, Any] | None) -> dict[str, Any]:
    """The write phase against the store's rate-limit bound (see the module docstring)."""
    if not phase or phase["ended"] <= phase["started"] or not phase["restore_rate"]:
        return {"write_phase": phase, "ratio_to_rate_limit_bound": None}
    seconds = phase["ended"] - phase["started"]
    credit = min(phase["bucket_size"] or 1e12, phase["credit"])
    available = credit + phase["restore_rate"] * seconds
    cost_per_call = phase["points"] / max(1, phase["calls"])
    return {
        "write_phase": phase,
        "write_seconds": round(seconds, 2),
        "points": round(phase["points"], 1),
        "points_available": round(available, 1),
        "credit_at_start": round(credit, 1),
        "quantities_per_second": round(phase["quantities"] / seconds, 1),
        "bound_quantities_per_second": round(phase["restore_rate"] / cost_per_call * 250, 1),
        "ratio_to_rate_limit_bound": round(phase["points"] / available, 3),
    }


def describe_apply(name: str, apply: dict[str, Any], figures: dict[str, Any]) -> None:
    head = f"{name}: {apply['writes_applied']} written in {apply['seconds']:.1f}s"
    if figures["ratio_to_rate_limit_bound"] is None:
        print(head, flush=True)
        return
    phase = figures["write_phase"]
    print(
        f"{head} ({apply['phases']}), peak RSS {apply['peak_rss_mb']:.0f} MB; write phase "
        f"{figures['write_seconds']:.2f}s, {phase['calls']} calls, {figures['points']:.0f} "
        f"points of {figures['points_available']:.0f} available (credit "
        f"{figures['credit_at_start']:.0f} + restore {phase['restore_rate']:.0f}/s) -> ratio "
        f"{figures['ratio_to_rate_limit_bound']:.3f}; {figures['quantities_per_second']:.0f} "
        f"quantities/s (bound at full calls {figures['bound_quantities_per_second']:.0f}/s)",
        flush=True,
    )


def apply_figures(apply: dict[str, Any]) -> dict[str, Any]:
    return {
        "seconds": round(apply["seconds"], 2),
        "phases": apply["phases"],
        "peak_rss_mb": round(apply["peak_rss_mb"], 1),
        "writes_applied": apply["writes_applied"],
        "writes_stale": apply["writes_stale"],
        "writes_failed": apply["writes_failed"],
        **write_ratio(apply["write_phases"].get("bench")),
    }


def split(dry: dict[str, Any]) -> dict[str, float]:
    """The dry run's seconds: Shopify producing the bulk file (the sandbox: from starting the
    operation until it reports COMPLETED) and the connector (everything else)."""
    wait = float(dry["phases"].get("shopify_bulk_wait", 0.0))
    return {
        "sandbox_bulk_seconds": round(wait, 2),
        "connector_seconds": round(dry["seconds"] - wait, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drift", type=float, default=0.01)
    parser.add_argument(
        "--heavy-drift",
        type=float,
        default=0.3,
        help="share of the pairs drifted for the write-heavy apply (0: skip that case)",
    )
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
    parser.add_argument(
        "--profile", metavar="DIR", help="cProfile every connector step into DIR/<step>.prof"
    )
    args = parser.parse_args()
    global VERBOSE, PROFILE_DIR
    VERBOSE = args.verbose
    PROFILE_DIR = args.profile
    ctx = mp.get_context("spawn")
    sq, oq, commands = ctx.Queue(), ctx.Queue(), ctx.Queue()
    shop_proc = ctx.Process(target=_shopify, args=(args.plan, sq), daemon=True)
    odoo_proc = ctx.Process(target=_odoo, args=(oq, commands), daemon=True)
    shop_proc.start()
    odoo_proc.start()
    out: dict[str, Any] = {"plan": args.plan, "drift_fraction": args.drift, "batch": args.batch}
    heavy: dict[str, Any] | None = None
    try:
        shop = sq.get(timeout=900)
        odoo = oq.get(timeout=900)
        print(
            f"sandboxes up: shopify {shop['seconds']:.1f}s, odoo {odoo['seconds']:.1f}s", flush=True
        )
        out["variants"] = shop["variants"]
        faults = "/_sandbox/stores/bench/faults"
        with tempfile.TemporaryDirectory() as tmp:
            data = settings_data(shop, odoo, str(Path(tmp) / "state.db"))
            link = connector_step(ctx, "link", data, args.batch)
            print(f"link: {link['totals']} in {link['seconds']:.1f}s", flush=True)
            setup: dict[str, Any] = {"writes_applied": 0}
            if args.align:
                asyncio.run(control(shop["control_url"], faults, {"rate_limited": False}))
                setup = connector_step(ctx, "apply", data, args.batch)
                asyncio.run(control(shop["control_url"], faults, {"rate_limited": True}))
                print(f"set-up sync: {setup['writes_applied']} levels written", flush=True)
            t = time.perf_counter()
            drifted = make_drift(commands, oq, args.drift, args.seed)
            print(
                f"drift: {drifted} Odoo counts changed in {time.perf_counter() - t:.1f}s",
                flush=True,
            )

            dry = connector_step(ctx, "dry_run", data, args.batch)
            parts = split(dry)
            print(
                f"dry run: {dry['seconds']:.1f}s = sandbox producing the bulk file "
                f"{parts['sandbox_bulk_seconds']:.1f}s + connector "
                f"{parts['connector_seconds']:.1f}s ({dry['phases']}), "
                f"peak RSS {dry['peak_rss_mb']:.0f} MB, {dry['levels']} levels, "
                f"{dry['mismatches']} mismatches for {drifted} drifted pairs",
                flush=True,
            )
            asyncio.run(control(shop["control_url"], faults, {"drain_bucket": 0}))
            apply = connector_step(ctx, "apply", data, args.batch)
            light = apply_figures(apply)
            describe_apply("apply (1% drift)", apply, light)
            after = connector_step(ctx, "dry_run_after", data, args.batch)
            print(f"dry run after apply: {after['mismatches']} mismatches left", flush=True)
            if args.heavy_drift > 0:
                t = time.perf_counter()
                heavy_drifted = make_drift(commands, oq, args.heavy_drift, args.seed + 1)
                print(
                    f"heavy drift: {heavy_drifted} Odoo counts changed in "
                    f"{time.perf_counter() - t:.1f}s",
                    flush=True,
                )
                asyncio.run(control(shop["control_url"], faults, {"drain_bucket": 0}))
                big = connector_step(ctx, "apply_heavy", data, args.batch)
                heavy = apply_figures(big)
                describe_apply("apply (write-heavy)", big, heavy)
                heavy_after = connector_step(ctx, "dry_run_after_heavy", data, args.batch)
                heavy["drifted_pairs"] = heavy_drifted
                heavy["mismatches_after_apply"] = heavy_after["mismatches"]
                print(
                    f"dry run after the write-heavy apply: {heavy_after['mismatches']} "
                    "mismatches left",
                    flush=True,
                )
    finally:
        for proc in (shop_proc, odoo_proc):
            proc.terminate()
            proc.join(timeout=10)
    out.update(
        link_seconds=round(link["seconds"], 2),
        setup_writes=setup["writes_applied"],
        drifted_pairs=drifted,
        dry_run={
            "seconds": round(dry["seconds"], 2),
            **parts,
            "phases": dry["phases"],
            "peak_rss_mb": round(dry["peak_rss_mb"], 1),
            "levels": dry["levels"],
            "mismatches": dry["mismatches"],
            "oversold": dry["oversold"],
        },
        apply=light,
        mismatches_after_apply=after["mismatches"],
        apply_heavy=heavy,
        targets={
            "dry_run_seconds": TARGET_SECONDS,
            "peak_rss_mb": TARGET_RSS_MB,
            "ratio": TARGET_RATIO,
        },
    )
    ratio = (heavy or light)["ratio_to_rate_limit_bound"]
    out["meets_targets"] = bool(
        dry["seconds"] <= TARGET_SECONDS
        and dry["peak_rss_mb"] <= TARGET_RSS_MB
        and ratio is not None
        and ratio >= TARGET_RATIO
        and after["mismatches"] == 0
        and (heavy is None or heavy["mismatches_after_apply"] == 0)
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
