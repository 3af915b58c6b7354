"""The connector's web app: webhook receivers, ``/healthz``, ``/metrics``.

``create_app(settings, db)`` builds one Starlette app.  The dashboard is mounted on the same app
later: pass its routes (or a ``Mount``) as ``extra_routes``; they sit behind their own login,
while the webhook routes keep their own authentication (HMAC, shared secret).

==============================  =================================================================
route                           what
==============================  =================================================================
``POST /webhooks/shopify/{store}``  Shopify deliveries for the store with that handle
``POST /webhooks/odoo``          Odoo automation-rule webhooks (``?token=`` shared secret)
``GET /healthz``                 200 when the state database answers, else 503
``GET /metrics``                 Prometheus text: the figures of :mod:`engine.metrics`
``GET /auth/install``, ``/auth/callback``  OAuth install flow (:mod:`web.oauth`)
==============================  =================================================================
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from shopify_odoo.config import Settings
from shopify_odoo.engine.inbox import InboxWriter, OdooTrigger, register_stores
from shopify_odoo.engine.metrics import compute_figures, prometheus_text
from shopify_odoo.store.database import Database
from shopify_odoo.web.oauth import oauth_routes
from shopify_odoo.web.receiver import DEFAULT_MAX_BODY, OdooReceiver, ShopifyReceiver

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class WebState:
    """What the routes share; ``app.state.web`` (the dashboard reads settings and db here)."""

    settings: Settings
    db: Database
    writer: InboxWriter


def create_app(
    settings: Settings,
    db: Database,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The Starlette app of one process (the caller owns ``db`` and disposes it)."""
    writer = InboxWriter(db)
    shopify = ShopifyReceiver(settings, writer, max_body=max_body)
    trigger = OdooTrigger(db)
    odoo = OdooReceiver(settings, trigger, max_body=max_body)

    async def healthz(request: Request) -> Response:
        try:
            await db.check()
        except Exception:
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "database": db.backend})

    async def metrics(request: Request) -> Response:
        figures = await compute_figures(db)
        return Response(prometheus_text(figures), media_type=PROMETHEUS_CONTENT_TYPE)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await register_stores(db, settings)
        try:
            yield
        finally:
            await writer.close()
            await trigger.close()  # its pending marks are written before the process stops

    routes: list[BaseRoute] = [
        Route("/webhooks/shopify/{store}", shopify.handle, methods=["POST"]),
        Route("/webhooks/odoo", odoo.handle, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *oauth_routes(settings, db),
        *extra_routes,
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.web = WebState(settings=settings, db=db, writer=writer)
    return app
