"""Webhook receiver throughput: signed deliveries accepted per second, SQLite and PostgreSQL.

Run from the project root: ``uv run python benchmarks/webhooks.py [--deliveries N]``.

What is measured: the whole accept path of ``POST /webhooks/shopify/<store>`` (HMAC check over
the raw body, parse into a typed event, store in the inbox once by webhook id and enqueue the
dirty keys in the same transaction, answer 200) served by a real uvicorn server (httptools
parser, picked by uvicorn as in ``shopify-odoo run``; with h11 it accepted ~20 % fewer) on
loopback, in its own process pinned to one core.  The load generator is another process
on the other core: a minimal HTTP/1.1 keep-alive client over raw sockets
(``--connections`` concurrent connections, requests pre-signed before the clock starts), so
the client is not the bottleneck.  ``--profile PREFIX`` writes the server's cProfile.

Deliveries: half ``orders/create`` (an order key plus a stock key through the product link of
its variant), half ``inventory_levels/update`` (a stock key through the link of its inventory
item), and ``--duplicates`` of them re-sent with the same webhook id (answered 200, not
stored again).  After the run the database is checked: the inbox holds exactly one row per
distinct webhook id and every delivery was answered 200.

The last line printed is a JSON object with every figure.  PostgreSQL: SHOPIFY_ODOO_TEST_PG_URL
(default postgresql://127.0.0.1:5432/test), a private schema dropped afterwards.
"""

# ruff: noqa: E402
from __future__ import annotations

import os
import sys

# benchmarks/queue.py shadows the standard library's ``queue`` when this folder is first on
# sys.path (as it is for a script): take it off before anything imports ``queue``.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import multiprocessing as mp
import platform
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

PG_URL = os.environ.get("SHOPIFY_ODOO_TEST_PG_URL", "postgresql://127.0.0.1:5432/test")
SECRET = "bench-client-secret"
SHOP = "bench-eu.myshopify.com"
PRODUCTS = 500

CONFIG: dict[str, Any] = {
    "odoo": {"url": "http://127.0.0.1:1", "database": "db", "login": "bot", "api_key": "k"},
    "stores": [{"handle": "eu", "shop_domain": SHOP, "client_id": "cid", "client_secret": SECRET}],
    "location_map": [{"store": "eu", "shopify_location": "Online", "odoo_locations": ["WH/Stock"]}],
    "sync": {"webhook_base_url": "https://connector.example.com"},
}


# -- server process ----------------------------------------------------------------------------


def _pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {cpu % (os.cpu_count() or 1)})


def _http_impl() -> str:
    """The HTTP parser uvicorn picks with ``http="auto"`` (httptools is a dependency)."""
    import importlib.util

    return "httptools" if importlib.util.find_spec("httptools") else "h11"


def serve(url: str, port_out: Any, stop_in: Any, profile: str | None = None) -> None:
    _pin(0)
    if not profile:
        asyncio.run(_serve(url, port_out, stop_in))
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        asyncio.run(_serve(url, port_out, stop_in))
    finally:
        profiler.disable()
        profiler.dump_stats(profile)


async def _serve(url: str, port_out: Any, stop_in: Any) -> None:
    import uvicorn

    from shopify_odoo.config import settings_from_mapping
    from shopify_odoo.store.database import open_database
    from shopify_odoo.web.app import create_app

    settings = settings_from_mapping(CONFIG)
    db = await open_database(url, pool_size=5)
    app = create_app(settings, db)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.01)
    port_out.send(server.servers[0].sockets[0].getsockname()[1])
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, stop_in.recv)
    server.should_exit = True
    await task
    await db.dispose()


# -- load generator ----------------------------------------------------------------------------


def _request(body: bytes, topic: str, webhook_id: str) -> bytes:
    digest = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    head = (
        "POST /webhooks/shopify/eu HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Shopify-Topic: {topic}\r\n"
        f"X-Shopify-Hmac-Sha256: {digest}\r\n"
        f"X-Shopify-Shop-Domain: {SHOP}\r\n"
        f"X-Shopify-Webhook-Id: {webhook_id}\r\n"
        "X-Shopify-API-Version: 2026-04\r\n"
        "X-Shopify-Triggered-At: 2026-11-23T10:00:00.000000000Z\r\n"
        "\r\n"
    )
    return head.encode() + body


def build_requests(n: int, duplicates: float, seed: int) -> tuple[list[bytes], int]:
    rng = random.Random(seed)
    requests: list[bytes] = []
    distinct = 0
    for i in range(n):
        if requests and rng.random() < duplicates:
            requests.append(requests[rng.randrange(len(requests))])
            continue
        distinct += 1
        product = rng.randrange(PRODUCTS)
        if i % 2:
            body = json.dumps(
                {
                    "id": 5_000_000 + i,
                    "admin_graphql_api_id": f"gid://shopify/Order/{5_000_000 + i}",
                    "name": f"#{1000 + i}",
                    "currency": "EUR",
                    "line_items": [
                        {
                            "id": 9_000_000 + i,
                            "variant_id": 1_000 + product,
                            "sku": f"SKU-{product}",
                            "quantity": 1,
                            "price": "10.00",
                        }
                    ],
                }
            ).encode()
            topic = "orders/create"
        else:
            body = json.dumps(
                {
                    "inventory_item_id": 2_000 + product,
                    "location_id": 77,
                    "available": rng.randrange(50),
                    "updated_at": "2026-11-23T10:00:00+00:00",
                }
            ).encode()
            topic = "inventory_levels/update"
        requests.append(_request(body, topic, str(uuid.UUID(int=rng.getrandbits(128)))))
    return requests, distinct


def load(port: int, requests: list[bytes], connections: int, result_out: Any) -> None:
    _pin(1)
    result_out.send(asyncio.run(_load(port, requests, connections)))


async def _load(port: int, requests: list[bytes], connections: int) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    next_index = 0

    async def connection() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while next_index < len(requests):
                req = requests[next_index]
                next_index += 1
                started = time.perf_counter()
                writer.write(req)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "elapsed": elapsed,
        "statuses": statuses,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


# -- one run -----------------------------------------------------------------------------------


async def prepare(url: str) -> None:
    from shopify_odoo.config import settings_from_mapping
    from shopify_odoo.engine.inbox import register_stores
    from shopify_odoo.store import migrate
    from shopify_odoo.store.database import open_database
    from shopify_odoo.store.tables import product_links
    from shopify_odoo.store.types import utcnow

    await migrate.upgrade(url)
    db = await open_database(url)
    await register_stores(db, settings_from_mapping(CONFIG))
    now = utcnow()
    async with db.begin() as conn:
        await conn.execute(
            product_links.insert(),
            [
                {
                    "store": "eu",
                    "odoo_product_id": 10_000 + p,
                    "variant_gid": f"gid://shopify/ProductVariant/{1_000 + p}",
                    "inventory_item_gid": f"gid://shopify/InventoryItem/{2_000 + p}",
                    "sku": f"SKU-{p}",
                    "matched_by": "sku",
                    "status": "linked",
                    "linked_at": now,
                    "updated_at": now,
                }
                for p in range(PRODUCTS)
            ],
        )
    await db.dispose()


async def count_inbox(url: str) -> tuple[int, int]:
    from sqlalchemy import func, select

    from shopify_odoo.store.database import open_database
    from shopify_odoo.store.tables import jobs, webhook_inbox

    db = await open_database(url)
    async with db.connect() as conn:
        inbox = (await conn.execute(select(func.count()).select_from(webhook_inbox))).scalar_one()
        queued = (await conn.execute(select(func.count()).select_from(jobs))).scalar_one()
    await db.dispose()
    return int(inbox), int(queued)


def run_one(url: str, args: argparse.Namespace) -> dict[str, Any]:
    asyncio.run(prepare(url))
    requests, distinct = build_requests(args.deliveries, args.duplicates, args.seed)
    ctx = mp.get_context("spawn")
    port_recv, port_send = ctx.Pipe(duplex=False)
    stop_recv, stop_send = ctx.Pipe(duplex=False)
    profile = f"{args.profile}.{url.split(':', 1)[0]}.prof" if args.profile else None
    server = ctx.Process(target=serve, args=(url, port_send, stop_recv, profile))
    server.start()
    try:
        port = port_recv.recv()
        # warm-up (not timed, distinct ids of their own)
        warm, _ = build_requests(200, 0.0, args.seed + 1)
        res_recv, res_send = ctx.Pipe(duplex=False)
        warmer = ctx.Process(target=load, args=(port, warm, 8, res_send))
        warmer.start()
        res_recv.recv()
        warmer.join()
        res_recv, res_send = ctx.Pipe(duplex=False)
        client = ctx.Process(target=load, args=(port, requests, args.connections, res_send))
        client.start()
        result = res_recv.recv()
        client.join()
    finally:
        stop_send.send("stop")
        server.join(timeout=30)
        if server.is_alive():
            server.kill()
    inbox, queued = asyncio.run(count_inbox(url))
    ok = result["statuses"].get(200, 0)
    return {
        "deliveries": len(requests),
        "distinct": distinct,
        "accepted_per_second": round(len(requests) / result["elapsed"], 1),
        "elapsed_seconds": round(result["elapsed"], 3),
        "statuses": {str(k): v for k, v in sorted(result["statuses"].items())},
        "latency_p50_ms": round(result["p50_ms"], 2),
        "latency_p99_ms": round(result["p99_ms"], 2),
        "inbox_rows": inbox - 200,
        "inbox_exact": inbox - 200 == distinct and ok == len(requests),
        "jobs_queued": queued,
    }


def _pg_schema(action: str, schema: str) -> None:
    import asyncpg

    async def go() -> None:
        conn = await asyncpg.connect(PG_URL)
        try:
            if action == "create":
                await conn.execute(f'CREATE SCHEMA "{schema}"')
            else:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()

    asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duplicates", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--profile",
        metavar="PREFIX",
        help="write the server's cProfile to PREFIX.<backend>.prof (slows it: figures not judged)",
    )
    args = parser.parse_args()
    args.deliveries = max(100, min(args.deliveries, 500_000))  # bounded loops
    results: dict[str, Any] = {
        "mode": f"uvicorn ({_http_impl()}, as `shopify-odoo run` serves) on loopback, server "
        "pinned to one core; raw-socket keep-alive load generator in another process",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            results["sqlite"] = run_one(url, args)
            print("sqlite:", json.dumps(results["sqlite"]), flush=True)
    if args.backend in ("postgresql", "both"):
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        try:
            _pg_schema("create", schema)
        except Exception as exc:
            results["postgresql"] = {"skipped": f"PostgreSQL not reachable: {exc}"}
        else:
            try:
                results["postgresql"] = run_one(f"{PG_URL}?schema={schema}", args)
                print("postgresql:", json.dumps(results["postgresql"]), flush=True)
            finally:
                _pg_schema("drop", schema)
    results["target_per_second"] = 1000
    print(json.dumps(results))


if __name__ == "__main__":
    main()
