"""Throughput and memory of the Shopify sandbox.

Runs the sandbox in a child process (one core) with rate limiting off, drives it over loopback
from this process, and prints requests/s for
  - a typical inventory read: 10 variants by SKU with their levels at every location
    (available, committed, on_hand), the read the connector does before a stock push;
  - a 250-quantity inventorySetQuantities with @idempotent (a full stock push call);
then the RSS of the ``large`` scenario (2 stores x 100,000 variants).  Last line: JSON.
Target (issue 4): >= 300 requests/s; large <= 1 GB RSS.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/queue.py (another benchmark) would shadow the standard library's ``queue``
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import asyncio
import json
import subprocess
import time
import uuid
from typing import Any

import httpx
import psutil

from shopify_odoo.sandbox.catalog import catalogue

READ = """query($q: String!) { productVariants(first: 10, query: $q) { nodes { id sku
  inventoryItem { id inventoryLevels(first: 3) { nodes { location { id }
    quantities(names: ["available", "committed", "on_hand"]) { name quantity } } } } } } }"""
SET = """mutation S($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id } userErrors { code field message } } }"""
SKUS_QUERY = "{ productVariants(first: 250) { nodes { sku inventoryItem { id } } } }"


def start(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "shopify_odoo.sandbox.shopify", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise RuntimeError("the sandbox did not start")
    info: dict[str, Any] = json.loads(line)
    return proc, info


async def load(
    url: str, token: str, make: Any, total: int, server: psutil.Process, concurrency: int = 8
) -> tuple[float, float]:
    """(wall-clock requests/s, requests per CPU-second of the sandbox process) for ``total``
    requests with ``concurrency`` in flight.  The second figure is the one-core capacity and does
    not depend on what else the machine runs (the client shares the machine)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"X-Shopify-Access-Token": token}
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as http:
        counter = iter(range(total))

        async def worker() -> None:
            for i in counter:
                resp = await http.post(url, json=make(i), headers=headers)
                body = resp.json()
                if resp.status_code != 200 or body.get("errors"):
                    raise RuntimeError(f"request {i} failed: {resp.status_code} {str(body)[:300]}")
                data = body["data"]
                if (
                    "inventorySetQuantities" in data
                    and data["inventorySetQuantities"]["userErrors"]
                ):
                    raise RuntimeError(str(data["inventorySetQuantities"]["userErrors"][:2]))

        await worker_warmup(http, url, headers, make)
        c0 = server.cpu_times()
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
        c1 = server.cpu_times()
        cpu = (c1.user - c0.user) + (c1.system - c0.system)
        return total / wall, total / cpu


async def worker_warmup(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], make: Any
) -> None:
    for i in range(20):
        await http.post(url, json=make(10_000_000 + i), headers=headers)


async def throughput() -> dict[str, Any]:
    proc, info = start("--stores", "1", "--scenario", "demo", "--no-rate-limit")
    try:
        store = info["stores"][0]
        url, token = store["graphql_url"], store["access_token"]
        loc = store["locations"][0]["id"]
        async with httpx.AsyncClient() as http:
            nodes = (
                await http.post(
                    url, json={"query": SKUS_QUERY}, headers={"X-Shopify-Access-Token": token}
                )
            ).json()["data"]["productVariants"]["nodes"]
        skus = [n["sku"] for n in nodes]
        items = [n["inventoryItem"]["id"] for n in nodes]  # demo: 144 items

        def read(i: int) -> dict[str, Any]:
            chosen = [skus[(i * 10 + k) % len(skus)] for k in range(10)]
            return {"query": READ, "variables": {"q": " OR ".join(f"sku:{s}" for s in chosen)}}

        # 250 distinct (item, location) pairs: 144 items at the main location + 106 at the 3PL
        pairs = [(it, loc) for it in items] + [
            (it, store["locations"][1]["id"]) for it in items[:106]
        ]

        def push(i: int) -> dict[str, Any]:
            quantities = [
                {
                    "inventoryItemId": it,
                    "locationId": lo,
                    "quantity": (i + k) % 50,
                    "changeFromQuantity": None,
                }
                for k, (it, lo) in enumerate(pairs)
            ]
            return {
                "query": SET,
                "variables": {
                    "key": str(uuid.uuid4()),
                    "input": {
                        "name": "available",
                        "reason": "correction",
                        "referenceDocumentUri": "gid://bench/Push/1",
                        "quantities": quantities,
                    },
                },
            }

        server = psutil.Process(proc.pid)
        read_rps, read_cpu = await load(url, token, read, 1500, server)
        set_rps, set_cpu = await load(url, token, push, 600, server)
        return {
            "inventory_query_rps_per_core": round(read_cpu, 1),
            "set_250_rps_per_core": round(set_cpu, 1),
            "inventory_query_rps_wall": round(read_rps, 1),
            "set_250_rps_wall": round(set_rps, 1),
            "load_average_1m": round(psutil.getloadavg()[0], 2),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def large_rss() -> dict[str, Any]:
    t0 = time.perf_counter()
    proc, info = start("--stores", "2", "--scenario", "large")
    try:
        startup = time.perf_counter() - t0
        rss = psutil.Process(proc.pid).memory_info().rss
        store = info["stores"][0]
        last = [v.sku for p in catalogue("large") for v in p.variants][-1]
        q = f'{{ productVariants(first: 1, query: "sku:{last}") {{ nodes {{ sku }} }} }}'
        t1 = time.perf_counter()
        body = httpx.post(
            store["graphql_url"],
            json={"query": q},
            headers={"X-Shopify-Access-Token": store["access_token"]},
        ).json()
        lookup_ms = (time.perf_counter() - t1) * 1000
        rss = max(rss, psutil.Process(proc.pid).memory_info().rss)
        return {
            "large_rss_mb": round(rss / 2**20, 1),
            "large_startup_s": round(startup, 1),
            "large_sku_lookup_ms": round(lookup_ms, 1),
            "large_lookup_ok": [n["sku"] for n in body["data"]["productVariants"]["nodes"]]
            == [last],
        }
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    figures = asyncio.run(throughput())
    print(
        "typical inventory query (10 variants x 3 levels): "
        f"{figures['inventory_query_rps_per_core']} "
        f"requests per CPU-second ({figures['inventory_query_rps_wall']} requests/s wall clock)"
    )
    print(
        f"inventorySetQuantities with 250 quantities:      {figures['set_250_rps_per_core']} "
        f"requests per CPU-second ({figures['set_250_rps_wall']} requests/s wall clock)"
    )
    print(f"machine load average while measuring: {figures['load_average_1m']}")
    large = large_rss()
    print(
        f"large scenario, 2 stores x 100,000 variants: RSS {large['large_rss_mb']} MB, "
        f"started in {large['large_startup_s']} s"
    )
    figures.update(large)
    figures["target_rps"] = 300
    figures["target_rss_mb"] = 1024
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
