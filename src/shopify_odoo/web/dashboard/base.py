"""What every dashboard page shares: the runtime's services, templates, the login guard."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from shopify_odoo.engine.dashboard import HealthChecks
from shopify_odoo.engine.dashboard_locations import MapEditor
from shopify_odoo.engine.dashboard_stock import LinkBook
from shopify_odoo.engine.runtime import Runtime
from shopify_odoo.errors import ShopifyOdooError
from shopify_odoo.web.security import Access, Session

log = logging.getLogger(__name__)

PREFIX = "/dashboard"
#: a page (or a button) that reads Shopify or Odoo live gives up after this many seconds
PAGE_TIMEOUT = 60.0

#: headers of every dashboard answer: no framing, no inline script, nothing cached
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _when(value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _qty(value: Decimal | float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("shopify_odoo.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["seconds"] = _seconds
    env.filters["qty"] = _qty
    return env


@dataclass
class Dashboard:
    """The services one dashboard uses (one per app)."""

    rt: Runtime
    access: Access
    editor: MapEditor
    links: LinkBook
    health: HealthChecks
    env: Environment
    #: signs the one-line result an action hands to the page it redirects to
    notes: URLSafeTimedSerializer

    def done(self, path: str, message: str, **query: str) -> Response:
        """Post/redirect/get: the action's result shown once by the page at ``path``."""
        params = urlencode({**query, "note": self.notes.dumps(message)})
        return secure(RedirectResponse(f"{PREFIX}{path}?{params}", status_code=303))

    def note(self, request: Request) -> str:
        raw = request.query_params.get("note")
        if not raw:
            return ""
        try:
            text = self.notes.loads(raw, max_age=600)
        except BadSignature:
            return ""
        return text if isinstance(text, str) else ""

    @property
    def handles(self) -> list[str]:
        return [s.handle for s in self.rt.settings.stores]

    def render(
        self,
        request: Request,
        template: str,
        session: Session | None,
        *,
        status: int = 200,
        **context: Any,
    ) -> Response:
        if not context.get("message"):
            context["message"] = self.note(request)
        page = self.env.get_template(f"dashboard/{template}").render(
            prefix=PREFIX,
            session=session,
            stores=self.handles,
            path=request.url.path,
            **context,
        )
        return secure(HTMLResponse(page, status_code=status))

    def refuse(self, request: Request, session: Session | None, status: int, text: str) -> Response:
        return self.render(request, "error.html", session, status=status, message=text)


def secure(response: Response) -> Response:
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    return response


Page = Callable[[Request, Session], Awaitable[Response]]
FormPage = Callable[[Request, Session, FormData], Awaitable[Response]]


def login_redirect(request: Request) -> Response:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    url = f"{PREFIX}/login"
    if target.startswith(PREFIX) and not target.startswith(f"{PREFIX}/login"):
        from urllib.parse import quote

        url += "?next=" + quote(target, safe="")
    return secure(RedirectResponse(url, status_code=303))


def page(dash: Dashboard, handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """A GET page behind the login."""

    async def endpoint(request: Request) -> Response:
        session = await dash.access.session_of(request)
        if session is None:
            if request.headers.get("authorization"):
                return dash.refuse(request, None, 401, "Wrong or missing credentials.")
            return login_redirect(request)
        try:
            return await asyncio.wait_for(handler(request, session), PAGE_TIMEOUT)
        except ShopifyOdooError as exc:
            return remote_failure(dash, request, session, exc)
        except TimeoutError:
            return too_slow(dash, request, session)

    return endpoint


def action(dash: Dashboard, handler: FormPage) -> Callable[[Request], Awaitable[Response]]:
    """A POST behind the login, the same-origin check and the session's CSRF token."""

    async def endpoint(request: Request) -> Response:
        session = await dash.access.session_of(request)
        if session is None:
            return dash.refuse(request, None, 401, "Log in first: your session is missing.")
        if not dash.access.same_origin(request):
            return dash.refuse(request, session, 403, "Refused: the form came from another site.")
        form = await request.form()
        token = form.get("csrf")
        if not dash.access.csrf_ok(session, token if isinstance(token, str) else None):
            log.warning(
                "dashboard POST %s refused: missing or wrong CSRF token",
                request.url.path,
                extra={"action": "dashboard"},
            )
            return dash.refuse(
                request,
                session,
                403,
                "Refused: the form's security token is missing or out of date. Reload the "
                "page and submit it again.",
            )
        try:
            return await asyncio.wait_for(handler(request, session, form), PAGE_TIMEOUT)
        except ShopifyOdooError as exc:
            return remote_failure(dash, request, session, exc)
        except TimeoutError:
            return too_slow(dash, request, session)

    return endpoint


def remote_failure(
    dash: Dashboard, request: Request, session: Session, exc: ShopifyOdooError
) -> Response:
    """A page that needs Shopify or Odoo when one of them fails: say which and why (our
    errors never carry a credential), 502."""
    log.warning(
        "dashboard page %s failed: %s", request.url.path, exc, extra={"action": "dashboard"}
    )
    return dash.refuse(
        request,
        session,
        502,
        f"This page needs Shopify and Odoo, and a call failed: {exc}. Check the connection "
        "on the overview, then reload.",
    )


def too_slow(dash: Dashboard, request: Request, session: Session) -> Response:
    return dash.refuse(
        request,
        session,
        504,
        f"Shopify or Odoo did not answer within {PAGE_TIMEOUT:g} s. Check the connections on "
        "the overview, then reload.",
    )


def field(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default
