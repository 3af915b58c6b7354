"""The simulation's fast path to the sandboxes: their in-memory models without the web layer.

:class:`DirectShopify` and :class:`DirectOdoo` are httpx transports (the engine's clients are
unchanged and still build and parse real requests) that hand the two hot routes straight to
the sandbox code the web apps call: Shopify's ``POST /admin/api/<version>/graphql.json``
(token check, ``run_graphql``) and Odoo's ``POST /jsonrpc`` (the sandbox's ``JsonRpc``
handler on its dispatcher).  Any other route goes through the sandbox's Starlette app over
``httpx.ASGITransport``.  A few scenarios run over loopback HTTP instead (real servers and
sockets), so the web layer stays covered by the simulation too.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx

from shopify_odoo.sandbox.odoo.dispatch import Dispatcher
from shopify_odoo.sandbox.odoo.transport_jsonrpc import JsonRpc
from shopify_odoo.sandbox.odoo.world import World as OdooWorld
from shopify_odoo.sandbox.shopify.gql import run_graphql
from shopify_odoo.sandbox.shopify.oauth import check_token
from shopify_odoo.sandbox.shopify.server import effective_version, store_app
from shopify_odoo.sandbox.shopify.world import Store, World

_GRAPHQL = re.compile(r"^/admin/api/([^/]+)/graphql\.json$")


def _reply(
    request: httpx.Request, status: int, body: Any, headers: dict[str, str]
) -> httpx.Response:
    raw = json.dumps(body, separators=(",", ":")).encode()
    return httpx.Response(
        status,
        content=raw,
        headers={"content-type": "application/json", **headers},
        request=request,
    )


class DirectShopify(httpx.AsyncBaseTransport):
    def __init__(self, world: World, store: Store) -> None:
        self.world = world
        self.store = store
        self.fallback = httpx.ASGITransport(app=store_app(world, store))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        m = _GRAPHQL.match(request.url.path)
        if request.method != "POST" or m is None or self.store.faults.http_errors > 0:
            return await self.fallback.handle_async_request(request)
        version = effective_version(m.group(1))
        if version is None:
            return _reply(request, 404, {"errors": "Not Found"}, {})
        headers = {"X-Shopify-API-Version": version, "X-Request-Id": str(uuid.uuid4())}
        if not check_token(self.world, self.store, request.headers.get("x-shopify-access-token")):
            return await self.fallback.handle_async_request(request)  # the 401 as served
        payload = json.loads(await request.aread() or b"null")
        body = run_graphql(
            self.world,
            self.store,
            version,
            payload.get("query"),
            payload.get("variables"),
            payload.get("operationName"),
        )
        return _reply(request, 200, body, headers)


class _Body:
    """What ``JsonRpc`` reads of a Starlette request."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    async def body(self) -> bytes:
        return self.raw


class DirectOdoo(httpx.AsyncBaseTransport):
    def __init__(self, world: OdooWorld, fallback: httpx.AsyncBaseTransport) -> None:
        self.world = world
        self.dispatcher = Dispatcher(world)
        self.jsonrpc = JsonRpc(self.dispatcher)
        self.fallback = fallback

    async def _faults(self, _model: str | None, _method: str | None) -> None:
        # §3.6: the call's write_date is the transaction's start (as the app's fault hook)
        self.dispatcher.started = self.world.now_str()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST" or request.url.path != "/jsonrpc" or self.world.faults:
            return await self.fallback.handle_async_request(request)
        raw = await request.aread()
        response = await self.jsonrpc.jsonrpc(_Body(raw), self._faults)  # type: ignore[arg-type]
        return httpx.Response(
            response.status_code,
            content=bytes(response.body),
            headers={"content-type": "application/json"},
            request=request,
        )
