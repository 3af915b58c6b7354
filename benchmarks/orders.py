"""Order import throughput with 20 ms injected in every Odoo call (issue 8 must-show).

Both sandboxes run in this process behind ``httpx.ASGITransport`` (the same apps the servers
run); the Odoo sandbox gets a standing latency fault (``--latency``, default 0.02 s per call,
its control API's ``latency`` fault).  ``--orders`` (default 600) orders of 1-3 lines, mixed
shapes (discount code, taxes included/excluded, shipping, tip) and ~30 % returning customers are
placed in the Shopify sandbox, their ``order`` keys enqueued, and the real queue
:class:`~shopify_odoo.queue.Worker` runs the orders handler (micro-batched) until the queue is
empty.  Stock keys the ledger marks are counted and skipped (not this benchmark's subject).

Prints orders/min, Odoo RPC calls per order (every HTTP request to Odoo, authentication
included), sale orders created and the check that each order has exactly one.  Last line: JSON.

The store's Shopify plan (``--plan``, default ``plus``: 1000 points/s, fact sheet correction 3)
matters: reading an order as Shopify has it now costs GraphQL points, and a Standard store's
100 points/s bound the import below the Odoo side's capacity.  The run prints the points spent
per order and the ceiling each plan's restore rate puts on one store (points/s × 60 / points
per order), so the Odoo-side figure is not mistaken for a per-store promise.  By default the
store's bucket starts full (an idle store: a burst of up to 20 × the restore rate);
``--sustained`` starts it empty, so the run shows the rate a busy store keeps up.

Usage: ``uv run python benchmarks/orders.py [--orders 600] [--latency 0.02] [--seed 1]
[--plan plus]``
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# this folder holds other benchmarks (e.g. queue.py) that would shadow standard modules
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from decimal import Decimal  # noqa: E402

from sqlalchemy import func, select  # noqa: E402
from tests.integration.orders.harness import order_engine  # noqa: E402

from shopify_odoo.engine.dirty import ORDER, STOCK, order_key  # noqa: E402
from shopify_odoo.engine.orders import OrderBatcher, order_handler  # noqa: E402
from shopify_odoo.engine.registry import Registry  # noqa: E402
from shopify_odoo.queue import Lease, Worker, enqueue_many  # noqa: E402
from shopify_odoo.sandbox.odoo.world import Fault  # noqa: E402
from shopify_odoo.sandbox.shopify.cost import LeakyBucket  # noqa: E402
from shopify_odoo.sandbox.shopify.storefront import Cart  # noqa: E402
from shopify_odoo.sandbox.shopify.world import PLANS  # noqa: E402
from shopify_odoo.store.tables import jobs  # noqa: E402


def carts(n: int, skus: list[str], rng: random.Random) -> list[Cart]:
    out = []
    for i in range(n):
        included = rng.random() < 0.5
        email = f"buyer{rng.randrange(max(1, int(n * 0.7)))}@example.com"
        out.append(
            Cart(
                lines=[(sku, rng.randint(1, 3)) for sku in rng.sample(skus, rng.randint(1, 3))],
                email=email,
                tax_rate=Decimal("0.21") if included else Decimal("0.15"),
                taxes_included=included,
                discount_code=("SAVE10", Decimal(10)) if i % 4 == 0 else None,
                tip=Decimal("2.00") if i % 10 == 0 else Decimal(0),
            )
        )
    return out


async def main(
    orders: int, latency: float, seed: int, plan: str, sustained: bool
) -> dict[str, object]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        async with order_engine(Path(tmp), seed=seed) as oe:
            store = oe.store()
            size, restore, _name = PLANS[plan]
            store.plan = plan
            store.bucket = LeakyBucket(size, restore, store.clock)
            skus = sorted({v.sku for v in store.variants.values() if v.sku})[:40]
            for sku in skus:
                for level in store.variants_by_sku(sku)[0].levels:
                    if level is not None:
                        level.available = 10**6
            placed = [oe.place(c) for c in carts(orders, skus, rng)]
            rt = oe.rt
            await rt.topology()
            await oe.sync.reference.get()
            await oe.sync.settings_of("shop1")
            oe.engine.odoo.faults.append(Fault("latency", remaining=None, seconds=latency))
            if sustained:  # an empty bucket: the store's restore rate, not an idle store's burst
                store.bucket.available = 0.0
            skipped = 0

            async def skip(_lease: Lease) -> None:
                nonlocal skipped
                skipped += 1

            registry = Registry()
            batcher = OrderBatcher(oe.sync, window=0.05, max_orders=100)
            registry.register(ORDER, order_handler(rt, batcher))
            registry.register(STOCK, skip)
            async with rt.db.begin() as conn:
                await enqueue_many(
                    conn, [order_key("shop1", f"gid://shopify/Order/{o.id}") for o in placed]
                )
            calls0 = rt.odoo.rpc_calls
            points0 = rt.shop("shop1").budget.points_used
            worker = Worker(rt.db, registry.dispatch, concurrency=200, batch_size=200,
                            poll_interval=0.05)  # fmt: skip
            started = time.perf_counter()
            task = asyncio.create_task(worker.run())
            while True:
                await asyncio.sleep(0.05)
                async with rt.db.connect() as conn:
                    left = (
                        await conn.execute(
                            select(func.count()).select_from(jobs).where(jobs.c.kind == ORDER)
                        )
                    ).scalar_one()
                if left == 0:
                    break
            elapsed = time.perf_counter() - started
            calls = rt.odoo.rpc_calls - calls0
            points = rt.shop("shop1").budget.points_used - points0
            await worker.stop()
            await task
            oe.engine.odoo.faults.clear()
            refs = [f"shop1#{o.number}" for o in placed]
            rows = await rt.odoo.search_read(
                "sale.order", [("client_order_ref", "in", refs)], ["client_order_ref", "state"]
            )
            per_ref: dict[str, int] = {}
            for r in rows:
                per_ref[r["client_order_ref"]] = per_ref.get(r["client_order_ref"], 0) + 1
            exactly_once = all(per_ref.get(ref) == 1 for ref in refs)
            confirmed = sum(1 for r in rows if r["state"] == "sale")
            return {
                "orders": orders,
                "latency_s": latency,
                "seconds": round(elapsed, 2),
                "orders_per_min": round(orders / elapsed * 60, 1),
                "odoo_calls": calls,
                "odoo_calls_per_order": round(calls / orders, 3),
                "batches": batcher.passes,
                "sale_orders": len(rows),
                "confirmed": confirmed,
                "exactly_once": exactly_once,
                "stock_jobs_skipped": skipped,
                "shopify_plan": plan,
                "shopify_bucket": "empty at start" if sustained else "full at start",
                "shopify_points_per_order": round(points / orders, 1),
                **{
                    f"store_ceiling_per_min_{name}": round(rate * 60 / (points / orders))
                    for name, (_size, rate, _n) in PLANS.items()
                },
            }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=600)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plan", choices=sorted(PLANS), default="plus")
    parser.add_argument(
        "--sustained", action="store_true", help="start with an empty Shopify bucket"
    )
    args = parser.parse_args()
    result = asyncio.run(main(args.orders, args.latency, args.seed, args.plan, args.sustained))
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    print(json.dumps(result))
