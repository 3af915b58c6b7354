"""The dashboard: server-rendered pages under ``/dashboard`` on the connector's own app.

    app = create_site(rt)                        # receiver + /healthz + /metrics + dashboard
    app = create_site(rt, extra_routes=[...])    # plus other routes (OAuth install, ...)

or, to put it on an app built elsewhere, ``create_app(settings, db,
extra_routes=dashboard_routes(rt))`` (then call ``await apply_saved_map(rt)`` at start-up so
location-map rows saved from the dashboard are used).

Logging in (closed until one is configured): ``dashboard.password_hash`` (make one with
``python -m shopify_odoo.web.passwords``; env ``SHOPIFY_ODOO_DASHBOARD__PASSWORD_HASH``) and/or
``dashboard.token`` (``SHOPIFY_ODOO_DASHBOARD__TOKEN``, also accepted as ``Authorization: Bearer``);
set ``dashboard.session_secret`` so sessions survive a restart and work across replicas.

Pages (all behind the login, see :mod:`web.security`; webhooks keep their own HMAC auth):

=================================  ===========================================================
``/dashboard/``                    overview per store and for Odoo
``/dashboard/locations``           location map: both sides, unmapped highlighted, edit rows
``/dashboard/links``               product links: search, problems with the fix, link/unlink
``/dashboard/stock?sku=``          the stock of one SKU: every term of the formula, last push
``/dashboard/stores/<s>/orders``   orders and errors of one store, reprocess, dead letters
``/dashboard/jobs``                jobs and dead letters that belong to no store
``/dashboard/cutover``             per location dry-run, pilot group, enable, enable all
``/dashboard/cutover/spot-check``  both sides of a sample of products, level by level
``/dashboard/audit``               every switch with who and when
=================================  ===========================================================
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from functools import partial
from importlib.resources import files
from typing import Any

from itsdangerous import URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from shopify_odoo.engine.dashboard import HealthChecks
from shopify_odoo.engine.dashboard_access import LoginGuard
from shopify_odoo.engine.dashboard_locations import MapEditor
from shopify_odoo.engine.dashboard_stock import LinkBook
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.web.app import create_app
from shopify_odoo.web.dashboard import login, ops, pages
from shopify_odoo.web.dashboard.base import PREFIX, Dashboard, action, environment, page
from shopify_odoo.web.security import Access

__all__ = ["PREFIX", "Dashboard", "create_site", "dashboard_routes", "make_dashboard"]

Handler = Callable[[Request], Awaitable[Response]]


def make_dashboard(rt: Runtime, *, guard: LoginGuard | None = None) -> Dashboard:
    """``guard``: the lock-out and logout state (default: in ``rt.db``, shared by every
    process on that database)."""
    secret = rt.settings.dashboard.session_secret
    key = secret.get_secret_value() if secret is not None else secrets.token_urlsafe(32)
    return Dashboard(
        rt=rt,
        access=Access(rt.settings.dashboard, guard=guard or LoginGuard(rt.db)),
        editor=MapEditor(rt),
        links=LinkBook(rt),
        health=HealthChecks(rt),
        env=environment(),
        notes=URLSafeTimedSerializer(key, salt="shopify-odoo-dashboard-note"),
    )


def dashboard_routes(rt: Runtime, *, dash: Dashboard | None = None) -> list[BaseRoute]:
    """The ``/dashboard`` mount (and ``/dashboard`` → ``/dashboard/``)."""
    d = dash or make_dashboard(rt)

    def get(path: str, fn: Callable[..., Awaitable[Response]]) -> Route:
        return Route(path, page(d, partial(fn, d)), methods=["GET"])

    def post(path: str, fn: Callable[..., Awaitable[Response]]) -> Route:
        return Route(path, action(d, partial(fn, d)), methods=["POST"])

    async def login_get(request: Request) -> Response:
        return await login.get_login(d, request)

    async def login_post(request: Request) -> Response:
        return await login.post_login(d, request)

    static = StaticFiles(directory=str(files("shopify_odoo.web").joinpath("static")))
    routes: list[BaseRoute] = [
        Route("/login", login_get, methods=["GET"]),
        Route("/login", login_post, methods=["POST"]),
        post("/logout", login.post_logout),
        get("/", pages.overview_page),
        get("/locations", pages.locations_page),
        post("/locations/save", pages.save_location),
        post("/locations/revert", pages.revert_location),
        get("/links", pages.links_page),
        post("/links/link", pages.link_variant),
        post("/links/unlink", pages.unlink_variant),
        post("/links/refresh", pages.refresh_links),
        get("/stock", pages.stock_page),
        get("/stores/{store}/orders", ops.orders),
        post("/stores/{store}/problems/{problem}/reprocess", ops.reprocess_one),
        post("/stores/{store}/reprocess", ops.reprocess_group),
        post("/stores/{store}/jobs/{what:str}", ops.store_jobs),
        get("/jobs", ops.jobs_page),
        post("/jobs/{what:str}", ops.system_jobs_action),
        get("/cutover", ops.cutover_page),
        get("/cutover/dry-run", ops.dry_run),
        post("/cutover/pilot", ops.pilot_action),
        post("/cutover/enable/{what:str}", ops.enable_action),
        get("/cutover/spot-check", ops.spot_check_page),
        get("/audit", ops.audit_page),
        Mount("/static", app=static, name="dashboard-static"),
    ]

    async def bare(request: Request) -> Response:
        return RedirectResponse(PREFIX + "/", status_code=307)

    return [Route(PREFIX, bare), Mount(PREFIX, routes=routes)]


def create_site(
    rt: Runtime,
    *,
    extra_routes: Sequence[BaseRoute] = (),
    guard: LoginGuard | None = None,
    **app_options: Any,
) -> Starlette:
    """The connector's app with the dashboard (and ``extra_routes``, e.g. the OAuth install
    routes); at start-up the location-map rows saved from the dashboard are put in use."""
    dash = make_dashboard(rt, guard=guard)
    app = create_app(
        rt.settings,
        rt.db,
        extra_routes=[*dashboard_routes(rt, dash=dash), *extra_routes],
        **app_options,
    )
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: Starlette) -> AsyncIterator[None]:
        await dash.editor.apply_saved()
        async with inner(a):
            yield

    app.router.lifespan_context = lifespan
    app.state.dashboard = dash
    return app


async def apply_saved_map(rt: Runtime) -> None:
    """Use the location-map rows saved from the dashboard (when not using ``create_site``)."""
    await MapEditor(rt).apply_saved()
