"""HTTP servers: one Admin API server per store (its own port), plus the control server; and
:func:`run_shopify_sandbox`, the public entry point."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shopify_odoo.sandbox.catalog import Scenario

from ..asgi import read_body
from . import bulk as bulk_mod
from .clock import Clock
from .gql import run_graphql, schema
from .ids import gid
from .inventory import merchant_set
from .model import Order
from .oauth import INVALID_TOKEN_BODY, access_token, authorize, check_token
from .resolvers_admin import BULK_TASKS
from .storefront import Cart, cancel_order, fulfil, place_order
from .webhooks import Outbox
from .world import Store, World

log = logging.getLogger(__name__)

#: Stable versions served around the schema's time (§g: each supported ≥ 12 months).
SUPPORTED_VERSIONS = ("2025-10", "2026-01", "2026-04", "2026-07")
_VERSION = re.compile(r"^\d{4}-(01|04|07|10)$")
INTERNAL_ERROR = "Internal error. Looks like something went wrong on our end."


def effective_version(requested: str) -> str | None:
    """The version that serves ``requested``: itself when supported; an older, no longer
    supported one falls forward to the oldest supported (§d.4 / §g "Shopify falls forward");
    an unknown string → None (404)."""
    if requested in SUPPORTED_VERSIONS or requested == "unstable":
        return requested
    if not _VERSION.match(requested):
        return None
    for v in SUPPORTED_VERSIONS:
        if v >= requested:
            return v
    return None


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    raw = json.dumps(body, separators=(",", ":")).encode()
    return Response(raw, status_code=status, media_type="application/json", headers=headers)


_GRAPHQL_PATH = re.compile(r"^/admin/api/([^/]+)/graphql\.json$")
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]


def graphql_answer(
    world: World,
    store: Store,
    requested_version: str,
    token: str | None,
    content_type: str,
    raw: bytes,
) -> tuple[int, dict[str, str], Any]:
    """The Admin GraphQL endpoint without the web framework: (status, headers, JSON body).
    Faults that wait (slow_seconds) are applied by the caller."""
    version = effective_version(requested_version)
    if version is None:
        return 404, {}, {"errors": "Not Found"}
    headers = {"X-Shopify-API-Version": version, "X-Request-Id": str(uuid.uuid4())}
    if not check_token(world, store, token):
        return 401, headers, INVALID_TOKEN_BODY  # correction 20
    faults = store.faults
    if faults.http_errors > 0:
        faults.http_errors -= 1
        return faults.http_status, headers, {"errors": INTERNAL_ERROR}
    if "application/graphql" in content_type:
        payload: Any = {"query": raw.decode(errors="replace")}
    else:
        try:
            payload = json.loads(raw or b"null")
        except ValueError:
            payload = None
    if not isinstance(payload, dict) or "query" not in payload:
        return 400, headers, {"errors": {"query": "Required parameter missing or invalid"}}
    body = run_graphql(
        world,
        store,
        version,
        payload.get("query"),
        payload.get("variables"),
        payload.get("operationName"),
    )
    return 200, headers, body


def store_app(world: World, store: Store) -> ASGIApp:
    """One store's HTTP app.  The GraphQL endpoint, the hot path of every benchmark, is served
    as plain ASGI in front of Starlette (about 0.1 ms less per request); the rest is Starlette."""

    async def graphql_asgi(scope: Any, receive: Any, send: Any, version: str) -> None:
        token: str | None = None
        content_type = ""
        for key, value in scope["headers"]:
            if key == b"x-shopify-access-token":
                token = value.decode("latin-1")
            elif key == b"content-type":
                content_type = value.decode("latin-1")
        if store.faults.slow_seconds > 0 and effective_version(version) is not None:
            await asyncio.sleep(store.faults.slow_seconds)
        body = await read_body(receive)
        if body is None:
            return
        status, headers, body = graphql_answer(world, store, version, token, content_type, body)
        raw = json.dumps(body, separators=(",", ":")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(raw)).encode()),
                    *((k.lower().encode(), v.encode()) for k, v in headers.items()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": raw})

    async def token_endpoint(request: Request) -> Response:
        return await access_token(world, store, request)

    async def authorize_endpoint(request: Request) -> Response:
        return await authorize(world, store, request)

    async def bulk_file(request: Request) -> Response:
        op = store.bulk_operations.get(int(request.path_params["op_id"]))
        if op is None or op.status != "COMPLETED":
            return _json({"errors": "Not Found"}, 404)
        return Response(op.data, media_type="application/jsonl")

    async def graphql_endpoint(request: Request) -> Response:
        # the same answer through Starlette (only reached if the plain-ASGI path is bypassed;
        # the route also gives other methods Starlette's 405)
        if store.faults.slow_seconds > 0:
            await asyncio.sleep(store.faults.slow_seconds)
        status, headers, body = graphql_answer(
            world,
            store,
            request.path_params["version"],
            request.headers.get("x-shopify-access-token"),
            request.headers.get("content-type", ""),
            await request.body(),
        )
        return _json(body, status, headers)

    rest = Starlette(
        routes=[
            Route("/admin/api/{version}/graphql.json", graphql_endpoint, methods=["POST"]),
            Route("/admin/oauth/access_token", token_endpoint, methods=["POST"]),
            Route("/admin/oauth/authorize", authorize_endpoint, methods=["GET"]),
            Route("/_bulk/{op_id:int}.jsonl", bulk_file, methods=["GET"]),
        ]
    )

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            match = _GRAPHQL_PATH.match(scope["path"])
            if match:
                await graphql_asgi(scope, receive, send, match.group(1))
                return
        await rest(scope, receive, send)

    return app


class _Server(uvicorn.Server):
    """uvicorn inside an existing event loop: no signal handlers of its own."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(app: Any, host: str, port: int) -> tuple[_Server, asyncio.Task[None], int]:
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises the bind error
            raise RuntimeError(f"the sandbox server on {host}:{port} stopped before starting")
        await asyncio.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    return server, task, int(bound)


class ShopifySandbox:
    """A running sandbox: direct access to the in-memory world for in-process tests."""

    def __init__(self, world: World, outbox: Outbox, host: str) -> None:
        self.world = world
        self.outbox = outbox
        self.host = host
        self.control_url = ""

    @property
    def stores(self) -> list[Store]:
        return list(self.world.stores.values())

    def store(self, handle: str | None = None) -> Store:
        if handle is None:
            return self.stores[0]
        try:
            return self.world.stores[handle]
        except KeyError:
            raise KeyError(
                f"no sandbox store {handle!r}: stores are {', '.join(self.world.stores)}"
            ) from None

    def info(self) -> dict[str, Any]:
        return {
            "stores": [
                {
                    "handle": s.handle,
                    "admin_url": s.base_url,
                    "graphql_url": f"{s.base_url}/admin/api/2026-04/graphql.json",
                    "access_token": s.access_token,
                    "webhook_secret": s.client_secret,
                    "plan": s.plan,
                    "locations": [
                        {"id": gid("Location", loc.id), "name": loc.name} for loc in s.locations
                    ],
                    "client_id": s.client_id,
                    "client_secret": s.client_secret,
                    "shop_domain": s.domain,
                }
                for s in self.stores
            ],
            "control_url": self.control_url,
        }

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until every webhook is delivered (or given up) and bulk operations finished."""
        while BULK_TASKS:
            await asyncio.gather(*list(BULK_TASKS), return_exceptions=True)
        await self.outbox.drain(timeout)

    # merchant and storefront actions (same effects and webhooks as the control API)
    def place_order(self, handle: str | None, lines: list[tuple[str, int]], **cart: Any) -> Order:
        return place_order(self.world, self.store(handle), Cart(lines=lines, **cart))

    def set_stock(
        self, handle: str | None, sku: str, location: str, quantity: int, name: str = "available"
    ) -> int:
        store = self.store(handle)
        found = store.variants_by_sku(sku)
        loc = store.location_by_name(location)
        if not found or loc is None:
            raise KeyError(f"store {store.handle}: unknown SKU {sku!r} or location {location!r}")
        return merchant_set(self.world, store, found[0], loc.id, name, quantity)

    def cancel_order(self, handle: str | None, order_id: int, *, restock: bool = True) -> Order:
        store = self.store(handle)
        return cancel_order(self.world, store, store.orders[order_id], restock=restock)

    def fulfil_order(
        self,
        handle: str | None,
        order_id: int,
        *,
        company: str | None = "DHL",
        number: str | None = None,
    ) -> None:
        store = self.store(handle)
        order = store.orders[order_id]
        by_loc: dict[int, list[Any]] = {}
        for fo in order.fulfillment_orders:
            if fo.status in ("OPEN", "IN_PROGRESS"):
                by_loc.setdefault(fo.location_id, []).append((fo, None))
        for requests in by_loc.values():
            fulfil(
                self.world,
                store,
                order,
                requests,
                company=company,
                numbers=[number or f"SBX{order.number}"],
            )


@contextlib.asynccontextmanager
async def run_shopify_sandbox(
    *,
    stores: int = 2,
    scenario: Scenario = "demo",
    plan: str = "standard",
    host: str = "127.0.0.1",
    seed: int = 0,
    token_lifetime: float | None = None,
    ports: list[int] | None = None,
    control_port: int = 0,
    clock: Clock | None = None,
    handles: list[str] | None = None,
    rate_limited: bool = True,
) -> AsyncIterator[ShopifySandbox]:
    """Start one Admin API server per store (port 0 → ephemeral) and the control server in
    the current event loop; yield the running :class:`ShopifySandbox`."""
    from .control import control_app

    schema()  # build once before serving
    world = World(clock=clock, seed=seed)
    outbox = Outbox(world, seed=seed)
    sandbox = ShopifySandbox(world, outbox, host)
    names = handles or [f"shop{i + 1}" for i in range(stores)]
    for name in names:
        store = world.add_store(name, plan=plan, token_lifetime=token_lifetime)
        store.rate_limited = rate_limited
        world.seed_catalogue(store, scenario)
    running: list[tuple[_Server, asyncio.Task[None]]] = []
    await outbox.start()
    try:
        for i, store in enumerate(world.stores.values()):
            port = ports[i] if ports and i < len(ports) else 0
            server, task, bound = await serve(store_app(world, store), host, port)
            running.append((server, task))
            store.base_url = f"http://{host}:{bound}"
        server, task, bound = await serve(control_app(sandbox, scenario), host, control_port)
        running.append((server, task))
        sandbox.control_url = f"http://{host}:{bound}"
        yield sandbox
    finally:
        for server, _ in running:
            server.should_exit = True
        for _, task in running:
            with contextlib.suppress(Exception):
                await task
        for t in list(BULK_TASKS):
            t.cancel()
        await outbox.stop()


_ = bulk_mod
