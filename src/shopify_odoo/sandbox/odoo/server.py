"""The ASGI app and ``run_odoo_sandbox``: uvicorn inside the current event loop on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..asgi import read_body
from ..catalog import Scenario
from .control import Control, apply_faults
from .dispatch import Dispatcher
from .seed import ADMIN_PASSWORD, api_key_for, build_world
from .transport_json2 import Json2
from .transport_jsonrpc import JsonRpc
from .transport_xmlrpc import handle as xmlrpc_handle
from .world import World

log = logging.getLogger(__name__)


@dataclass
class OdooSandbox:
    """A running sandbox: ``url``, credentials, and the in-memory ``world`` for tests."""

    world: World
    seed: int
    url: str = ""
    login: str = "admin"
    password: str = ADMIN_PASSWORD
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def api_key(self) -> str:
        return api_key_for(self.seed, self.login)

    @property
    def host(self) -> str:
        return self.url.split("//", 1)[1].rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def info(self) -> dict[str, str]:
        """What the combined ``shopify-odoo sandbox`` launcher writes for the ``odoo`` part."""
        return {
            "url": self.url,
            "db": self.world.db,
            "login": self.login,
            "password": self.password,
            "api_key": self.api_key,
            "version": self.world.profile.text,
        }

    def notify(self) -> None:
        self._wakeup.set()


ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]


class _RawBody:
    """What JsonRpc reads from a request: its body."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    async def body(self) -> bytes:
        return self.raw


def build_app(handle: OdooSandbox, scenario: Scenario) -> ASGIApp:
    state: dict[str, Any] = {}

    def world() -> World:
        return handle.world

    def dispatcher() -> Dispatcher:
        if state.get("world") is not handle.world:
            state["world"] = handle.world
            state["dispatcher"] = Dispatcher(handle.world)
            state["jsonrpc"] = JsonRpc(state["dispatcher"])
            state["json2"] = Json2(state["dispatcher"])
        return state["dispatcher"]  # type: ignore[no-any-return]

    async def faults(model: str | None, method: str | None) -> Response | None:
        # §3.6: a slow call keeps the write_date of its start (the transaction's now())
        started = handle.world.now_str()
        response = await apply_faults(handle.world, model, method)
        dispatcher().started = started
        return response

    def after(response: Response) -> Response:
        if handle.world.outbox.pending:
            handle.notify()
        return response

    async def xml_common(request: Request) -> Response:
        return after(await xmlrpc_handle(request, dispatcher(), "common", False, faults))

    async def xml_object(request: Request) -> Response:
        return after(await xmlrpc_handle(request, dispatcher(), "object", False, faults))

    async def xml_db(request: Request) -> Response:
        return await xmlrpc_handle(request, dispatcher(), "db", False, faults)

    async def xml_legacy(request: Request) -> Response:
        service = request.path_params["service"]
        return after(await xmlrpc_handle(request, dispatcher(), service, True, faults))

    async def jsonrpc(request: Request) -> Response:
        dispatcher()
        return after(await state["jsonrpc"].jsonrpc(request, faults))

    async def session_authenticate(request: Request) -> Response:
        dispatcher()
        return after(await state["jsonrpc"].authenticate(request))

    async def call_kw(request: Request) -> Response:
        dispatcher()
        return after(await state["jsonrpc"].call_kw(request, faults))

    async def version_info(request: Request) -> Response:
        dispatcher()
        return await state["jsonrpc"].version_info(request)  # type: ignore[no-any-return]

    async def web_version(request: Request) -> Response:
        dispatcher()
        return await state["jsonrpc"].web_version(request)  # type: ignore[no-any-return]

    async def destroy(request: Request) -> Response:
        dispatcher()
        return await state["jsonrpc"].destroy(request)  # type: ignore[no-any-return]

    async def json2(request: Request) -> Response:
        dispatcher()
        return after(await state["json2"].handle(request, faults))

    def reseed(body: dict[str, Any]) -> World:
        old = handle.world
        new = build_world(
            body.get("version", old.profile),
            body.get("scenario", scenario),
            int(body.get("seed", handle.seed)),
            old.db,
        )
        handle.world = new
        handle.seed = int(body.get("seed", handle.seed))
        return new

    def after_change() -> None:
        dispatcher()._automations(handle.world.env(2))
        if handle.world.outbox.pending:
            handle.notify()

    async def fast_jsonrpc(scope: Any, receive: Any, send: Any) -> None:
        """``POST /jsonrpc`` as plain ASGI (no routing, no Request object): the hot path of
        the connector's reads; the same handler and Response as the Starlette route."""
        body = await read_body(receive)
        if body is None:
            return
        dispatcher()
        response = after(await state["jsonrpc"].jsonrpc(_RawBody(body), faults))
        await response(scope, receive, send)

    control = Control(world, reseed, after_change)
    routes = [
        Route("/xmlrpc/2/common", xml_common, methods=["POST"]),
        Route("/xmlrpc/2/object", xml_object, methods=["POST"]),
        Route("/xmlrpc/2/db", xml_db, methods=["POST"]),
        Route("/xmlrpc/{service:str}", xml_legacy, methods=["POST"]),
        Route("/jsonrpc", jsonrpc, methods=["POST"]),
        Route("/web/session/authenticate", session_authenticate, methods=["POST"]),
        Route("/web/session/destroy", destroy, methods=["POST"]),
        Route("/web/dataset/call_kw", call_kw, methods=["POST"]),
        Route("/web/dataset/call_kw/{path:path}", call_kw, methods=["POST"]),
        Route("/web/webclient/version_info", version_info, methods=["POST"]),
        Route("/web/version", web_version, methods=["GET"]),
        Route("/json/version", web_version, methods=["GET"]),
        Route("/json/2/{model}/{method}", json2, methods=["POST"]),
        *control.routes(),
    ]
    rest = Starlette(routes=routes)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/jsonrpc":
            await fast_jsonrpc(scope, receive, send)
            return
        await rest(scope, receive, send)

    return app


async def _deliver_webhooks(handle: OdooSandbox) -> None:
    """§7.1: fire-and-forget POSTs, JSON, 1 s timeout, errors only logged, no retry."""
    async with httpx.AsyncClient(timeout=1.0) as client:
        while True:
            await handle._wakeup.wait()
            handle._wakeup.clear()
            outbox = handle.world.outbox
            batch, outbox.pending = outbox.pending, []
            for url, body in batch:
                try:
                    response = await client.post(
                        url, content=body, headers={"Content-Type": "application/json"}
                    )
                    outcome = str(response.status_code)
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                    log.info("odoo sandbox webhook to %s failed: %s", url, outcome)
                outbox.sent.append((url, body, outcome))


@contextlib.asynccontextmanager
async def run_odoo_sandbox(
    *,
    version: str = "17.0",
    scenario: Scenario = "demo",
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 0,
    db: str = "sandbox",
    plan: str = "on_premise",
    log_level: str = "warning",
) -> AsyncIterator[OdooSandbox]:
    """Start the Odoo sandbox in this event loop; yields the handle, stops on exit."""
    world = build_world(version, scenario, seed, db)
    world.plan = plan  # type: ignore[assignment]
    handle = OdooSandbox(world=world, seed=seed)
    app = build_app(handle, scenario)
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    serve = asyncio.create_task(server.serve())
    webhooks = asyncio.create_task(_deliver_webhooks(handle))
    try:
        while not server.started:
            if serve.done():
                serve.result()
                raise RuntimeError(f"Odoo sandbox could not start on {host}:{port}")
            await asyncio.sleep(0.01)
        sockets = [s for srv in server.servers for s in srv.sockets]
        bound_port = sockets[0].getsockname()[1]
        handle.url = f"http://{host}:{bound_port}"
        yield handle
    finally:
        server.should_exit = True
        webhooks.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await webhooks
        await serve
