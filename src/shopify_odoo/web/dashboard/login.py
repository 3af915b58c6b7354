"""``/dashboard/login`` and ``/dashboard/logout``."""

from __future__ import annotations

import hmac
import logging
import re

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from shopify_odoo.web.dashboard.base import PREFIX, Dashboard, field, secure
from shopify_odoo.web.security import COOKIE_PATH, LOGIN_CSRF_COOKIE, Session, client_ip

log = logging.getLogger(__name__)

_NAME = re.compile(r"[^\w .@-]")


def _next(target: str) -> str:
    """Only a path of this dashboard (never another site) after logging in."""
    if target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX + "/"


def login_page(
    dash: Dashboard,
    request: Request,
    *,
    status: int = 200,
    error: str = "",
    next_url: str | None = None,
) -> Response:
    token = dash.access.login_csrf(request)
    response = dash.render(
        request,
        "login.html",
        None,
        status=status,
        closed=dash.access.closed,
        error=error,
        login_csrf=token,
        next=_next(next_url if next_url is not None else request.query_params.get("next", "")),
    )
    dash.access.set_login_csrf(response, request, token)
    return response


async def get_login(dash: Dashboard, request: Request) -> Response:
    if await dash.access.session_of(request) is not None:
        return secure(RedirectResponse(PREFIX + "/", status_code=303))
    return login_page(dash, request)


async def post_login(dash: Dashboard, request: Request) -> Response:
    ip = client_ip(request)
    if dash.access.closed:
        return login_page(dash, request, status=403)
    locked = await dash.access.guard.locked_for(ip)
    if locked:
        return login_page(
            dash,
            request,
            status=429,
            error=f"Too many failed logins from {ip}: try again in {int(locked // 60) + 1} min.",
        )
    if not dash.access.same_origin(request):
        return login_page(dash, request, status=403, error="Refused: the form came from elsewhere.")
    form: FormData = await request.form()
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    given = field(form, "csrf")
    if not cookie or not given or not hmac.compare_digest(cookie.encode(), given.encode()):
        return login_page(
            dash,
            request,
            status=403,
            error="The login form's security token is missing or out of date: try again.",
        )
    method = dash.access.check_secret(field(form, "password"))
    if method is None:
        await dash.access.guard.fail(ip)
        log.warning("dashboard login refused from %s", ip, extra={"action": "dashboard_login"})
        return login_page(
            dash,
            request,
            status=401,
            error="Wrong password or token.",
            next_url=field(form, "next"),
        )
    await dash.access.guard.succeed(ip)
    name = _NAME.sub("", field(form, "name"))[:60] or "admin"
    actor = f"{name} ({method})"
    _session, value = dash.access.new_session(actor, method)
    log.info("dashboard login: %s from %s", actor, ip, extra={"action": "dashboard_login"})
    response = RedirectResponse(_next(field(form, "next")), status_code=303)
    dash.access.set_session_cookie(response, request, value)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=COOKIE_PATH)
    return secure(response)


async def post_logout(
    dash: Dashboard, request: Request, session: Session, form: FormData
) -> Response:
    await dash.access.revoke(session)
    response = RedirectResponse(PREFIX + "/login", status_code=303)
    dash.access.clear_session_cookie(response, request)
    return secure(response)
