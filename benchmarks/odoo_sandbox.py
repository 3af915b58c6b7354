"""Odoo sandbox throughput and memory (issue 5 must-show).

Starts the sandbox in a child process with the ``large`` scenario (100,000 variants with
quants in 3 warehouses), then measures from this process over loopback JSON-RPC:

* calls/s of a 200-record ``search_read`` (target >= 300 on one core);
* calls/s of ``read_group`` over the ~100,000 quants of one warehouse;
* the child's RSS (target <= 1 GB).

Usage: ``uv run python benchmarks/odoo_sandbox.py [--seconds 5] [--scenario large]``.
The last line printed is a JSON object.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/ holds a queue.py that would shadow the standard library's queue module
# (multiprocessing needs it) when this file runs as a script: drop the script folder.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import asyncio
import http.client
import json
import multiprocessing as mp
import time
from typing import Any

import psutil


def _serve(version: str, scenario: str, queue: Any) -> None:
    from shopify_odoo.sandbox.odoo import run_odoo_sandbox

    async def main() -> None:
        started = time.perf_counter()
        async with run_odoo_sandbox(version=version, scenario=scenario) as handle:  # type: ignore[arg-type]
            queue.put((handle.url, handle.password, time.perf_counter() - started))
            await asyncio.Event().wait()  # until the parent terminates us

    asyncio.run(main())


def _full_rss(version: str, queue: Any) -> None:
    """Worst case for memory: the large scenario with a quant for every product in every one
    of the 3 warehouses (the seeded catalogue leaves some stock levels at zero)."""
    import gc

    from shopify_odoo.sandbox.odoo import build_world

    world = build_world(version, "large")
    quants = world.models["stock.quant"].table
    stocks = [w["lot_stock_id"] for w in world.models["stock.warehouse"].table.rows.values()]
    stocks = [loc for loc in stocks if world.models["stock.location"].row(loc)["company_id"] == 1]
    template = dict(next(iter(quants.rows.values())))
    template.pop("id", None)
    have = {(r["product_id"], r["location_id"]) for r in quants.rows.values()}
    products = [
        pid for pid, r in world.models["product.product"].table.rows.items() if r["default_code"]
    ]
    for pid in products:
        for loc in stocks:
            if (pid, loc) not in have:
                quants.insert({**template, "product_id": pid, "location_id": loc, "quantity": 1.0})
    gc.collect()
    queue.put((len(products), len(stocks), len(quants), psutil.Process().memory_info().rss))


class _Client:
    """A keep-alive stdlib HTTP client: cheap on the client side, so the figure is the
    sandbox's (httpx costs about as much per call as the sandbox itself)."""

    def __init__(self, url: str) -> None:
        host, port = url.split("//", 1)[1].rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def post(self, path: str, body: Any) -> Any:
        payload = json.dumps(body).encode()
        self.conn.request("POST", path, payload, {"Content-Type": "application/json"})
        response = self.conn.getresponse()
        return json.loads(response.read())

    def close(self) -> None:
        self.conn.close()


def _call(
    client: _Client, password: str, model: str, method: str, args: list[Any], kwargs: dict[str, Any]
) -> Any:
    body = {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 1,
        "params": {
            "service": "object",
            "method": "execute_kw",
            "args": ["sandbox", 2, password, model, method, args, kwargs],
        },
    }
    data = client.post("/jsonrpc", body)
    if "error" in data:
        raise RuntimeError(data["error"]["data"]["message"])
    return data.get("result")


def _rate(seconds: float, fn: Any) -> tuple[float, int]:
    calls = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline and calls < 1_000_000:
        fn()
        calls += 1
    return calls / (time.perf_counter() - start), calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--scenario", default="large")
    parser.add_argument("--version", default="17.0")
    opts = parser.parse_args()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_serve, args=(opts.version, opts.scenario, queue), daemon=True)
    child.start()
    try:
        url, password, seed_seconds = queue.get(timeout=600)
        rss = psutil.Process(child.pid).memory_info().rss
        client = _Client(url)
        try:
            skus = [
                r["default_code"]
                for r in _call(
                    client,
                    password,
                    "product.product",
                    "search_read",
                    [[("default_code", "like", "JACKET-")]],
                    {"fields": ["default_code"], "limit": 200},
                )
            ]
            fields = [
                "default_code",
                "barcode",
                "lst_price",
                "active",
                "write_date",
                "product_tmpl_id",
            ]
            by_sku = [[("default_code", "in", skus)]]
            assert (
                len(
                    _call(
                        client,
                        password,
                        "product.product",
                        "search_read",
                        by_sku,
                        {"fields": fields},
                    )
                )
                == 200
            )
            server = psutil.Process(child.pid)
            cpu_before = sum(server.cpu_times()[:2])
            sr_rate, sr_calls = _rate(
                opts.seconds,
                lambda: _call(
                    client, password, "product.product", "search_read", by_sku, {"fields": fields}
                ),
            )
            # the server's own CPU per call: its capacity on one core, whatever the client
            # and the other processes on the machine cost
            cpu_per_call = (sum(server.cpu_times()[:2]) - cpu_before) / max(sr_calls, 1)
            page = [0]

            def paged() -> None:
                page[0] = (page[0] + 200) % 50_000
                _call(
                    client,
                    password,
                    "product.product",
                    "search_read",
                    [[]],
                    {"fields": fields, "offset": page[0], "limit": 200, "order": "id"},
                )

            page_rate, _ = _rate(opts.seconds, paged)
            # read_group over every quant of the 3 warehouses (>= 100,000 quants): per
            # location, then the connector's §3.4 recipe (per product in one warehouse)
            domain = [[("location_id.usage", "=", "internal")]]
            quants = _call(client, password, "stock.quant", "search_count", domain, {})
            rg_args = [domain[0], ["quantity:sum", "reserved_quantity:sum"], ["location_id"]]
            rg_rate, _ = _rate(
                opts.seconds,
                lambda: _call(client, password, "stock.quant", "read_group", rg_args, {}),
            )
            wh = _call(
                client,
                password,
                "stock.warehouse",
                "search_read",
                [[("code", "=", "WH")]],
                {"fields": ["view_location_id"]},
            )[0]
            wh_domain = [("location_id", "child_of", wh["view_location_id"][0])]
            wh_quants = _call(client, password, "stock.quant", "search_count", [wh_domain], {})
            # §3.4 recipe, one batch: the quants of 200 products in one warehouse, per product
            chunk = _call(
                client,
                password,
                "stock.quant",
                "search_read",
                [wh_domain],
                {"fields": ["product_id"], "limit": 200, "order": "id"},
            )
            chunk_ids = sorted({r["product_id"][0] for r in chunk})
            by_product = [
                [*wh_domain, ("product_id", "in", chunk_ids)],
                ["product_id", "quantity:sum", "reserved_quantity:sum"],
                ["product_id"],
            ]
            groups = [0]

            def per_product() -> None:
                groups[0] = len(
                    _call(client, password, "stock.quant", "read_group", by_product, {})
                )

            rg_product_rate, _ = _rate(opts.seconds, per_product)
            products = _call(client, password, "product.product", "search_count", [[]], {})
        finally:
            client.close()
        rss = max(rss, psutil.Process(child.pid).memory_info().rss)
    finally:
        child.terminate()
        child.join(10)
    full = ctx.Process(target=_full_rss, args=(opts.version, queue), daemon=True)
    full.start()
    full_products, full_warehouses, full_quants, full_rss = queue.get(timeout=600)
    full.join(30)
    result = {
        "scenario": opts.scenario,
        "version": opts.version,
        "products": products,
        "seed_seconds": round(seed_seconds, 2),
        "search_read_200_calls_per_s": round(sr_rate, 1),
        "search_read_200_server_cpu_ms": round(cpu_per_call * 1000, 3),
        "search_read_200_one_core_capacity_per_s": round(1 / cpu_per_call, 1),
        "search_read_calls": sr_calls,
        "search_read_200_paged_calls_per_s": round(page_rate, 1),
        "read_group_quants": quants,
        "read_group_calls_per_s": round(rg_rate, 2),
        "read_group_by_product_quants": wh_quants,
        "read_group_by_product_groups": groups[0],
        "read_group_by_product_calls_per_s": round(rg_product_rate, 2),
        "rss_mb": round(rss / 2**20, 1),
        "full_stock_products": full_products,
        "full_stock_warehouses": full_warehouses,
        "full_stock_quants": full_quants,
        "full_stock_rss_mb": round(full_rss / 2**20, 1),
        "cpu_count": psutil.cpu_count(),
        "load_average_1m": round(psutil.getloadavg()[0], 2),
        "targets_met": max(sr_rate, 1 / cpu_per_call) >= 300 and max(rss, full_rss) <= 2**30,
    }
    print(f"search_read 200 records (by SKU): {sr_rate:.0f} calls/s measured end to end")
    print(
        f"  server CPU {cpu_per_call * 1000:.2f} ms per call = {1 / cpu_per_call:.0f} calls/s "
        "on one core (target >= 300)"
    )
    print(f"search_read 200 records (paged): {page_rate:.0f} calls/s")
    print(f"read_group over {quants} quants (3 warehouses, by location): {rg_rate:.1f} calls/s")
    print(
        f"read_group by product, 200 products of WH's {wh_quants} quants ({groups[0]} groups): "
        f"{rg_product_rate:.2f} calls/s"
    )
    print(f"RSS with {products} products and quants in 3 warehouses: {rss / 2**20:.0f} MB")
    print(
        f"RSS with a quant for each of {full_products} products in each of {full_warehouses} "
        f"warehouses ({full_quants} quants, in-process world): {full_rss / 2**20:.0f} MB"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
