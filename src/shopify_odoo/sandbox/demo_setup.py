"""The connector on local sandboxes, set up as a merchant would (the demo and the benchmarks).

``async with connector_on_sandboxes(...) as env`` starts the Shopify sandbox (two stores) and the
Odoo 17 sandbox, writes a configuration for them, migrates a fresh SQLite state database,
links every variant by SKU, reconciles every level, subscribes the stores' webhooks (and, when
asked, an Odoo automation rule) and runs the connector (receiver, worker, pollers) in this
process until the block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from shopify_odoo.config import Settings, settings_from_mapping
from shopify_odoo.engine.assembly import engine_parts
from shopify_odoo.engine.inbox import register_stores
from shopify_odoo.engine.links import apply_links, plan_links_now, stored_links
from shopify_odoo.engine.runner import RunOptions, run_process
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.engine.stock import sync_products
from shopify_odoo.sandbox.demo_config import demo_config, free_port, order_settings, write_config
from shopify_odoo.sandbox.launcher import Sandboxes, run_sandboxes
from shopify_odoo.sandbox.odoo.driver import OdooSandboxDriver
from shopify_odoo.store import migrate
from shopify_odoo.store.database import Database, open_database
from shopify_odoo.web.dashboard import PREFIX, create_site
from shopify_odoo.web.passwords import hash_password

log = logging.getLogger(__name__)

#: the Shopify topics the connector subscribes to (stock, orders, catalogue)
TOPICS = (
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_CANCELLED",
    "INVENTORY_LEVELS_UPDATE",
    "PRODUCTS_UPDATE",
)
#: Odoo models whose automation rule posts to /webhooks/odoo (with their product)
ODOO_WEBHOOK_MODELS = ("stock.move.line", "stock.quant")


@dataclass
class ConnectorEnv:
    sandboxes: Sandboxes
    settings: Settings
    db: Database
    rt: Runtime
    base_url: str
    odoo: OdooSandboxDriver
    config_path: Path


async def linked_products(db: Database) -> list[int]:
    async with db.connect() as conn:
        return sorted({lk.product_id for lk in await stored_links(conn)})


@dataclass(frozen=True)
class Dashboard:
    """Where the web app (dashboard, receiver, metrics) is served and how to log in."""

    url: str
    password: str


async def _order_ids(odoo: OdooSandboxDriver) -> dict[str, int]:
    """Ids of what the order settings name in the sandbox Odoo (its seeded tax and product)."""
    taxes = await odoo.read("account.tax", [("name", "=", "21% incl.")], ["id"])
    ship = await odoo.read("product.product", [("default_code", "=", "SHIP-STD")], ["id"])
    return {"shipping_product_id": ship[0]["id"], "tax_21_included_id": taxes[0]["id"]}


@contextlib.asynccontextmanager
async def serve_app(app: Any, port: int) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1:``port`` until the block ends; yields the base URL."""
    server = _QuietServer(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
        )
    )
    task = asyncio.create_task(server.serve(), name="demo-web")
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError(f"the web app could not listen on 127.0.0.1:{port}")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers (Ctrl+C belongs to the demo)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def connector_on_sandboxes(
    workdir: Path,
    *,
    plan: str = "plus",
    seed: int = 1,
    odoo_webhook: bool = True,
    import_orders: bool = True,
    sync_overrides: dict[str, Any] | None = None,
    say: Callable[[str], None] = lambda _text: None,
    on_dashboard: Callable[[Dashboard], None] = lambda _d: None,
    concurrency: int = 16,
) -> AsyncIterator[ConnectorEnv]:
    """The sandboxes and the connector on them, set up as a merchant would (module doc).

    The web app (:func:`web.dashboard.create_site`: receiver, ``/metrics`` and the dashboard)
    is served as soon as the state database exists, before linking; ``on_dashboard`` is called
    then with the dashboard's URL and the password of this run.
    """
    workdir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (start-up only)
    db_path = workdir / "state.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)  # noqa: ASYNC240 (start-up only)
    async with run_sandboxes(
        stores=2, scenario="demo", odoo_version="17", seed=seed, plan=plan
    ) as sb:
        info = sb.info()
        handles = [s["handle"] for s in info["shopify"]["stores"]]
        say(
            f"  ✓ Shopify sandbox: stores {', '.join(handles)} ({plan} plan) sharing one "
            "catalogue (144 variants; locations Main Warehouse, 3PL Fulfilment, Retail Store)"
        )
        say(
            f"  ✓ Odoo {info['odoo']['version']} sandbox at {info['odoo']['url']} "
            "(warehouses WH main, 3PL, SHOP retail)"
        )
        odoo = OdooSandboxDriver(sb.odoo.url)
        try:
            port = free_port()
            secret = secrets.token_urlsafe(18)
            password = f"demo-{secrets.token_hex(4)}"  # this run only; printed for the login
            config_path = workdir / "shopify-odoo.toml"
            orders = order_settings(**await _order_ids(odoo)) if import_orders else None
            data = demo_config(
                info,
                database_url=f"sqlite+aiosqlite:///{db_path}",
                port=port,
                odoo_secret=secret,
                dashboard_password_hash=hash_password(password),
                session_secret=secrets.token_urlsafe(32),
                orders=orders,
            )
            data["sync"].update(sync_overrides or {})
            settings = settings_from_mapping(data, source=config_path)
            write_config(config_path, data)
            say(f"  ✓ Configuration written to {config_path}")
            await migrate.upgrade(settings.database_url)
            db = await open_database(settings.database_url, pool_size=10)
            stack = contextlib.AsyncExitStack()
            try:
                say(f"  ✓ State database {db.redacted_url} created")
                await register_stores(db, settings)
                rt = await Runtime.open(settings, db=db, connect_odoo=True)
                stack.push_async_callback(rt.aclose)  # also closed by the engine: harmless
                async with serve_app(create_site(rt), port) as base:
                    on_dashboard(Dashboard(f"{base}{PREFIX}/", password))
                    await _link_and_reconcile(rt, db, say)
                    await _subscribe(rt, odoo, base, secret, odoo_webhook, say)
                    env = ConnectorEnv(sb, settings, db, rt, base, odoo, config_path)
                    async with _engine(rt, db, concurrency):
                        say(
                            f"  ✓ Connector running (worker, Odoo and order pollers, receiver "
                            f"{base}/webhooks/…, metrics {base}/metrics)"
                        )
                        yield env
            finally:
                await stack.aclose()
                await db.dispose()
        finally:
            await odoo.aclose()


async def _subscribe(
    rt: Runtime,
    odoo: OdooSandboxDriver,
    base: str,
    secret: str,
    odoo_webhook: bool,
    say: Callable[[str], None],
) -> None:
    for handle in rt.shops:
        for topic in TOPICS:
            await rt.shop(handle).create_webhook_subscription(
                topic, f"{base}/webhooks/shopify/{handle}"
            )
    if odoo_webhook:
        for model in ODOO_WEBHOOK_MODELS:
            await odoo.add_webhook(
                model, f"{base}/webhooks/odoo?token={secret}", fields=["product_id"]
            )
    say(
        f"  ✓ Webhooks: {len(TOPICS)} topics per store"
        + (" and an Odoo automation rule" if odoo_webhook else "")
        + f" → {base}"
    )


@contextlib.asynccontextmanager
async def _engine(rt: Runtime, db: Database, concurrency: int) -> AsyncIterator[None]:
    """Worker and pollers of ``shopify-odoo run`` (the web app is served by the caller)."""
    stop = asyncio.Event()
    options = RunOptions(serve_http=False, concurrency=concurrency, grace=10.0)
    runner = asyncio.create_task(run_process(db, engine_parts(rt), options, stop))
    await asyncio.sleep(0)
    if runner.done():
        runner.result()
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(runner), options.grace + 20)
        except TimeoutError:
            log.warning(
                "the connector did not stop within %.0fs; cancelling it", options.grace + 20
            )
            runner.cancel()
            with contextlib.suppress(BaseException):
                await runner
        except Exception:
            log.exception("the connector stopped with an error")


async def _link_and_reconcile(rt: Runtime, db: Database, say: Callable[[str], None]) -> None:
    started = time.monotonic()
    run = await plan_links_now(rt)
    await apply_links(rt, run)
    links = sum(len(sp.links) for sp in run.plan.stores)
    problems = sum(len(sp.problems) for sp in run.plan.stores) + len(run.plan.problems)
    say(
        f"  ✓ Linked {links} variants to their Odoo products by SKU "
        f"({problems} problem(s)) in {time.monotonic() - started:.1f}s"
    )
    started = time.monotonic()
    first = await sync_products(rt, await linked_products(db))
    say(
        f"  ✓ Reconciled {first.products} products: {first.mismatches} level(s) differed from "
        f"Odoo, {first.writes_applied} written in {time.monotonic() - started:.1f}s"
    )
